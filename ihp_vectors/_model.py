"""The one case type, from the vector loader through generation, execution, judging and
reports: a `Case` is one or more shim requests (`Step`s) with exact expectations.

`load_cases()` gives the vector cases as `Case`s; `conformance.generate` makes generated
ones; the runner sends them, `conformance.judge` compares the answers, and a report shows
their arguments through one function (`conformance.execute.shown_args`). A case with
several steps is a replay sequence: its steps share one replay guard, whose name the runner
makes fresh for each case. (The HTTP suite's cases are procedures against a live server,
not data: `conformance.http_suite.HttpCase` is a request-building function with its
judgement; its results are the same `CaseResult`s. A vector generator declares a case
before the reference answers it: `ihp_vectors._build.CaseSpec` becomes a `Case` when the
file is loaded.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Case", "Note", "Result", "Step"]

Result = Literal["valid", "invalid"]


@dataclass(frozen=True, slots=True)
class Step:
    """One request and its one exact expected outcome: a result object or an error code.

    In a vector replay sequence `args` omit `replay_guard`: the runner injects the case's
    fresh guard name.
    """

    args: Mapping[str, Any]
    expected: Mapping[str, Any] | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        if (self.expected is None) == (self.error is None):
            raise ValueError("a step expects exactly one of a result and an error code")

    @property
    def outcome(self) -> dict[str, Any]:
        """The expected outcome as reports show it."""
        if self.error is not None:
            return {"error": self.error}
        return {"result": dict(self.expected or {})}


@dataclass(frozen=True, slots=True)
class Case:
    """A test case: stable id, operation, profile, its steps (one unless a replay sequence).

    `rules` are the spec rule ids (docs/TRACEABILITY.md) a vector case exercises; `file`
    and `source` say which vector file and generator it comes from (empty for generated
    cases); `origin` is "vector", "generated" or "sanity".
    """

    case_id: str
    operation: str
    profile: str
    steps: tuple[Step, ...]
    flags: tuple[str, ...] = ()
    comment: str = ""
    origin: str = "vector"
    rules: tuple[str, ...] = ()
    file: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError(f"case {self.case_id} has no steps")

    @property
    def sequence(self) -> bool:
        """True for a replay sequence (the runner injects a fresh guard name)."""
        return (len(self.steps) > 1 or self.profile == "IHP-Replay"
                or "replay_guard" in self.steps[0].args)  # fmt: skip

    @property
    def result(self) -> Result:
        """"invalid" when a step expects an error (Wycheproof's `result`)."""
        return "invalid" if any(step.error is not None for step in self.steps) else "valid"

    @property
    def args(self) -> Mapping[str, Any]:
        """The first step's arguments (a single request's, or a sequence's first)."""
        return self.steps[0].args

    @property
    def expected(self) -> Mapping[str, Any] | None:
        """The last step's expected result (None when it expects an error)."""
        return self.steps[-1].expected

    @property
    def error(self) -> str | None:
        """The last step's expected error code (None when it expects a result)."""
        return self.steps[-1].error

    def report_expected(self) -> object:
        """The expected outcome as reports show it: one, or one per step."""
        if len(self.steps) == 1:
            return self.steps[0].outcome
        return [s.outcome for s in self.steps]


@dataclass(frozen=True, slots=True)
class Note:
    """What a flag means: Wycheproof's `notes` entry."""

    flag: str
    bug_type: str
    description: str
