"""One conformance run: hello, sanity, vector and generated cases, verdicts, a `RunReport`.

Cases go to the implementation in pipelined batches. When the implementation breaks the
shim protocol (crash, hang, garbage), only the case in flight gets CRASH or TIMEOUT; the
implementation is restarted and the rest of the batch is sent again. With `jobs > 1`,
each worker thread owns one implementation process and takes batches from a shared queue.
"""

from __future__ import annotations

import itertools
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from conformance.cases import (
    OPERATION_PROFILES,
    Case,
    inject_guards,
    with_divergences,
)
from conformance.execute import (
    BATCH_REQUESTS,
    DEFAULT_MAX_RESTARTS,
    FAIL_FAST_BATCH_REQUESTS,
    STDERR_TAIL,
    Batch,
    Client,
    Shared,
    Worker,
    execute,
    make_result,
    shown_args,
)
from conformance.expectations import Expectations
from conformance.generate import (
    DEFAULT_CASES_PER_OPERATION,
    Oracle,
    planned_cases,
    sanity_case,
)
from conformance.memo import FlagMemo, GeneratedMemo
from conformance.model import PROFILES, RunReport, Verdict
from conformance.progress import Progress
from conformance.shimclient import ShimClient, ShimError
from conformance.triage import triage, unshown_divergences

