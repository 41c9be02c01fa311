"""One conformance run: hello, sanity, vector and generated cases, verdicts, a `RunReport`.

Cases go to the implementation in pipelined batches. When the implementation breaks the
shim protocol (crash, hang, garbage), only the case in flight gets CRASH or TIMEOUT; the
implementation is restarted and the rest of the batch is sent again. With `jobs > 1`,
each worker thread owns one implementation process and takes batches from a shared queue.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from conformance.cases import OPERATION_PROFILES, Case, Step, inject_guards, profile_of
from conformance.execute import (
    DEFAULT_MAX_RESTARTS,
    STDERR_TAIL,
    Client,
    Shared,
    Worker,
    batches,
    execute,
    make_result,
)
from conformance.expectations import Expectations
from conformance.generate import (
    DEFAULT_CASES_PER_OPERATION,
    Oracle,
    generate_cases,
    sanity_case,
)
from conformance.model import PROFILES, CaseResult, RunReport, Verdict
from conformance.progress import Progress
from conformance.shimclient import ShimClient, ShimError

__all__ = [
    "Client",
    "ImplementationError",
    "RunOptions",
    "client_factory_for",
    "load_vector_cases",
    "run_suite",
    "start_implementation",
]

_SHIM_PROFILES = tuple(p for p in PROFILES if p != "IHP-HTTP")


class ImplementationError(Exception):
    """The implementation cannot start or does not answer `hello` (exit status 2)."""


@dataclass(frozen=True)
class RunOptions:
    """A run's settings; `client_factory` (tests, mutants) replaces starting `impl`."""

    impl: str
    profiles: tuple[str, ...] | None = None
    expectations: Expectations = field(default_factory=Expectations)
    seed: int | None = None
    cases: int = DEFAULT_CASES_PER_OPERATION
    jobs: int = 1
    fail_fast: bool = False
    timeout: float = 10.0
    progress: bool | None = None  # None: a bar when standard error is a terminal
    vectors: bool = True
    max_restarts: int = DEFAULT_MAX_RESTARTS
    client_factory: Callable[[], Client] | None = None


def client_factory_for(options: RunOptions) -> Callable[[], Client]:
    if options.client_factory is not None:
        return options.client_factory
    if options.impl == "ref":
        from conformance.inprocess import InProcessClient
        from ihp_ref.shim import ShimSession

        return lambda: InProcessClient(ShimSession, name="ref")
    return lambda: ShimClient(options.impl, timeout=options.timeout)


def load_vector_cases() -> tuple[list[Case], list[str]]:
    """Every vector case as a `Case`, and notes on what could not be loaded."""
    try:
        from ihp_vectors import load_cases

        loaded = load_cases()
    except Exception as exc:  # a broken installation: say so in the report, run the rest
        return [], [f"vector cases not loaded: {type(exc).__name__}: {exc}"]
    cases: list[Case] = []
    notes: list[str] = []
    for vc in loaded:
        try:
            raw_steps = vc.steps if vc.steps else [vc]
            steps = tuple(Step(dict(s.args), s.expected, s.error) for s in raw_steps)
            profile = vc.profile or profile_of(vc.operation, vc.args)
            cases.append(Case(vc.tc_id, vc.operation, profile, steps, tuple(vc.flags), vc.comment))
        except (ValueError, TypeError, AttributeError) as exc:
            notes.append(f"vector case {getattr(vc, 'tc_id', '?')} malformed: {exc}")
    return cases, notes


# ---------------------------------------------------------------- the run


def _launch(factory: Callable[[], Client]) -> Client:
    try:
        return factory()
    except ShimError as exc:
        raise ImplementationError(str(exc)) from None
    except OSError as exc:
        raise ImplementationError(f"cannot start the implementation: {exc}") from None


def _greet(client: Client) -> dict[str, Any]:
    try:
        return client.hello()
    except ShimError as exc:
        client.close()
        tail = exc.stderr.strip()[-STDERR_TAIL:]
        raise ImplementationError(str(exc) + (f"\nstderr:\n{tail}" if tail else "")) from None


def start_implementation(factory: Callable[[], Client]) -> tuple[Client, dict[str, Any]]:
    """Start the implementation and say hello; `ImplementationError` if it cannot."""
    client = _launch(factory)
    return client, _greet(client)


