"""The differential harness's recorded differences, as one finding per cause.

The harness processes (one, or the jobs of `-fork=N`) each leave counts and their smallest
case per cause (`ihp_fuzz.harness.recorder`); here they are added up, the smallest case
over all processes is kept as `findings/differential/<slug>/{reproducer.bin,case.json}`,
and an expectations file (`conformance.expectations`, the one `ihp-conformance run`
reads) marks the causes an implementation knowingly has: an entry by flag matches a cause
named by that flag, a glob matches its id `fuzz/differential/<slug>`. Differences on a
question the spec leaves open are counted, never findings.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.expectations import Expectations

__all__ = ["CauseFinding", "collect_causes", "unseen_expectations"]


@dataclass(frozen=True, slots=True)
class CauseFinding:
    slug: str
    name: str
    finding_id: str
    flags: tuple[str, ...]
    operation: str
    kind: str
    count: int
    case: dict[str, Any]  # the smallest case: request, both answers
    reproducer: Path  # its fuzzer input
    case_file: Path
    expected_by: str | None  # the expectations entry that names it (None: a finding)

    @property
    def is_open_question(self) -> bool:
        return bool(self.case.get("open_questions"))


def _counts(raw: Path) -> Counter[str]:
    total: Counter[str] = Counter()
    for path in raw.glob("counts-*.json"):
        try:
            total.update({str(k): int(v) for k, v in json.loads(path.read_text()).items()})
        except (OSError, ValueError, AttributeError):
            continue  # a process killed mid-write leaves at most a .part file
    return total


def _smallest_case(folder: Path) -> tuple[dict[str, Any], Path] | None:
    best: tuple[tuple[int, int], dict[str, Any], Path] | None = None
    for path in folder.glob("reproducer-*.json"):
        try:
            case = json.loads(path.read_text(encoding="utf-8"))
            size = (int(case["request_bytes"]), int(case["input_bytes"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if path.with_suffix(".bin").is_file() and (best is None or size < best[0]):
            best = (size, case, path)
    return None if best is None else (best[1], best[2])


def collect_causes(raw: Path, findings: Path,
                   expectations: Expectations | None) -> list[CauseFinding]:
    """One CauseFinding per cause the harness recorded under `raw`, its smallest case
    copied to `findings/<slug>/`; most frequent first."""
    counts = _counts(raw)
    causes: list[CauseFinding] = []
    for folder in sorted(p for p in raw.iterdir() if p.is_dir()) if raw.is_dir() else []:
        smallest = _smallest_case(folder)
        if smallest is None:
            continue
        case, path = smallest
        target = findings / folder.name
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path.with_suffix(".bin"), target / "reproducer.bin")
        shutil.copyfile(path, target / "case.json")
        flags = tuple(case.get("flags", ()))
        entry = None if expectations is None or case.get("open_questions") else \
            expectations.lookup(case["finding_id"], flags)
        causes.append(CauseFinding(
            folder.name, case["cause"], case["finding_id"], flags, case["operation"],
            case["kind"], max(counts.get(folder.name, 0), 1), case, target / "reproducer.bin",
            target / "case.json", None if entry is None else entry.label))
    return sorted(causes, key=lambda c: (-c.count, c.slug))


def unseen_expectations(expectations: Expectations | None,
                        causes: list[CauseFinding]) -> list[str]:
    """Entries of the expectations file that named no cause of this run."""
    if expectations is None:
        return []
    return list(expectations.unmatched((c.finding_id, c.flags) for c in causes
                                       if not c.is_open_question))
