"""Figures for issue 4: a default conformance run, in process vs through a shim subprocess.

    .venv/bin/python benchmarks/bench_runner.py [--repeat 3] [--cases 250] [--seed 1]

Prints cases per second both ways, the ratio (target: subprocess ≤ 2× in-process) and the
wall time of a default run against the reference (target: < 60 s).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from conformance.runner import RunOptions, run_suite


def _measure(impl: str, cases: int, seed: int, repeat: int) -> tuple[float, int]:
    times: list[float] = []
    count = 0
    for _ in range(repeat):
        started = time.perf_counter()
        report = run_suite(RunOptions(impl=impl, seed=seed, cases=cases, progress=False))
        times.append(time.perf_counter() - started)
        count = len(report.results)
        if report.exit_status() != 0:
            raise SystemExit(f"{impl}: the reference did not conform: benchmark invalid")
    return statistics.median(times), count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cases", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    shim = str(Path(sys.executable).parent / "ihp-ref-shim")
    rows = []
    for label, impl in (("in-process (--impl ref)", "ref"), ("subprocess (ihp-ref-shim)", shim)):
        seconds, count = _measure(impl, args.cases, args.seed, args.repeat)
        rows.append((label, seconds, count))
        print(f"{label:28} {count} cases in {seconds:6.2f} s  = {count / seconds:8.0f} cases/s")
    ratio = rows[1][1] / rows[0][1]
    print(f"subprocess / in-process wall time: {ratio:.2f}x (target <= 2x)")
    print(f"default run against the reference: {rows[0][1]:.2f} s (target < 60 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
