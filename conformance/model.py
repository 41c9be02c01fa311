"""Verdicts, per-case results and run reports: what every suite (`run`, `http`) produces.

A `RunReport` is a plain value; the writers in `conformance.reports` only read it. The
per-profile rule is the shim protocol's: an implementation conforms to a profile only
when every case of that profile passed.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "EXPECTED_VERDICTS",
    "PROFILES",
    "UNEXPECTED_VERDICTS",
    "CaseResult",
    "Deviation",
    "ProfileStatus",
    "ProfileSummary",
    "RunReport",
    "Verdict",
]

#: The conformance profiles of the shim protocol, in the order reports list them.
PROFILES: tuple[str, ...] = (
    "IHP-Core",
    "IHP-Wire",
    "IHP-Token",
    "IHP-Client",
    "IHP-Replay",
    "IHP-HTTP",
)


class Verdict(enum.StrEnum):
    """The outcome of one case."""

    PASS = "PASS"
    FAIL = "FAIL"
    XFAIL = "XFAIL"  # failed, and the expectations file said it would
    XPASS = "XPASS"  # passed although the expectations file said it would fail
    SKIP = "SKIP"  # not run: the expectations file said so
    UNSUPPORTED = "UNSUPPORTED"  # the implementation does not implement the operation
    TIMEOUT = "TIMEOUT"  # no answer within the per-request timeout
    CRASH = "CRASH"  # the implementation died or wrote garbage
    NOT_RUN = "NOT_RUN"  # not sent: the implementation kept crashing on its operation


#: Verdicts that make a run fail (exit status 1).
UNEXPECTED_VERDICTS: frozenset[Verdict] = frozenset(
    {Verdict.FAIL, Verdict.XPASS, Verdict.TIMEOUT, Verdict.CRASH, Verdict.NOT_RUN}
)
#: Verdicts that are fine for the run.
EXPECTED_VERDICTS: frozenset[Verdict] = frozenset(Verdict) - UNEXPECTED_VERDICTS
#: Verdicts of cases that were actually executed against the implementation.
_RAN_VERDICTS: frozenset[Verdict] = frozenset(Verdict) - {
    Verdict.SKIP, Verdict.UNSUPPORTED, Verdict.NOT_RUN}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One case's verdict with what was sent, what was expected and what came back.

    `args`, `expected` and `actual` are test inputs and outputs (vectors, not secrets):
    reports show them so that a failure can be reproduced by hand. A run keeps them for
    the cases that did not pass only (unless asked to keep everything): a passing case is
    its id and verdict. `difference` is the kind of difference (`"Codec→success"`),
    `expectation` the expectations entry that applied (its label), `deviation` the id of
    the deviation the case belongs to (set when the run is triaged).
    """

    case_id: str
    operation: str
    profile: str
    verdict: Verdict
    flags: tuple[str, ...] = ()
    comment: str = ""
    args: Mapping[str, object] | None = None
    expected: object = None
    actual: object = None
    detail: str = ""
    duration_s: float = 0.0
    difference: str = ""
    rules: tuple[str, ...] = ()
    expectation: str = ""
    deviation: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.verdict, Verdict):
            object.__setattr__(self, "verdict", Verdict(self.verdict))
        if not isinstance(self.flags, tuple):
            object.__setattr__(self, "flags", tuple(self.flags))

    @property
    def unexpected(self) -> bool:
        """True when this verdict makes the run fail."""
        return self.verdict in UNEXPECTED_VERDICTS

    @property
    def ran(self) -> bool:
        """True when the case was executed (not skipped, not unsupported)."""
        return self.verdict in _RAN_VERDICTS


@dataclass(frozen=True, slots=True)
class Deviation:
    """One distinct defect: the unexpected (or known) verdicts that share a cause.

    Cases group by the spec §15 flag that explains them when there is one; otherwise by
    operation and kind of difference (`"HeaderIdMismatch→success"`), or by the way the
    implementation broke the shim protocol (crash, timeout). `example` is the smallest
    failing case (fewest input bytes). `known`: every case was expected (an expectations
    entry), so the deviation does not fail the run.
    """

    deviation_id: str
    title: str
    kind: str  # "divergence", "difference", "crash", "timeout", "xpass"
    known: bool
    example: CaseResult
    case_ids: tuple[str, ...]
    operations: tuple[str, ...]
    flag: str | None = None
    rules: tuple[str, ...] = ()
    section: str = ""
    note: str = ""
    not_run: int = 0  # cases of its operations not sent because of it (crash storms)

    @property
    def count(self) -> int:
        return len(self.case_ids)


