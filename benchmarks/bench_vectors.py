#!/usr/bin/env python3
"""Vector generation and replay times (issue 3).

Figures: `ihp-vectors generate` for the whole set, written into a scratch checkout
(target < 10 s); every vector case (and replay step) answered by the in-process reference,
`ihp_ref.shim.ShimSession().handle`, and compared with its expected outcome (target < 5 s).
Each figure is the best of several repeats, in a fresh process state for the files.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ihp_ref.shim import ShimSession
from ihp_vectors import Case, cli, load_cases


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)  # the least disturbed by other load on the shared machine


def _generate_into_scratch() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-vectors-"))
    for folder in ("vectors", "schemas"):
        (root / folder).mkdir()  # an empty checkout: every file is written
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            status = cli.main(["generate", "--root", str(root)])
        if status != 0:
            raise SystemExit("generate failed")
    finally:
        shutil.rmtree(root)


def _replay(cases: list[Case]) -> int:
    """Every case through the reference; returns the number of requests; fails on a mismatch."""
    session = ShimSession()
    requests = 0
    for case in cases:
        guard = {"replay_guard": f"bench:{case.case_id}:{id(session)}"} if case.sequence else {}
        steps = [({**s.args, **guard}, s.expected, s.error) for s in case.steps]
        for args, expected, error in steps:
            requests += 1
            response = session.handle({"id": requests, "op": case.operation, "args": args})
            outcome = response["result"] if response["ok"] else response.get("error")
            if outcome != (expected if error is None else error):
                raise SystemExit(f"{case.case_id}: the reference disagrees with the vector")
    return requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print figures as JSON")
    options = parser.parse_args()

    generate_s = _best(_generate_into_scratch, options.repeat)
    load_s = _best(load_cases, options.repeat)
    cases = load_cases()
    requests = _replay(cases)
    replay_s = _best(lambda: _replay(cases), options.repeat)
    figures = {
        "cases": len(cases),
        "requests": requests,
        "generate_seconds": round(generate_s, 3),
        "generate_target_seconds": 10.0,
        "load_seconds": round(load_s, 3),
        "replay_seconds": round(replay_s, 3),
        "replay_with_load_seconds": round(replay_s + load_s, 3),
        "replay_target_seconds": 5.0,
    }
    if options.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"vector cases: {len(cases)} ({requests} requests with replay steps)")
        print(f"ihp-vectors generate (whole set, written): {generate_s:.3f} s (target < 10 s)")
        print(f"load_cases():                              {load_s:.3f} s")
        print(
            f"replay against the in-process reference:   {replay_s:.3f} s "
            f"(+ load {load_s:.3f} s; target < 5 s)"
        )
    ok = generate_s < 10.0 and replay_s + load_s < 5.0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