def _select(options: RunOptions, oracle: Oracle, seed: int) -> tuple[list[Case], list[str]]:
    """The vector and generated cases of the selected profiles."""
    profiles = set(options.profiles or _SHIM_PROFILES)
    cases, notes = load_vector_cases() if options.vectors else ([], [])
    ops = {op for op, p in OPERATION_PROFILES.items() if p in profiles or (
        op == "decrypt_capsule" and "IHP-Replay" in profiles)}  # fmt: skip
    generated = generate_cases(seed, options.cases, ops, oracle, notes)
    selected = [c for c in [*cases, *generated] if c.profile in profiles]
    return selected, notes


def run_suite(options: RunOptions) -> RunReport:
    """Run everything `options` asks for; raise `ImplementationError` if it cannot start."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    seed = options.seed if options.seed is not None else secrets.randbelow(2**32)
    factory = client_factory_for(options)
    first_client = _launch(factory)  # it starts up while the cases are generated
    oracle = Oracle()
    cases, notes = _select(options, oracle, seed)
    hello = _greet(first_client)
    supported = {op for op in hello.get("ops", []) if isinstance(op, str)}
    # generated cases exist only for supported operations; vector cases say "not applicable"
    cases = [c for c in cases if c.origin != "generated" or c.operation in supported]
    in_scope = {c.operation for c in cases} & supported
    first = sanity_case(in_scope, oracle, "first") or sanity_case(supported, oracle, "first")
    last = sanity_case(in_scope, oracle, "last") or sanity_case(supported, oracle, "last")
    if first is None or last is None:
        notes.append("no sanity case: the implementation supports none of the sanity operations")
    ordered = [c for c in (first, *cases, last) if c is not None]
    unmatched = options.expectations.unmatched((c.case_id, c.flags) for c in ordered)
    requests = inject_guards(ordered, f"run-{uuid.uuid4().hex[:12]}")

    results: dict[int, CaseResult] = {}
    runnable: list[int] = []
    for index, case in enumerate(ordered):
        exp = options.expectations.lookup(case.case_id, case.flags)
        if case.operation not in supported:
            results[index] = make_result(case, Verdict.UNSUPPORTED, "operation not in hello's ops",
                                     None, requests[index][0], Expectations(), 0.0)  # fmt: skip
        elif exp is not None and exp.action == "skip" and case.origin != "sanity":
            results[index] = make_result(case, Verdict.SKIP, f"skipped: {exp.reason}", None,
                                     requests[index][0], Expectations(), 0.0)  # fmt: skip
        else:
            runnable.append(index)

    sanity_last = [runnable.pop()] if last is not None and runnable else []
    steps = sum(len(ordered[i].steps) for i in runnable) + len(sanity_last)
    progress = Progress(steps, enabled=options.progress)
    shared = Shared(
        batches=batches(ordered, runnable), cases=ordered, requests=requests,
        expectations=options.expectations, fail_fast=options.fail_fast, progress=progress,
        results=results, max_restarts=options.max_restarts,
    )  # fmt: skip
    workers = [Worker(shared, factory, first_client)]
    workers += [Worker(shared, factory, None) for _ in range(options.jobs - 1)]
    execute(workers)
    if sanity_last and not shared.stop:
        shared.batches = [sanity_last]  # the first process, still running: is it alive?
        workers[0].run()
    for worker in workers:
        worker._retire()
    progress.close()
    if shared.stop:
        skipped = len(ordered) - len(shared.results)
        shared.notes.append(f"fail-fast: stopped at the first unexpected verdict; "
                            f"{skipped} case(s) not run")  # fmt: skip
    if shared.restarts:
        shared.notes.append(f"the implementation was restarted {shared.restarts} time(s)")
    return RunReport(
        implementation=str(hello.get("implementation", options.impl)),
        implementation_version=str(hello.get("version", "")),
        seed=seed,
        results=[shared.results[i] for i in sorted(shared.results)],
        stderr="\n".join(shared.stderr),
        command=options.impl,
        profiles=tuple(options.profiles or _SHIM_PROFILES),
        unmatched_expectations=unmatched,
        started_at=started_at,
        duration_s=time.perf_counter() - t0,
        notes=[*notes, *shared.notes],
        settings={
            "cases": options.cases,
            "profiles": ",".join(options.profiles or _SHIM_PROFILES),
            "jobs": options.jobs,
            "timeout": options.timeout,
            "fail_fast": options.fail_fast,
            "vectors": options.vectors,
        },
    )
