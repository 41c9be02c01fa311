"""The pytest plugin's items (`pytest --ihp-impl`): one per case id, run against one
implementation per pytest process; imported only when the option is given."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.cases import Case, inject_guards, with_divergences
from conformance.execute import shown_args
from conformance.expectations import (
    Expectations,
    ExpectationsError,
    apply_expectation,
    load_expectations,
)
from conformance.generate import DEFAULT_CASES_PER_OPERATION, generate_cases
from conformance.judge import judge_case
from conformance.model import CaseResult, Verdict
from conformance.reports._format import failure_lines
from conformance.runner import (
    ImplementationError,
    RunOptions,
    client_factory_for,
    load_vector_cases,
    start_implementation,
)
from conformance.shimclient import ShimError, ShimTimeout

__all__ = ["ConformanceCollector", "ConformanceItem", "collect_suite"]

_IMPL_KEY = pytest.StashKey["_Implementation"]()


class _Implementation:
    """The implementation under test for this pytest process, started on first use."""

    def __init__(self, impl: str, timeout: float) -> None:
        self.factory = client_factory_for(RunOptions(impl=impl, timeout=timeout))
        self.client: Any = None
        self.ops: set[str] = set()
        self.token = f"pytest-{uuid.uuid4().hex[:12]}"

    def ensure(self) -> Any:
        if self.client is None:
            try:
                self.client, hello = start_implementation(self.factory)
            except ImplementationError as exc:
                pytest.exit(f"ihp-conformance: implementation unusable: {exc}", returncode=2)
            self.ops = {op for op in hello.get("ops", []) if isinstance(op, str)}
        return self.client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


class ConformanceFailure(Exception):
    """A case with an unexpected verdict; its `CaseResult` explains it."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.detail)
        self.result = result


class ConformanceItem(pytest.Item):
    """One conformance case."""

    def __init__(self, *, case: Case, expectations: Expectations, **kw: Any) -> None:
        super().__init__(**kw)
        self.case = case
        self.expectations = expectations
        for flag in case.flags:
            self.user_properties.append(("flag", flag))

    def runtest(self) -> None:
        impl: _Implementation = self.config.stash[_IMPL_KEY]
        exp = self.expectations.lookup(self.case.case_id, self.case.flags)
        if exp is not None and exp.action == "skip":
            pytest.skip(f"expectations: {exp.reason}")
        client = impl.ensure()
        if self.case.operation not in impl.ops:
            pytest.skip(f"not applicable: the implementation does not support "
                        f"{self.case.operation}")  # fmt: skip
        requests = inject_guards([self.case], f"{impl.token}-{self.nodeid}")[0]
        try:
            responses = client.call_many([(self.case.operation, r) for r in requests])
            verdict, why, actual, _ = judge_case(self.case, responses)
        except ShimError as exc:
            impl.client = None  # restarted for the next item
            verdict = Verdict.TIMEOUT if isinstance(exc, ShimTimeout) else Verdict.CRASH
            why, actual = f"{exc}; stderr: {exc.stderr[-2000:]}", None
        final, note = apply_expectation(verdict, exp)
        if final == Verdict.UNSUPPORTED:
            pytest.skip("not applicable: the implementation answered 'unsupported'")
        if final == Verdict.XFAIL:
            pytest.xfail(note)
        if final != Verdict.PASS:
            shown = shown_args(requests)
            raise ConformanceFailure(CaseResult(
                self.case.case_id, self.case.operation, self.case.profile, final,
                self.case.flags, self.case.comment, shown, self.case.report_expected(),
                actual, "; ".join(t for t in (why, note) if t),
            ))  # fmt: skip

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ConformanceFailure):
            return "\n".join(failure_lines(excinfo.value.result))
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "ihp-conformance", None, self.case.case_id


class ConformanceCollector(pytest.Collector):
    """The suite's cases, as items."""

    def __init__(self, *, cases: list[Case], expectations: Expectations, **kw: Any) -> None:
        super().__init__(**kw)
        self._cases = cases
        self._expectations = expectations

    def collect(self) -> Iterator[ConformanceItem]:
        for case in self._cases:
            yield ConformanceItem.from_parent(
                self, name=case.case_id, case=case, expectations=self._expectations
            )


def _cases(config: pytest.Config) -> list[Case]:
    per_op = config.getoption("ihp_cases")
    vectors, _ = load_vector_cases()
    generated = generate_cases(
        config.getoption("ihp_seed"),
        DEFAULT_CASES_PER_OPERATION if per_op is None else per_op,
    )
    return [*vectors, *(with_divergences(c) for c in generated)]  # vectors come flagged


def collect_suite(session: pytest.Session, impl: str) -> None:
    """The suite's cases against `impl`, as the session's items."""
    config = session.config
    path = config.getoption("ihp_expectations")
    try:
        expectations = load_expectations(path) if path else Expectations()
    except ExpectationsError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_IMPL_KEY] = _Implementation(impl, config.getoption("ihp_timeout"))
    config.add_cleanup(config.stash[_IMPL_KEY].close)
    collector = ConformanceCollector.from_parent(
        session,
        name="ihp-conformance",
        nodeid="ihp-conformance",
        cases=_cases(config),
        expectations=expectations,
    )
    session.items = list(collector.collect())
    config.hook.pytest_collection_modifyitems(session=session, config=config, items=session.items)
    config.hook.pytest_collection_finish(session=session)
    session.testscollected = len(session.items)
