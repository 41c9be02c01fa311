#!/usr/bin/env python3
"""Exec/s of every fuzz harness (issue 5 "Figures"): median of 3 runs of 30,000 executions,
one process pinned to one core when `taskset` exists, from the committed seed corpus.

The rate is measured between libFuzzer's INITED and DONE lines (the fuzzing loop itself:
interpreter start-up and the seed replay are left out). `--write-baselines` stores the
medians in fuzz/baselines.json, which `ihp-fuzz` compares campaigns against.

Besides the rate against the wall clock, each run reports executions per CPU second of the
harness and every process under it (the shim of `differential`), read from /proc: on a
shared machine the wall-clock rate moves with the neighbours, the CPU rate is what one
core of one's own would give.

    .venv/bin/python benchmarks/bench_fuzz.py [--runs 30000] [--repeat 3] [--write-baselines]
    .venv/bin/python benchmarks/bench_fuzz.py --profile nonce_mutation [--corpus DIR]
    .venv/bin/python benchmarks/bench_fuzz.py --harness differential --record \
        --shim "python -m conformance.mutants crate-0.1.0"

`--shim CMD` sets IHP_FUZZ_SHIM (differential's implementation under test); `--record`
sets IHP_FUZZ_FINDINGS to a scratch folder, as `ihp-fuzz run|campaign` do: differences are
recorded by cause and fuzzing goes on, requests go to the shim in batches.

`--profile` answers "where does the time go": it replays a corpus (default: the seeds, or
the DIR of a campaign's corpus) through the harness's TestOneInput in-process under
cProfile and prints the functions by own time. libFuzzer's mutation cost is not in it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ihp_fuzz.harnesses import HARNESSES, Harness
from ihp_fuzz.libfuzzer import harness_env, libfuzzer_argv

ROOT = Path(__file__).resolve().parent.parent / "fuzz"
TARGETS = {"capsule_roundtrip": 10_000, "nonce_mutation": 20_000, "json_decode": 50_000,
           "binary_decode": 50_000, "differential": 5_000}
_COUNT = re.compile(r"^#(\d+)\s+(INITED|DONE)")


_STATUS_LINE = re.compile(r"^#(\d+)\s")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _tree_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of `pid` and its descendants so far, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / _TICKS
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, IndexError, ValueError):
        return None
    for child in children:
        total += _tree_cpu(int(child)) or 0.0
    return total


def one_run(harness: Harness, runs: int, env: dict[str, str]) -> tuple[float, float | None]:
    """(executions per wall-clock second, per CPU second) of the fuzzing loop of one run."""
    with tempfile.TemporaryDirectory() as work:
        argv = libfuzzer_argv(harness, ROOT, corpus_dirs=[Path(work), harness.seeds(ROOT)],
                              runs=runs, extra=[f"-artifact_prefix={work}/"])
        if shutil.which("taskset"):
            argv = ["taskset", "-c", "0", *argv]
        marks: dict[str, tuple[int, float]] = {}
        cpu: list[tuple[int, float]] = []  # (executions, CPU seconds) from INITED on
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**env, "IHP_FUZZ_FINDINGS": f"{work}/findings"}
                              if "IHP_FUZZ_FINDINGS" in env else env, bufsize=1) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                if match := _COUNT.match(line):
                    marks[match.group(2)] = (int(match.group(1)), time.perf_counter())
                status = _STATUS_LINE.match(line) if "INITED" in marks else None
                if status and (seconds := _tree_cpu(proc.pid)) is not None:
                    cpu.append((int(status.group(1)), seconds))
            if proc.wait() != 0 or len(marks) != 2:
                raise SystemExit(f"{harness.name}: run failed (exit {proc.returncode})")
    (start_n, start_t), (end_n, end_t) = marks["INITED"], marks["DONE"]
    per_cpu = None
    if len(cpu) >= 2 and cpu[-1][1] > cpu[0][1]:
        per_cpu = (cpu[-1][0] - cpu[0][0]) / (cpu[-1][1] - cpu[0][1])
    return (end_n - start_n) / (end_t - start_t), per_cpu


def profile(harness: Harness, corpus: Path, seconds: float) -> None:
    import cProfile
    import importlib.util
    import pstats

    spec = importlib.util.spec_from_file_location(f"_bench_{harness.name}",
                                                  harness.script(ROOT))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    inputs = [p.read_bytes() for p in sorted(corpus.iterdir()) if p.is_file()]
    calls, deadline = 0, time.perf_counter() + seconds
    profiler = cProfile.Profile()
    profiler.enable()
    while time.perf_counter() < deadline:
        for data in inputs:
            try:
                module.TestOneInput(data)
            except Exception as exc:  # a finding in the corpus: report, keep profiling
                print(f"finding while profiling: {type(exc).__name__}: {exc}"[:200])
            calls += 1
    profiler.disable()
    elapsed = seconds
    print(f"{harness.name}: {calls} calls of TestOneInput in {elapsed:.1f}s under cProfile "
          f"({calls / elapsed:,.0f}/s, profiler overhead included)")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--harness", action="append", help="only these (repeatable)")
    parser.add_argument("--write-baselines", action="store_true")
    parser.add_argument("--profile", metavar="HARNESS", help="profile one harness in-process")
    parser.add_argument("--corpus", type=Path, help="corpus to profile with (default: seeds)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--shim", help="IHP_FUZZ_SHIM for differential (default: the "
                                       "reference's shim)")
    parser.add_argument("--record", action="store_true",
                        help="record differences by cause and keep fuzzing (IHP_FUZZ_FINDINGS)")
    args = parser.parse_args()
    env = harness_env()
    if args.shim:
        env["IHP_FUZZ_SHIM"] = args.shim
    if args.record:
        env["IHP_FUZZ_FINDINGS"] = "(a scratch folder per run)"
    if args.profile:
        harness = next(h for h in HARNESSES if h.name == args.profile)
        profile(harness, args.corpus or harness.seeds(ROOT), args.seconds)
        return 0
    chosen = [h for h in HARNESSES if not args.harness or h.name in args.harness]
    medians: dict[str, float] = {}
    print(f"{'harness':<20}{'median exec/s':>15}{'per CPU s':>12}{'target':>10}  runs")
    for harness in chosen:
        results = [one_run(harness, args.runs, env) for _ in range(args.repeat)]
        rates = sorted(wall for wall, _ in results)
        per_cpu = sorted(c for _, c in results if c is not None)
        medians[harness.name] = statistics.median(rates)
        cpu_median = f"{statistics.median(per_cpu):,.0f}" if per_cpu else "-"
        target = TARGETS.get(harness.name)
        verdict = "" if target is None else ("ok" if medians[harness.name] >= target else "BELOW")
        print(f"{harness.name:<20}{medians[harness.name]:>15,.0f}{cpu_median:>12}"
              f"{target or '-':>10}  {', '.join(f'{r:,.0f}' for r in rates)} "
              f"(per CPU s: {', '.join(f'{c:,.0f}' for c in per_cpu)}) {verdict}")
    if args.write_baselines:
        _write(medians, args.runs, args.repeat)
    return 0


def _write(medians: dict[str, float], runs: int, repeat: int) -> None:
    path = ROOT / "baselines.json"
    data = {"how": f"benchmarks/bench_fuzz.py: median of {repeat} runs of {runs} executions, "
                   "one core", "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
            "harnesses": {name: {"exec_per_sec": round(rate)} for name, rate in medians.items()}}
    if path.is_file():
        old = json.loads(path.read_text(encoding="utf-8")).get("harnesses", {})
        data["harnesses"] = {**old, **data["harnesses"]}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
