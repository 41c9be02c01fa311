"""One conformance run: hello, sanity, vector and generated cases, verdicts, a `RunReport`.

Cases go to the implementation in pipelined batches. When the implementation breaks the
shim protocol (crash, hang, garbage), only the case in flight gets CRASH or TIMEOUT; the
implementation is restarted and the rest of the batch is sent again. With `jobs > 1`,
each worker thread owns one implementation process and takes batches from a shared queue.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from conformance.cases import OPERATION_PROFILES, Case, Step, inject_guards, profile_of
from conformance.expectations import Expectations, apply_expectation
from conformance.generate import (
    DEFAULT_CASES_PER_OPERATION,
    Oracle,
    generate_cases,
    sanity_case,
)
from conformance.judge import judge_case
from conformance.model import PROFILES, CaseResult, RunReport, Verdict
from conformance.progress import Progress
from conformance.shimclient import Request, ShimClient, ShimError, ShimTimeout

__all__ = [
    "Client",
    "ImplementationError",
    "RunOptions",
    "client_factory_for",
    "load_vector_cases",
    "run_suite",
    "start_implementation",
]

_BATCH_REQUESTS = 2048  # large: the shim never waits for the runner between batches
_MAX_RESTARTS = 25
_STDERR_TAIL = 2000
_SHIM_PROFILES = tuple(p for p in PROFILES if p != "IHP-HTTP")


class Client(Protocol):
    """What the runner needs from `ShimClient` / `InProcessClient`."""

    def hello(self) -> dict[str, Any]: ...
    def call_many(
        self, requests: Sequence[Request], on_response: Callable[[], None] | None = None
    ) -> list[dict[str, Any]]: ...
    def close(self) -> int | None: ...
    def stderr_text(self) -> str: ...


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
    max_restarts: int = _MAX_RESTARTS
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


# ---------------------------------------------------------------- verdicts


def _result(
    case: Case, verdict: Verdict, detail: str, actual: object, args: Mapping[str, Any],
    expectations: Expectations, duration: float,
) -> CaseResult:  # fmt: skip
    final, why = apply_expectation(verdict, expectations.lookup(case.case_id, case.flags))
    text = "; ".join(t for t in (detail, why) if t)
    return CaseResult(
        case.case_id, case.operation, case.profile, final, case.flags, case.comment,
        args, case.report_expected(), actual, text, duration,
    )  # fmt: skip


# ---------------------------------------------------------------- execution


@dataclass
class _Shared:
    """State the workers share: the queue of batches, results, stderr, notes."""

    batches: list[list[int]]
    cases: list[Case]
    requests: list[list[dict[str, Any]]]  # per case: the args of each step, guards injected
    expectations: Expectations
    fail_fast: bool
    progress: Progress
    results: dict[int, CaseResult] = field(default_factory=dict)
    stderr: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    max_restarts: int = _MAX_RESTARTS
    restarts: int = 0
    stop: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_batch(self) -> list[int] | None:
        with self.lock:
            if self.stop or not self.batches:
                return None
            return self.batches.pop(0)

    def record(self, index: int, result: CaseResult) -> None:
        with self.lock:
            self.results[index] = result
            if self.fail_fast and result.unexpected:
                self.stop = True
        if result.unexpected:
            self.progress.advance(0, failed=1)


class _Worker:
    """One implementation process (restarted as needed) working through batches."""

    def __init__(
        self, shared: _Shared, factory: Callable[[], Client], client: Client | None
    ) -> None:
        self.shared = shared
        self.factory = factory
        self.client = client
        self.serial = 0 if client is None else 1

    def run(self) -> None:
        if self.client is None and not self._restart(counted=False):
            return
        while (batch := self.shared.next_batch()) is not None:
            self._run_batch(batch)

    def _retire(self, why: str = "") -> None:
        if self.client is None:
            return
        if not why:
            code = self.client.close()
            if code not in (0, None):
                why = f"exited with status {code} at the end of the run"
        text = self.client.stderr_text()
        if text or why:
            head = f"--- implementation process #{self.serial}" + (f" ({why})" if why else "")
            with self.shared.lock:
                self.shared.stderr.append(f"{head} ---\n{text}")
        self.client = None

    def _restart(self, counted: bool = True) -> bool:
        with self.shared.lock:
            self.shared.restarts += counted
            if self.shared.restarts > self.shared.max_restarts:
                return False
        try:
            client = self.factory()
            client.hello()
        except (ShimError, OSError) as exc:
            with self.shared.lock:
                self.shared.notes.append(f"the implementation could not be restarted: {exc}")
            return False
        self.client = client
        self.serial += 1
        return True

    def _run_batch(self, batch: list[int]) -> None:
        shared = self.shared
        pending = list(batch)
        while pending:
            if self.client is None and not self._restart():
                for index in pending:
                    self._finish(index, Verdict.CRASH, "implementation not running "
                                 "(restart failed or too many restarts)", None, 0.0)  # fmt: skip
                return
            assert self.client is not None
            flat = [(i, s) for i in pending for s in range(len(shared.cases[i].steps))]
            reqs = [(shared.cases[i].operation, shared.requests[i][s]) for i, s in flat]
            started = time.perf_counter()
            try:
                responses = self.client.call_many(reqs, shared.progress.advance)
                failure: ShimError | None = None
            except ShimError as exc:
                responses, failure = exc.completed, exc
            per_request = (time.perf_counter() - started) / max(len(responses) + 1, 1)
            done = 0
            for index in pending:
                n = len(shared.cases[index].steps)
                if done + n > len(responses):
                    break
                case_responses = responses[done : done + n]
                verdict, why, actual = judge_case(shared.cases[index], case_responses)
                self._finish(index, verdict, why, actual, per_request * n)
                done += n
                if shared.stop:
                    return
            answered = [i for i in pending if i in shared.results]
            pending = pending[len(answered) :]
            if failure is None:
                return
            in_flight = pending.pop(0)
            verdict = Verdict.TIMEOUT if isinstance(failure, ShimTimeout) else Verdict.CRASH
            tail = failure.stderr[-_STDERR_TAIL:].strip()
            detail = str(failure) + (f"; stderr: {tail}" if tail else "")
            self._finish(in_flight, verdict, detail, None, per_request)
            self._retire(f"{failure.kind}: {failure}")
            if shared.stop:
                return

    def _finish(
        self, index: int, verdict: Verdict, why: str, actual: object, duration: float
    ) -> None:
        case = self.shared.cases[index]
        args = _shown_args(case, self.shared.requests[index])
        self.shared.record(
            index,
            _result(case, verdict, why, actual, args, self.shared.expectations, duration),
        )


def _shown_args(case: Case, requests: list[dict[str, Any]]) -> dict[str, Any]:
    if len(requests) == 1:
        return requests[0]
    return {"steps": requests}


def _batches(cases: Sequence[Case], indices: Sequence[int]) -> list[list[int]]:
    batches: list[list[int]] = []
    current: list[int] = []
    size = 0
    for index in indices:
        current.append(index)
        size += len(cases[index].steps)
        if size >= _BATCH_REQUESTS:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


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
        tail = exc.stderr.strip()[-_STDERR_TAIL:]
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
    generated = generate_cases(seed, options.cases, ops, oracle)
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
            results[index] = _result(case, Verdict.UNSUPPORTED, "operation not in hello's ops",
                                     None, requests[index][0], Expectations(), 0.0)  # fmt: skip
        elif exp is not None and exp.action == "skip" and case.origin != "sanity":
            results[index] = _result(case, Verdict.SKIP, f"skipped: {exp.reason}", None,
                                     requests[index][0], Expectations(), 0.0)  # fmt: skip
        else:
            runnable.append(index)

    sanity_last = [runnable.pop()] if last is not None and runnable else []
    steps = sum(len(ordered[i].steps) for i in runnable) + len(sanity_last)
    progress = Progress(steps, enabled=options.progress)
    shared = _Shared(
        batches=_batches(ordered, runnable), cases=ordered, requests=requests,
        expectations=options.expectations, fail_fast=options.fail_fast, progress=progress,
        results=results, max_restarts=options.max_restarts,
    )  # fmt: skip
    workers = [_Worker(shared, factory, first_client)]
    workers += [_Worker(shared, factory, None) for _ in range(options.jobs - 1)]
    _execute(workers)
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


def _execute(workers: list[_Worker]) -> None:
    """Work through the shared batches, one thread per worker beyond the first."""
    threads = [threading.Thread(target=w.run, daemon=True) for w in workers[1:]]
    for t in threads:
        t.start()
    workers[0].run()
    for t in threads:
        t.join()
