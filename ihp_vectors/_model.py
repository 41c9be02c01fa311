"""Typed vector cases: what `load_cases()` returns (docs/ARCHITECTURE.md, vector files)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Note", "Result", "VectorCase", "VectorStep"]

Result = Literal["valid", "invalid"]


@dataclass(frozen=True, slots=True)
class VectorStep:
    """One decryption of a replay sequence (`replay_guard.json`).

    `args` omit `replay_guard`: the runner injects the case's fresh guard name.
    Exactly one of `expected` (the shim result object) and `error` (a spec §8 code) is set.
    """

    args: dict[str, Any]
    expected: dict[str, Any] | None
    error: str | None


@dataclass(frozen=True, slots=True)
class VectorCase:
    """One test case, group args already merged under the case's own args.

    `steps` is set (and `args` is the merged group args) only for replay sequences.
    `rules` are the spec rule ids (docs/TRACEABILITY.md) the case exercises.
    """

    tc_id: str
    file: str
    operation: str
    profile: str
    comment: str
    flags: tuple[str, ...]
    result: Result
    args: dict[str, Any]
    expected: dict[str, Any] | None
    error: str | None
    steps: tuple[VectorStep, ...] | None
    rules: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True, slots=True)
class Note:
    """What a flag means: Wycheproof's `notes` entry."""

    flag: str
    bug_type: str
    description: str
