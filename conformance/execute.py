"""Executing cases: workers, each owning one implementation process, pull pipelined
batches from one stream of cases; a protocol break fails only the case in flight, then the
process is restarted and the rest of the batch is sent again.

Memory stays flat however many cases a run has: cases are drawn from their source one
batch at a time, and a case that passed is kept as its id and verdict only.

Crash storms: when the implementation breaks the protocol on `STORM_CRASHES` cases of one
operation in a row (no case of that operation answered in between, expected crashes not
counted), the operation is abandoned: its remaining cases are NOT_RUN, and the run goes on
with the other operations instead of restarting once per case.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from conformance.cases import Case
from conformance.expectations import Expectation, Expectations, apply_expectation
from conformance.judge import judge_case
from conformance.model import CaseResult, Verdict
from conformance.progress import Progress
from conformance.shimclient import Request, ShimError, ShimTimeout

__all__ = [
    "BATCH_REQUESTS",
    "DEFAULT_MAX_RESTARTS",
    "FAIL_FAST_BATCH_REQUESTS",
    "STDERR_TAIL",
    "STORM_CRASHES",
    "Batch",
    "Client",
    "Shared",
    "Worker",
    "execute",
    "make_result",
    "shown_args",
]

BATCH_REQUESTS = 2048  # large: the shim never waits for the runner between batches
# a fail-fast run stops after the batch holding the first unexpected verdict: small batches
# spare it the rest of a large one (most mutants fail within the first few hundred cases)
FAIL_FAST_BATCH_REQUESTS = 128
DEFAULT_MAX_RESTARTS = 25
STORM_CRASHES = 3  # consecutive crashes on one operation that abandon it
STDERR_TAIL = 2000
_LIGHT = frozenset({Verdict.PASS, Verdict.SKIP, Verdict.UNSUPPORTED})


class Client(Protocol):
    """What the runner needs from `ShimClient` / `InProcessClient`."""

    def hello(self) -> dict[str, Any]: ...
    def call_many(
        self, requests: Sequence[Request], on_response: Callable[[], None] | None = None
    ) -> list[dict[str, Any]]: ...
    def close(self) -> int | None: ...
    def stderr_text(self) -> str: ...


def make_result(
    case: Case, verdict: Verdict, detail: str, actual: object, args: Mapping[str, Any] | None,
    exp: Expectation | None, duration: float, difference: str = "", keep: bool = False,
) -> CaseResult:  # fmt: skip
    """The case's result after its expectations entry; a passing (skipped, unsupported)
    case keeps no inputs or outputs unless `keep`."""
    final, why = apply_expectation(verdict, exp)
    label = exp.label if exp is not None and (why or final == Verdict.SKIP) else ""
    if final in _LIGHT and not keep:
        return CaseResult(case.case_id, case.operation, case.profile, final, case.flags,
                          duration_s=duration, rules=case.rules, expectation=label)  # fmt: skip
    text = "; ".join(t for t in (detail, why) if t)
    return CaseResult(
        case.case_id, case.operation, case.profile, final, case.flags, case.comment,
        args, case.report_expected(), actual, text, duration, difference, case.rules, label,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Batch:
    """Cases to send in one pipelined write: (run index, case, the args of each step)."""

    items: list[tuple[int, Case, list[dict[str, Any]]]]


@dataclass
class Shared:
    """State the workers share: the stream of batches, results, stderr, notes."""

    source: Iterator[Batch]
    expectations: Expectations
    fail_fast: bool
    progress: Progress
    keep_passing: bool = False
    results: dict[int, CaseResult] = field(default_factory=dict)
    stderr: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    max_restarts: int = DEFAULT_MAX_RESTARTS
    restarts: int = 0
    stop: bool = False
    crashes_in_a_row: dict[str, int] = field(default_factory=dict)
    abandoned: dict[str, str] = field(default_factory=dict)  # operation → why
    lock: threading.RLock = field(default_factory=threading.RLock)

    def next_batch(self) -> Batch | None:
        with self.lock:
            if self.stop:
                return None
            return next(self.source, None)

    def record(self, index: int, result: CaseResult) -> None:
        with self.lock:
            self.results[index] = result
            if self.fail_fast and result.unexpected:
                self.stop = True
            self._count_crash(result)
        self.progress.advance(1, failed=int(result.unexpected))

    def _count_crash(self, result: CaseResult) -> None:
        op = result.operation
        if result.verdict in (Verdict.CRASH, Verdict.TIMEOUT):
            self.crashes_in_a_row[op] = n = self.crashes_in_a_row.get(op, 0) + 1
            if n >= STORM_CRASHES and op not in self.abandoned:
                self.abandoned[op] = (f"not run: the implementation broke the protocol on "
                                      f"{n} {op} cases in a row")  # fmt: skip
        elif result.verdict not in (Verdict.XFAIL, Verdict.NOT_RUN):
            self.crashes_in_a_row[op] = 0

    def not_run_reason(self, case: Case) -> str | None:
        with self.lock:
            return self.abandoned.get(case.operation)


class Worker:
    """One implementation process (restarted as needed) working through batches."""

    def __init__(
        self, shared: Shared, factory: Callable[[], Client], client: Client | None
    ) -> None:
        self.shared = shared
        self.factory = factory
        self.client = client
        self.serial = 0 if client is None else 1

    def run(self) -> None:
        while (batch := self.shared.next_batch()) is not None:
            self.run_batch(batch)

    def retire(self, why: str = "") -> None:
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

    def _restart(self) -> bool:
        counted = self.serial > 0
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
                self.shared.restarts = self.shared.max_restarts + 1
            return False
        self.client = client
        self.serial += 1
        return True

    def run_batch(self, batch: Batch) -> None:
        shared = self.shared
        pending = list(batch.items)
        while pending:
            pending = self._drop_abandoned(pending)
            if not pending:
                return
            if self.client is None and not self._restart():
                for index, case, requests in pending:
                    self._finish(index, case, requests, Verdict.NOT_RUN,
                                 "not run: the implementation could not be restarted "
                                 "(restart failed or too many restarts)")  # fmt: skip
                return
            assert self.client is not None
            reqs = [(case.operation, r) for _, case, requests in pending for r in requests]
            started = time.perf_counter()
            try:
                responses = self.client.call_many(reqs)
                failure: ShimError | None = None
            except ShimError as exc:
                responses, failure = exc.completed, exc
            per_request = (time.perf_counter() - started) / max(len(responses) + 1, 1)
            done = answered = 0
            for index, case, requests in pending:
                n = len(requests)
                if done + n > len(responses):
                    break
                verdict, why, actual, difference = judge_case(case, responses[done : done + n])
                self._finish(index, case, requests, verdict, why, actual, per_request * n,
                             difference)  # fmt: skip
                done += n
                answered += 1
                if shared.stop:
                    return
            pending = pending[answered:]
            if failure is None:
                return
            index, case, requests = pending.pop(0)
            verdict = Verdict.TIMEOUT if isinstance(failure, ShimTimeout) else Verdict.CRASH
            tail = failure.stderr[-STDERR_TAIL:].strip()
            detail = str(failure) + (f"; stderr: {tail}" if tail else "")
            self._finish(index, case, requests, verdict, detail, None, per_request)
            self.retire(f"{failure.kind}: {failure}")
            if shared.stop:
                return

    def _drop_abandoned(
        self, pending: list[tuple[int, Case, list[dict[str, Any]]]]
    ) -> list[tuple[int, Case, list[dict[str, Any]]]]:
        keep = []
        for index, case, requests in pending:
            why = self.shared.not_run_reason(case)
            if why is None:
                keep.append((index, case, requests))
            else:
                self._finish(index, case, requests, Verdict.NOT_RUN, why)
        return keep

    def _finish(
        self, index: int, case: Case, requests: list[dict[str, Any]], verdict: Verdict,
        why: str, actual: object = None, duration: float = 0.0, difference: str = "",
    ) -> None:  # fmt: skip
        shared = self.shared
        exp = shared.expectations.lookup(case.case_id, case.flags)
        args = shown_args(requests)
        shared.record(index, make_result(case, verdict, why, actual, args, exp, duration,
                                         difference, shared.keep_passing))  # fmt: skip


def shown_args(requests: list[dict[str, Any]]) -> dict[str, Any]:
    """What a report shows of a case's arguments: the request's args, or every step's."""
    if len(requests) == 1:
        return requests[0]
    return {"steps": requests}


def execute(workers: list[Worker]) -> None:
    """Work through the shared batches, one thread per worker beyond the first."""
    threads = [threading.Thread(target=w.run, daemon=True) for w in workers[1:]]
    for t in threads:
        t.start()
    workers[0].run()
    for t in threads:
        t.join()
