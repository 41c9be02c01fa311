"""Executing cases: workers, each owning one implementation process, work through
pipelined batches; a protocol break fails only the case in flight, then the process is
restarted and the rest of the batch is sent again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from conformance.cases import Case
from conformance.expectations import Expectations, apply_expectation
from conformance.judge import judge_case
from conformance.model import CaseResult, Verdict
from conformance.progress import Progress
from conformance.shimclient import Request, ShimError, ShimTimeout

__all__ = [
    "BATCH_REQUESTS",
    "DEFAULT_MAX_RESTARTS",
    "STDERR_TAIL",
    "Client",
    "Shared",
    "Worker",
    "batches",
    "execute",
    "make_result",
]

BATCH_REQUESTS = 2048  # large: the shim never waits for the runner between batches
DEFAULT_MAX_RESTARTS = 25
STDERR_TAIL = 2000


class Client(Protocol):
    """What the runner needs from `ShimClient` / `InProcessClient`."""

    def hello(self) -> dict[str, Any]: ...
    def call_many(
        self, requests: Sequence[Request], on_response: Callable[[], None] | None = None
    ) -> list[dict[str, Any]]: ...
    def close(self) -> int | None: ...
    def stderr_text(self) -> str: ...


def make_result(
    case: Case, verdict: Verdict, detail: str, actual: object, args: Mapping[str, Any],
    expectations: Expectations, duration: float,
) -> CaseResult:  # fmt: skip
    final, why = apply_expectation(verdict, expectations.lookup(case.case_id, case.flags))
    text = "; ".join(t for t in (detail, why) if t)
    return CaseResult(
        case.case_id, case.operation, case.profile, final, case.flags, case.comment,
        args, case.report_expected(), actual, text, duration,
    )  # fmt: skip


@dataclass
class Shared:
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
    max_restarts: int = DEFAULT_MAX_RESTARTS
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
            tail = failure.stderr[-STDERR_TAIL:].strip()
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
            make_result(case, verdict, why, actual, args, self.shared.expectations, duration),
        )


def _shown_args(case: Case, requests: list[dict[str, Any]]) -> dict[str, Any]:
    if len(requests) == 1:
        return requests[0]
    return {"steps": requests}


def batches(cases: Sequence[Case], indices: Sequence[int]) -> list[list[int]]:
    batches: list[list[int]] = []
    current: list[int] = []
    size = 0
    for index in indices:
        current.append(index)
        size += len(cases[index].steps)
        if size >= BATCH_REQUESTS:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


def execute(workers: list[Worker]) -> None:
    """Work through the shared batches, one thread per worker beyond the first."""
    threads = [threading.Thread(target=w.run, daemon=True) for w in workers[1:]]
    for t in threads:
        t.start()
    workers[0].run()
    for t in threads:
        t.join()
