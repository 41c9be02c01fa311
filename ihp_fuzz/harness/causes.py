"""What a difference between a shim and the reference is a case of: its cause.

A cause is named by the spec §15 divergences that explain it: of the flags whose
divergence could change this request's outcome (`ihp_vectors.divergences`), those that can
turn the reference's outcome into the shim's (`explains`; and when several can, those
whose divergence mutant, run in-process, gives the shim's very answer); else by the
operation and the kind of difference (the reference's outcome → what the shim gave:
`ok`, another `error`, another `result`, a `crash`, `timeout` or `protocol` break). A
difference on a request that touches a question the spec leaves open
(`docs/INTERPRETATIONS.md`) is named by those questions and is never a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from ihp_vectors.divergences import divergence_flags, explains, open_questions

__all__ = ["Answer", "Cause", "cause_of"]

#: (label, result): label is "ok", an error code, "unsupported", or a ShimError kind
Answer = tuple[str, Any]
_SLUG = re.compile(r"[^A-Za-z0-9_+.-]+")
_SHIM_FAILURES = ("crash", "timeout", "protocol")


@dataclass(frozen=True, slots=True)
class Cause:
    operation: str
    expected: str  # the reference's label: "ok" or an error code
    provided: str  # "ok", "error", "result", "crash", "timeout" or "protocol"
    flags: tuple[str, ...] = ()
    open_questions: tuple[str, ...] = ()  # when set, not a finding

    @property
    def is_finding(self) -> bool:
        return not self.open_questions

    @property
    def name(self) -> str:
        """How reports name it: its flags, or `op: expected → provided`."""
        if self.open_questions:
            return "open question " + "+".join(self.open_questions)
        if self.flags:
            return "+".join(self.flags)
        return f"{self.operation}: {self.expected} → {self.provided}"

    @property
    def slug(self) -> str:
        """The name as a file name (and the last part of `finding_id`)."""
        if self.open_questions:
            return _SLUG.sub("-", "open-" + "+".join(self.open_questions))
        if self.flags:
            return "+".join(self.flags)
        return _SLUG.sub("-", f"{self.operation}.{self.expected}-to-{self.provided}")

    @property
    def finding_id(self) -> str:
        """What an expectations file's glob matches: `fuzz/differential/<slug>`."""
        return f"fuzz/differential/{self.slug}"


def _kind(expected: Answer, provided: Answer) -> str | None:
    """The kind of difference, or None when the answers agree."""
    if provided[0] in _SHIM_FAILURES:
        return provided[0]
    if expected[0] == provided[0]:
        return "result" if expected[0] == "ok" and expected[1] != provided[1] else None
    return "ok" if provided[0] == "ok" else "error"


@cache
def _divergent_session(flag: str) -> Any:
    """The in-process shim that has exactly this divergence, if the catalog has one."""
    from conformance.mutants import MUTANTS

    mutant = MUTANTS.get(f"divergence-{flag}")
    return None if mutant is None else mutant.session()


def _answer_of(session: Any, op: str, args: dict[str, Any]) -> Answer:
    response = session.handle({"id": 0, "op": op, "args": args})
    if response.get("ok"):
        return "ok", response.get("result")
    return str(response.get("error")), None


def _outcome(answer: Answer) -> str:
    """An answer as `ihp_vectors.divergences` names outcomes: `success` or the code."""
    return "success" if answer[0] == "ok" else answer[0]


def _explaining(flags: frozenset[str], op: str, args: dict[str, Any], expected: Answer,
                provided: Answer) -> tuple[str, ...]:
    """The candidate flags that can turn the reference's outcome into the shim's (any of
    them can crash a shim); of several, those whose divergence alone gives the shim's very
    answer, if any does."""
    if provided[0] in _SHIM_FAILURES:
        candidates = sorted(flags)
    else:
        candidates = [f for f in sorted(flags)
                      if explains(f, _outcome(expected), _outcome(provided))]
    if len(candidates) > 1:
        hits = [f for f in candidates if (session := _divergent_session(f)) is not None
                and _answer_of(session, op, args) == provided]
        return tuple(hits or candidates)
    return tuple(candidates)


def cause_of(op: str, args: dict[str, Any], expected: Answer, provided: Answer) -> Cause | None:
    """The cause of the difference between the answers, or None when they agree (an
    `unsupported` answer agrees with everything)."""
    if provided[0] == "unsupported":
        return None
    kind = _kind(expected, provided)
    if kind is None:
        return None
    questions = open_questions(op, args)
    if questions:
        return Cause(op, expected[0], kind, open_questions=tuple(sorted(questions)))
    flags = _explaining(divergence_flags(op, args), op, args, expected, provided)
    return Cause(op, expected[0], kind, flags)
