"""Seeded, generated differential cases; the in-process reference gives each expected outcome.

The same seed and volume give the same cases, with the same ids
(`gen/<operation>/<kind>/<n>`), so a failure can be replayed with `--seed`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterator
from typing import Any

from conformance.cases import Case, profile_of
from conformance.generate._core import CORE_MAKERS
from conformance.generate._decrypt import decrypt_case
from conformance.generate._flags import case_flags
from conformance.generate._oracle import Oracle, OracleError
from conformance.generate._replay import replay_sequence
from conformance.generate._values import Draw
from conformance.generate._wire import WIRE_MAKERS

__all__ = [
    "DEFAULT_CASES_PER_OPERATION",
    "Oracle",
    "OracleError",
    "generate_cases",
    "iter_generated_cases",
    "planned_cases",
    "sanity_case",
]

DEFAULT_CASES_PER_OPERATION = 250
_SEQUENCE_OP = "decrypt_capsule+replay_guard"  # the pseudo-operation of replay sequences


def _makers(oracle: Oracle) -> dict[str, Callable[[Draw], tuple[str, Any]]]:
    makers: dict[str, Callable[[Draw], tuple[str, Any]]] = {**CORE_MAKERS, **WIRE_MAKERS}
    makers["decrypt_capsule"] = lambda d: decrypt_case(d, oracle)
    makers[_SEQUENCE_OP] = lambda d: replay_sequence(d, oracle)
    return makers


def generate_cases(
    seed: int,
    per_operation: int = DEFAULT_CASES_PER_OPERATION,
    operations: Collection[str] | None = None,
    oracle: Oracle | None = None,
    notes: list[str] | None = None,
) -> list[Case]:
    """`per_operation` cases for each operation (replay sequences: half as many).

    Each operation draws from its own `random.Random` (seeded from `seed` and the
    operation's name), so restricting the operations does not change the other cases.
    A case the reference cannot answer (a reference bug) is dropped and noted in `notes`.
    """
    return list(iter_generated_cases(seed, per_operation, operations, oracle, notes))


def _plan(per_operation: int, operations: Collection[str] | None) -> list[tuple[str, int]]:
    """(maker name, how many cases) for every maker the operations ask for."""
    plan = []
    for op in (*CORE_MAKERS, *WIRE_MAKERS, "decrypt_capsule", _SEQUENCE_OP):
        if operations is None or op.split("+")[0] in operations:
            plan.append((op, per_operation // 2 if op == _SEQUENCE_OP else per_operation))
    return plan


def planned_cases(per_operation: int, operations: Collection[str] | None = None) -> int:
    """How many cases `iter_generated_cases` makes (before any is dropped)."""
    return sum(count for _, count in _plan(per_operation, operations))


def iter_generated_cases(
    seed: int,
    per_operation: int = DEFAULT_CASES_PER_OPERATION,
    operations: Collection[str] | None = None,
    oracle: Oracle | None = None,
    notes: list[str] | None = None,
) -> Iterator[Case]:
    """The cases of `generate_cases`, made one at a time (a run of a million cases never
    holds them all)."""
    oracle = oracle or Oracle()
    makers = _makers(oracle)
    for op, count in _plan(per_operation, operations):
        draw = Draw(random.Random(f"{seed}:{op}"))
        for n in range(count):
            try:
                yield _one_case(oracle, draw, makers[op], op, op.split("+")[0], seed, n)
            except OracleError as exc:
                if notes is None:
                    raise
                notes.append(f"generated case {op} #{n} dropped: {exc}")


def _one_case(
    oracle: Oracle, draw: Draw, make: Callable[[Draw], tuple[str, Any]], op: str,
    real_op: str, seed: int, n: int,
) -> Case:  # fmt: skip
    kind, made = make(draw)
    if op == _SEQUENCE_OP:
        guard = f"gen-{seed}-{n}"
        steps = tuple(oracle.step(real_op, {**a, "replay_guard": guard}) for a in made)
        flags = case_flags(real_op, kind, steps, sequence=True)
        return Case(f"gen/replay/{kind}/{n}", real_op, "IHP-Replay", steps, flags=flags,
                    origin="generated")  # fmt: skip
    step = oracle.step(real_op, made)
    flags = case_flags(real_op, kind, (step,), sequence=False)
    return Case(f"gen/{real_op}/{kind}/{n}", real_op, profile_of(real_op), (step,),
                flags=flags, origin="generated")  # fmt: skip


_SANITY_ARGS: dict[str, dict[str, Any]] = {
    "sep_hash": {"sep": {"cpu": "cpu:sanity", "nic": "nic:sanity", "os": "os:sanity",
                         "build": "build:sanity", "tpm_quote": None}},
    "config_validate": {"config": {}},
    "capsule_to_binary": {"capsule": {"version": 1, "header_id": "44",
                                      "client_nonce": "01" * 12, "server_profile_id": "1",
                                      "network_context": {"rtt_bucket": 5, "path_hint": 120},
                                      "payload": "00" * 36}},
    "session_token": {"session_key": "42" * 32, "client_nonce": "01" * 12,
                      "timestamp": "1700000123"},
    "rtt_bucket": {"samples_ms": [10.0, 12.0, 14.0, 16.0]},
}  # fmt: skip


def sanity_case(supported: Collection[str], oracle: Oracle, which: str) -> Case | None:
    """A known-good request to an operation the implementation supports: is it alive?"""
    for op, args in _SANITY_ARGS.items():
        if op in supported:
            step = oracle.step(op, args)
            return Case(f"sanity/{which}", op, profile_of(op), (step,), flags=("Sanity",),
                        comment="the implementation answers a known-good request",
                        origin="sanity")  # fmt: skip
    return None
