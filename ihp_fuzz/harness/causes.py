"""What a difference between a shim and the reference is a case of: its cause.

A cause is named by the spec §15 divergences that explain it: of the flags whose
divergence could change this request's outcome (`ihp_vectors.divergences`), those whose
divergence mutant (`conformance.mutants`, run in-process) gives the shim's very answer;
else by the
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

from ihp_vectors.divergences import divergence_flags, open_questions

__all__ = ["Answer", "Cause", "cause_of"]

#: (label, result): label is "ok", an error code, "unsupported", or a ShimError kind
Answer = tuple[str, Any]
_SLUG = re.compile(r"[^A-Za-z0-9_+.-]+")


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
    if provided[0] in ("crash", "timeout", "protocol"):
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


def _confirmed(flags: frozenset[str], op: str, args: dict[str, Any],
               provided: Answer) -> tuple[str, ...]:
    """The candidate flags whose divergence alone gives the shim's answer. A crash, a
    timeout or a broken line no mutant makes, and a flag without a mutant, are taken on
    trust; several candidates none of which gives the answer alone (two divergences at
    once) all stay; a single candidate that does not give it explains nothing: the
    difference is another defect."""
    if not flags or provided[0] in ("crash", "timeout", "protocol"):
        return tuple(sorted(flags))
    hits = []
    for flag in sorted(flags):
        session = _divergent_session(flag)
        if session is None or _answer_of(session, op, args) == provided:
            hits.append(flag)
    if hits or len(flags) > 1:
        return tuple(hits) if hits else tuple(sorted(flags))
    return ()


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
    flags = _confirmed(divergence_flags(op, args), op, args, provided)
    return Cause(op, expected[0], kind, flags)
