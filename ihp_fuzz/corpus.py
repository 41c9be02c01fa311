"""Corpus merge and minimisation (`-merge=1`) that never loses a corpus.

The merge writes into a fresh directory; the corpus is replaced only when libFuzzer exited
cleanly and the result is not empty. Otherwise the old corpus stays as it was.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ihp_fuzz.harnesses import Harness
from ihp_fuzz.libfuzzer import libfuzzer_argv

__all__ = ["MergeResult", "safe_merge"]


@dataclass(frozen=True, slots=True)
class MergeResult:
    replaced: bool
    units_before: int
    units_after: int
    reason: str


def _units(directory: Path) -> int:
    return sum(1 for p in directory.iterdir() if p.is_file()) if directory.is_dir() else 0


def safe_merge(harness: Harness, root: Path, corpus: Path, extra_dirs: Sequence[Path],
               env: dict[str, str], wall_limit: float = 600.0) -> MergeResult:
    """Merge `corpus` and `extra_dirs` into a minimal corpus that replaces `corpus`."""
    before = _units(corpus)
    staging = corpus.with_name(f".{corpus.name}.merging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    sources = [d for d in (corpus, *extra_dirs) if d.is_dir()]
    argv = libfuzzer_argv(harness, root, corpus_dirs=[staging, *sources], extra=[
        "-merge=1", f"-merge_control_file={staging.with_name(staging.name + '.control')}"])
    try:
        proc = subprocess.run(argv, env=env, capture_output=True, timeout=wall_limit,
                              check=False)
        returncode = proc.returncode
    except subprocess.TimeoutExpired:
        returncode = -9
    after = _units(staging)
    if returncode != 0 or after == 0:
        shutil.rmtree(staging, ignore_errors=True)
        why = f"merge exited {returncode}" if returncode != 0 else "merge came out empty"
        return MergeResult(False, before, before, f"{why}: corpus kept as it was")
    _swap(staging, corpus)
    return MergeResult(True, before, after, "merged")


def _swap(new: Path, corpus: Path) -> None:
    old = corpus.with_name(f".{corpus.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if corpus.exists():
        corpus.rename(old)
    new.rename(corpus)
    shutil.rmtree(old, ignore_errors=True)
    control = new.with_name(new.name + ".control")
    control.unlink(missing_ok=True)
