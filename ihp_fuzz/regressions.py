"""Regression cases: `fuzz/regressions/<harness>/<digest>.bin` + `<digest>.json`.

Each promoted finding is one input and its metadata (signature, where it came from). The
test suite replays every input through its harness forever (tests/test_fuzz_regressions.py).
File names never start with `crash-` (the repository ignores those).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from ihp_fuzz.crashes import Signature
from ihp_fuzz.harnesses import HARNESSES, Harness

__all__ = ["RegressionCase", "known_signatures", "load_cases", "promote_case"]


@dataclass(frozen=True, slots=True)
class RegressionCase:
    harness: str
    input_file: str
    signature: str
    summary: str
    kind: str
    found_against: str
    promoted_at: str
    note: str


def load_cases(root: Path) -> list[tuple[Harness, Path, RegressionCase]]:
    cases = []
    for harness in HARNESSES:
        for meta in sorted(harness.regressions(root).glob("*.json")):
            case = RegressionCase(**json.loads(meta.read_text(encoding="utf-8")))
            cases.append((harness, meta.with_name(case.input_file), case))
    return cases


def known_signatures(root: Path) -> set[str]:
    return {case.signature for _, _, case in load_cases(root)}


def promote_case(harness: Harness, root: Path, input_file: Path, signature: Signature,
                 found_against: str, note: str) -> Path:
    """Copy `input_file` into the harness's regression folder with its metadata."""
    folder = harness.regressions(root)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{signature.digest}.bin"
    shutil.copyfile(input_file, folder / name)
    case = RegressionCase(harness.name, name, signature.digest, signature.summary,
                          signature.kind, found_against,
                          datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), note)
    meta = folder / f"{signature.digest}.json"
    meta.write_text(json.dumps(asdict(case), indent=2) + "\n", encoding="utf-8")
    return meta
