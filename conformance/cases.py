"""What the runner executes: a `Case` is one or more shim requests with exact expectations.

Vector cases come from `ihp_vectors.load_cases()`; generated cases from
`conformance.generate`. A case with several steps is a replay sequence: its steps share
one replay guard, whose name the runner makes fresh for each case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ihp_vectors.divergences import divergence_flags

__all__ = [
    "OPERATION_PROFILES",
    "Case",
    "Step",
    "inject_guards",
    "profile_of",
    "with_divergences",
]

#: The shim protocol's profile table: operation → the profile that needs it.
OPERATION_PROFILES: Mapping[str, str] = {
    "config_validate": "IHP-Core",
    "sep_hash": "IHP-Core",
    "derive_profile_key": "IHP-Core",
    "derive_session_key": "IHP-Core",
    "encrypt_capsule": "IHP-Core",
    "decrypt_capsule": "IHP-Core",
    "capsule_from_json": "IHP-Wire",
    "capsule_to_json": "IHP-Wire",
    "capsule_from_binary": "IHP-Wire",
    "capsule_to_binary": "IHP-Wire",
    "session_token": "IHP-Token",
    "rtt_bucket": "IHP-Client",
}


def profile_of(operation: str, args: Mapping[str, Any] | None = None) -> str:
    """The profile of a request: decryption with a replay guard is IHP-Replay."""
    if operation == "decrypt_capsule" and args is not None and "replay_guard" in args:
        return "IHP-Replay"
    return OPERATION_PROFILES.get(operation, "IHP-Core")


@dataclass(frozen=True, slots=True)
class Step:
    """One request and its one exact expected outcome: a result object or an error code."""

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
    """A test case: stable id, operation, profile, its steps (one unless a replay sequence)."""

    case_id: str
    operation: str
    profile: str
    steps: tuple[Step, ...]
    flags: tuple[str, ...] = ()
    comment: str = ""
    origin: str = "vector"  # "vector", "generated" or "sanity"
    rules: tuple[str, ...] = ()  # the spec rules a vector case tests (docs/TRACEABILITY.md)

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError(f"case {self.case_id} has no steps")

    @property
    def sequence(self) -> bool:
        """True for a replay sequence (the runner injects a fresh guard name)."""
        return len(self.steps) > 1 or "replay_guard" in self.steps[0].args

    def report_args(self) -> dict[str, Any]:
        """The inputs as reports show them."""
        if len(self.steps) == 1:
            return dict(self.steps[0].args)
        return {"steps": [dict(s.args) for s in self.steps]}

    def report_expected(self) -> object:
        if len(self.steps) == 1:
            return self.steps[0].outcome
        return [s.outcome for s in self.steps]


def with_divergences(case: Case) -> Case:
    """The case with the spec §15 flags of its inputs added (`ihp_vectors.divergences`):
    flags are computed, never hand-kept, for vector and generated cases alike. In a replay
    sequence every step after the first meets a guard that has seen a capsule."""
    found: set[str] = set()
    for n, step in enumerate(case.steps):
        args = {**step.args, "replay_guard": "case"} if case.sequence else step.args
        found |= divergence_flags(case.operation, args, guard_seen=n > 0 and case.sequence)
    if found <= set(case.flags):
        return case
    return replace(case, flags=(*case.flags, *sorted(found - set(case.flags))))


def inject_guards(cases: Sequence[Case], run_token: str) -> list[list[dict[str, Any]]]:
    """Each replay sequence gets one fresh guard name for all its steps."""
    out: list[list[dict[str, Any]]] = []
    for n, case in enumerate(cases):
        if case.sequence or case.profile == "IHP-Replay":
            guard = f"{run_token}-{n}"
            out.append([{**s.args, "replay_guard": guard} for s in case.steps])
        else:
            out.append([dict(s.args) for s in case.steps])
    return out
