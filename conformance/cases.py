"""What the runner executes: `Case`s (one type from the vector loader to the reports,
defined in `ihp_vectors`), the profile table, replay-guard names and §15 flags.

Vector cases come from `ihp_vectors.load_cases()`; generated cases from
`conformance.generate`. A case with several steps is a replay sequence: its steps share
one replay guard, whose name the runner makes fresh for each case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ihp_vectors import Case, Step
from ihp_vectors.divergences import flags_of_steps

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


def with_divergences(case: Case) -> Case:
    """The case with the spec §15 flags of its inputs added (`ihp_vectors.divergences`):
    flags are computed, never hand-kept, for vector and generated cases alike. In a replay
    sequence every step after the first meets a guard that has seen a capsule."""
    found = flags_of_steps(case.operation, [s.args for s in case.steps], case.sequence)
    if found <= set(case.flags):
        return case
    return replace(case, flags=(*case.flags, *sorted(found - set(case.flags))))


def inject_guards(cases: Sequence[Case], run_token: str) -> list[list[dict[str, Any]]]:
    """Each replay sequence gets one fresh guard name for all its steps."""
    out: list[list[dict[str, Any]]] = []
    for n, case in enumerate(cases):
        if case.sequence:
            guard = f"{run_token}-{n}"
            out.append([{**s.args, "replay_guard": guard} for s in case.steps])
        else:
            out.append([dict(s.args) for s in case.steps])
    return out