__all__ = [
    "Client",
    "ImplementationError",
    "RunCases",
    "RunOptions",
    "client_factory_for",
    "load_vector_cases",
    "numbered_requests",
    "run_cases",
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
    keep_passing: bool = False  # keep the inputs and outputs of passing cases too
    client_factory: Callable[[], Client] | None = None


def client_factory_for(options: RunOptions) -> Callable[[], Client]:
    if options.client_factory is not None:
        return options.client_factory
    if options.impl == "ref":
        from conformance.inprocess import InProcessClient
        from ihp_ref.shim import ShimSession

        return lambda: InProcessClient(ShimSession, name="ref")
    return lambda: ShimClient(options.impl, timeout=options.timeout)


_VECTOR_FLAGS = FlagMemo()
_GENERATED = GeneratedMemo()


def load_vector_cases() -> tuple[list[Case], list[str]]:
    """Every vector case with its §15 flags, and notes on what could not be loaded."""
    try:
        from ihp_vectors import load_cases

        cases = load_cases()
    except Exception as exc:  # a broken installation: say so in the report, run the rest
        return [], [f"vector cases not loaded: {type(exc).__name__}: {exc}"]
    return _VECTOR_FLAGS.of(cases), []


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


def _operations(profiles: set[str]) -> set[str]:
    """The operations whose cases the profiles hold (decryption also for IHP-Replay)."""
    return {op for op, p in OPERATION_PROFILES.items() if p in profiles or (
        op == "decrypt_capsule" and "IHP-Replay" in profiles)}  # fmt: skip


@dataclass
class _Stream:
    """The run's cases, one batch at a time: each case gets its index, its §15 flags and
    its fresh replay-guard name; cases that are not sent (unsupported, skipped, abandoned)
    get their result here; expectations entries are marked as they match."""

    cases: Iterator[Case]
    supported: set[str]
    options: RunOptions
    run_token: str
    matched: set[int] = field(default_factory=set)
    count: int = 0  # cases drawn so far; the next one's index
    shared: Shared | None = None

    def batches(self) -> Iterator[Batch]:
        items: list[tuple[int, Case, list[dict[str, Any]]]] = []
        size = 0
        limit = FAIL_FAST_BATCH_REQUESTS if self.options.fail_fast else BATCH_REQUESTS
        for index, case, requests in numbered_requests(self.cases, self.run_token, self.count):
            self.count = index + 1
            self._match(case)
            if self._decided(index, case, requests):
                continue
            items.append((index, case, requests))
            size += len(requests)
            if size >= limit:
                yield Batch(items)
                items, size = [], 0
        if items:
            yield Batch(items)

    def _match(self, case: Case) -> None:
        for n, entry in enumerate(self.options.expectations.entries):
            if n not in self.matched and entry.matches(case.case_id, case.flags):
                self.matched.add(n)

    def _decided(self, index: int, case: Case, requests: list[dict[str, Any]]) -> bool:
        assert self.shared is not None
        exp = self.options.expectations.lookup(case.case_id, case.flags)
        if case.operation not in self.supported:
            verdict, why = Verdict.UNSUPPORTED, "operation not in hello's ops"
        elif exp is not None and exp.action == "skip" and case.origin != "sanity":
            verdict, why = Verdict.SKIP, f"skipped: {exp.reason}"
        elif (reason := self.shared.not_run_reason(case)) is not None:
            verdict, why = Verdict.NOT_RUN, reason
        else:
            return False
        shown = shown_args(requests)
        self.shared.record(index, make_result(case, verdict, why, None, shown, exp, 0.0,
                                              keep=self.options.keep_passing))  # fmt: skip
        return True

    def unmatched(self) -> tuple[str, ...]:
        entries = self.options.expectations.entries
        return tuple(e.label for n, e in enumerate(entries) if n not in self.matched)


def numbered_requests(
    cases: Iterable[Case], run_token: str, start: int = 0
) -> Iterator[tuple[int, Case, list[dict[str, Any]]]]:
    """Each case of a run with its index and the arguments of its steps: a replay
    sequence's steps share the guard name `<run_token>-<index>-0`."""
    for index, case in enumerate(cases, start):
        yield index, case, inject_guards([case], f"{run_token}-{index}")[0]


@dataclass(frozen=True)
class RunCases:
    """The ordered cases of a run: a sanity case first and last (None when the
    implementation supports no sanity operation), the body lazily, its planned size."""

    first: Case | None
    body: Iterator[Case]
    last: Case | None
    planned: int

    def all(self) -> Iterator[Case]:
        """Every case in run order (the live run sends `last` only if it did not stop)."""
        return itertools.chain([self.first] if self.first else [], self.body,
                               [self.last] if self.last else [])  # fmt: skip


def run_cases(
    options: RunOptions, seed: int, supported: set[str], oracle: Oracle, notes: list[str]
) -> RunCases:
    """The cases a run with these settings sends to an implementation that supports
    `supported`, each with its §15 flags: the live run and `ihp-conformance
    export`/`judge` share them."""
    cases, planned, in_scope = _cases(options, seed, supported, notes)
    first = sanity_case(in_scope & supported, oracle, "first") or sanity_case(
        supported, oracle, "first")
    last = sanity_case(in_scope & supported, oracle, "last") or sanity_case(
        supported, oracle, "last")
    if first is None or last is None:
        notes.append("no sanity case: the implementation supports none of the sanity operations")
    return RunCases(first and with_divergences(first), cases, last and with_divergences(last),
                    planned)  # fmt: skip


def _cases(
    options: RunOptions, seed: int, supported: set[str], notes: list[str]
) -> tuple[Iterator[Case], int, set[str]]:
    """The vector and generated cases of the selected profiles, lazily; how many there
    will be (about); and the operations in scope."""
    profiles = set(options.profiles or _SHIM_PROFILES)
    vectors, vector_notes = load_vector_cases() if options.vectors else ([], [])
    notes += vector_notes
    vectors = [c for c in vectors if c.profile in profiles]
    ops = _operations(profiles) & supported  # generated cases only for supported operations
    generated = (c for c in _GENERATED.cases(seed, options.cases, ops, notes)
                 if c.profile in profiles)  # fmt: skip
    planned = len(vectors) + planned_cases(options.cases, ops)
    in_scope = {c.operation for c in vectors} | ops
    return itertools.chain(vectors, generated), planned, in_scope


def run_suite(options: RunOptions) -> RunReport:
    """Run everything `options` asks for; raise `ImplementationError` if it cannot start."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    seed = options.seed if options.seed is not None else secrets.randbelow(2**32)
    factory = client_factory_for(options)
    first_client, hello = start_implementation(factory)
    supported = {op for op in hello.get("ops", []) if isinstance(op, str)}
    oracle = Oracle()
    notes: list[str] = []
    planned = run_cases(options, seed, supported, oracle, notes)
    first, last = planned.first, planned.last
    stream = _Stream(itertools.chain([first] if first else [], planned.body), supported, options,
                     f"run-{uuid.uuid4().hex[:12]}")  # fmt: skip
    progress = Progress(planned.planned + 2, enabled=options.progress)
    shared = Shared(
        source=stream.batches(), expectations=options.expectations, fail_fast=options.fail_fast,
        progress=progress, keep_passing=options.keep_passing, max_restarts=options.max_restarts,
    )  # fmt: skip
    stream.shared = shared
    workers = [Worker(shared, factory, first_client)]
    workers += [Worker(shared, factory, None) for _ in range(options.jobs - 1)]
    execute(workers)
    if last is not None and not shared.stop:  # the first process, still running: is it alive?
        stream.cases = iter([last])
        shared.source = stream.batches()
        workers[0].run()
    for worker in workers:
        worker.retire()
    progress.close()
    return _report(options, hello, seed, shared, stream, started_at, t0, notes)


def _report(
    options: RunOptions, hello: dict[str, Any], seed: int, shared: Shared, stream: _Stream,
    started_at: str, t0: float, notes: list[str],
) -> RunReport:  # fmt: skip
    if shared.stop:
        skipped = stream.count - len(shared.results)
        shared.notes.append(f"fail-fast: stopped at the first unexpected verdict; "
                            f"{skipped} case(s) not run")  # fmt: skip
    if shared.restarts:
        shared.notes.append(f"the implementation was restarted {shared.restarts} time(s)")
    for op, why in shared.abandoned.items():
        left = sum(1 for r in shared.results.values()
                   if r.operation == op and r.verdict == Verdict.NOT_RUN)  # fmt: skip
        shared.notes.append(f"{op}: {why}; {left} case(s) not run")
    results = [shared.results[i] for i in sorted(shared.results)]
    results, deviations = triage(results, options.expectations)
    return RunReport(
        implementation=str(hello.get("implementation", options.impl)),
        implementation_version=str(hello.get("version", "")),
        seed=seed,
        results=results,
        stderr="\n".join(shared.stderr),
        command=options.impl,
        profiles=tuple(options.profiles or _SHIM_PROFILES),
        unmatched_expectations=stream.unmatched(),
        unshown_divergences=unshown_divergences(results, options.expectations),
        deviations=deviations,
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
