#!/usr/bin/env python3
"""Offline mode against a live run (issue 11 §3): wall time of `ihp-conformance export`,
answering the request file with the in-process reference, and `ihp-conformance judge`,
against `ihp-conformance run --impl ref` with the same seed and volume; each a child
process, the median of `--repeat` rounds.

    python benchmarks/bench_offline.py                # default volume (250 per operation)
    python benchmarks/bench_offline.py --cases 2000 --repeat 1
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_ANSWER = ("import json, sys; from conformance.offline import answer_requests; "
           "from ihp_ref.shim import ShimSession; "
           "json.dump(answer_requests(json.load(open(sys.argv[1])), ShimSession), "
           "open(sys.argv[2], 'w'))")  # fmt: skip


def _timed(argv: list[str], ok: tuple[int, ...] = (0, 1)) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode not in ok:
        sys.exit(f"{argv[:4]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return time.perf_counter() - started


def _round(cases: int, seed: int, folder: Path) -> dict[str, float]:
    cli = [sys.executable, "-m", "conformance"]
    req, resp = str(folder / "requests.json"), str(folder / "responses.json")
    volume = ["--seed", str(seed), "--cases", str(cases)]
    return {
        "run": _timed([*cli, "run", "--impl", "ref", "--no-progress", *volume]),
        "export": _timed([*cli, "export", *volume, "--out", req], ok=(0,)),
        "answer": _timed([sys.executable, "-c", _ANSWER, req, resp], ok=(0,)),
        "judge": _timed([*cli, "judge", req, resp]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rounds = [_round(args.cases, args.seed, Path(tmp)) for _ in range(args.repeat)]
        size = (Path(tmp) / "requests.json").stat().st_size / 1e6
    median = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    offline = median["export"] + median["judge"]
    print(f"cases per operation {args.cases}, median of {len(rounds)}: live run "
          f"{median['run']:.2f} s; export {median['export']:.2f} s ({size:.1f} MB), "
          f"answer (in-process reference) {median['answer']:.2f} s, judge "
          f"{median['judge']:.2f} s; export + judge {offline:.2f} s "
          f"({offline / median['run']:.2f}× the live run)")


if __name__ == "__main__":
    main()
