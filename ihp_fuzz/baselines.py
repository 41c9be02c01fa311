"""Exec/s baselines (`fuzz/baselines.json`, written from benchmarks/bench_fuzz.py figures).

A harness whose exec/s per job falls below half of its baseline is flagged: a slower
harness finds less in the same night, and usually means an accidental slow path.
"""

from __future__ import annotations

import json
from pathlib import Path

from ihp_fuzz.errors import FuzzToolError

__all__ = ["SLOWDOWN_FACTOR", "load_baselines", "slowdown"]

SLOWDOWN_FACTOR = 0.5


def load_baselines(root: Path) -> dict[str, float]:
    path = root / "baselines.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {name: float(entry["exec_per_sec"]) for name, entry in data["harnesses"].items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise FuzzToolError(f"{path}: not a baselines file ({exc.__class__.__name__})",
                            3) from None


def slowdown(baseline: float | None, exec_per_sec_per_job: float) -> bool:
    """True when the measured speed is below half of the baseline."""
    return baseline is not None and exec_per_sec_per_job < SLOWDOWN_FACTOR * baseline