class ProfileStatus(enum.StrEnum):
    """Whether an implementation conforms to one profile."""

    CONFORMS = "conforms"  # every case of the profile passed
    DOES_NOT_CONFORM = "does not conform"  # some case did not pass
    NOT_APPLICABLE = "not applicable"  # the implementation supports none of its operations
    NOT_TESTED = "not tested"  # no case of the profile was in this run


@dataclass(frozen=True, slots=True)
class ProfileSummary:
    """Verdict counts of one profile and the conformance statement they support."""

    profile: str
    counts: Mapping[Verdict, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def passed(self) -> int:
        return self.counts.get(Verdict.PASS, 0)

    @property
    def failed(self) -> int:
        return sum(n for v, n in self.counts.items() if v in UNEXPECTED_VERDICTS)

    @property
    def not_applicable(self) -> int:
        return self.counts.get(Verdict.UNSUPPORTED, 0)

    @property
    def status(self) -> ProfileStatus:
        if self.total == 0:
            return ProfileStatus.NOT_TESTED
        if self.not_applicable == self.total:
            return ProfileStatus.NOT_APPLICABLE
        if self.passed == self.total:
            return ProfileStatus.CONFORMS
        return ProfileStatus.DOES_NOT_CONFORM


def _count(results: Iterable[CaseResult]) -> dict[Verdict, int]:
    counter = Counter(r.verdict for r in results)
    return {v: counter[v] for v in Verdict if counter[v]}


@dataclass(slots=True)
class RunReport:
    """Everything one run produced.

    `implementation` names the implementation under test (its `hello` name, or a URL);
    `seed` is the seed of the generated cases (`None` when nothing was generated);
    `stderr` is what the implementation wrote on standard error (crashes included).
    """

    implementation: str
    seed: int | None
    results: list[CaseResult]
    stderr: str = ""
    implementation_version: str = ""
    command: str = ""
    suite: str = "run"
    profiles: tuple[str, ...] = ()  # profiles in scope; others appear only if they have results
    unmatched_expectations: tuple[str, ...] = ()  # expectation globs that matched no case
    unshown_divergences: tuple[str, ...] = ()  # known divergences (by flag) that never showed
    deviations: list[Deviation] = field(default_factory=list)  # set by `triage`
    started_at: str = ""  # ISO 8601, UTC
    duration_s: float = 0.0
    notes: list[str] = field(default_factory=list)  # free-text remarks (restarts, aborts)
    settings: dict[str, object] = field(default_factory=dict)  # what reproduces the run

    def counts(self) -> dict[Verdict, int]:
        """Verdict → number of cases, only verdicts that occurred."""
        return _count(self.results)

    def profile_summaries(self) -> list[ProfileSummary]:
        """One summary per profile in scope or with results, in `PROFILES` order."""
        seen = {r.profile for r in self.results} | set(self.profiles)
        order = [p for p in PROFILES if p in seen] + sorted(seen - set(PROFILES))
        return [ProfileSummary(p, _count(r for r in self.results if r.profile == p)) for p in order]

    def operation_summaries(self) -> list[tuple[str, dict[Verdict, int]]]:
        """(operation, verdict counts) for every operation with results, sorted by name."""
        ops = sorted({r.operation for r in self.results})
        return [(op, _count(r for r in self.results if r.operation == op)) for op in ops]

    def unexpected(self) -> list[CaseResult]:
        """The results that make the run fail, in run order."""
        return [r for r in self.results if r.unexpected]

    def exit_status(self) -> int:
        """0: at least one case ran and nothing was unexpected; 1 otherwise."""
        if self.unexpected():
            return 1
        return 0 if any(r.ran for r in self.results) else 1
