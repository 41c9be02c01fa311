"""Run the suite against mutants: which are detected ("killed"), and by which case."""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass

from conformance.inprocess import InProcessClient
from conformance.mutants._catalog import MUTANTS, Mutant
from conformance.runner import RunOptions, run_suite

__all__ = ["KillResult", "kill", "render_kill_table"]


@dataclass(frozen=True)
class KillResult:
    mutant: Mutant
    killed: bool
    first_failure: str  # the first case with an unexpected verdict ("" if none)
    operation: str  # that case's operation
    verdict: str
    cases: int
    seconds: float


def _options(mutant: Mutant, seed: int, cases: int, subprocess: bool, vectors: bool) -> RunOptions:
    if subprocess:
        impl = shlex.join([sys.executable, "-m", "conformance.mutants", mutant.name])
        return RunOptions(impl=impl, seed=seed, cases=cases, fail_fast=True, progress=False,
                          vectors=vectors)  # fmt: skip
    return RunOptions(
        impl=f"mutant:{mutant.name}", seed=seed, cases=cases, fail_fast=True, progress=False,
        vectors=vectors,
        client_factory=lambda: InProcessClient(mutant.session, name=mutant.name),
    )  # fmt: skip


def kill(
    names: Iterable[str] | None = None,
    seed: int = 1,
    cases: int = 60,
    subprocess: bool = False,
    vectors: bool = True,
) -> list[KillResult]:
    """Run the suite (fail-fast) against each mutant; in process unless `subprocess`;
    without the vector files when `vectors` is false (generated cases only)."""
    out: list[KillResult] = []
    for name in names if names is not None else MUTANTS:
        mutant = MUTANTS[name]
        started = time.perf_counter()
        report = run_suite(_options(mutant, seed, cases, subprocess, vectors))
        bad = report.unexpected()
        out.append(KillResult(
            mutant, bool(bad), bad[0].case_id if bad else "", bad[0].operation if bad else "",
            str(bad[0].verdict) if bad else "",
            len(report.results), time.perf_counter() - started,
        ))  # fmt: skip
    return out


def render_kill_table(results: list[KillResult]) -> str:
    """One line per mutant, then the kill rate."""
    width = max((len(r.mutant.name) for r in results), default=10)
    lines = [f"{'mutant'.ljust(width)}  status    {'spec'.ljust(28)}  detected by"]
    for r in results:
        status = "killed" if r.killed else "SURVIVED"
        by = f"{r.first_failure} ({r.verdict})" if r.killed else r.mutant.defect
        lines.append(f"{r.mutant.name.ljust(width)}  {status:8}  {r.mutant.spec[:28]:28}  {by}")
    killed = sum(r.killed for r in results)
    rate = 100.0 * killed / len(results) if results else 0.0
    lines.append(f"\n{killed}/{len(results)} mutants killed ({rate:.0f} %)")
    return "\n".join(lines)
