#!/usr/bin/env python3
"""Time and peak memory of a whole conformance run (issue 10): `ihp-conformance run` in a
child process, its wall time and peak RSS (getrusage of the child).

    python benchmarks/bench_run.py                        # the default run, 3 times
    python benchmarks/bench_run.py --cases 87000 --repeat 1   # about a million cases
    python benchmarks/bench_run.py --pythonpath /tmp/old  # another checkout's code

The volume is `--cases` per operation: about 11.5 × that many generated cases plus the
vectors. The median of `--repeat` runs is printed.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time


def _one(cases: int, seed: int, impl: str, pythonpath: str | None) -> tuple[float, float, int]:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--impl", impl, "--seed", str(seed),
         "--cases", str(cases), "--no-progress"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB, max over children
    if done.returncode not in (0, 1):
        sys.exit(f"run failed ({done.returncode}): {done.stderr[-2000:]}")
    found = re.search(r"^cases: (\d+)", done.stdout, re.MULTILINE)
    count = int(found.group(1)) if found else 0
    return seconds, max(peak, before) / 1024, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--impl", default="ref")
    parser.add_argument("--pythonpath", help="run another checkout's code (its root folder)")
    args = parser.parse_args()
    runs = [_one(args.cases, args.seed, args.impl, args.pythonpath) for _ in range(args.repeat)]
    seconds = statistics.median(r[0] for r in runs)
    each = ", ".join(f"{r[0]:.2f}" for r in runs)
    print(f"cases per operation {args.cases}: {runs[0][2]} cases; "
          f"median {seconds:.2f} s over {len(runs)} run(s) ({each}); "
          f"{runs[0][2] / seconds:,.0f} cases/s; peak RSS {max(r[1] for r in runs):.0f} MiB")


if __name__ == "__main__":
    main()
