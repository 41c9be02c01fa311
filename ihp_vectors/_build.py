"""From case specifications to vector-file documents, asking the reference for outcomes.

A generator declares each case as a `Row` (every field by name) in a table; the table's
`Table` adds what its rows share (the id prefix, flags, rules) and makes the `CaseSpec`s.
A row declares the case's inputs and, for an invalid case, the error the spec rule
predicts. `build_file` runs every case through the reference's in-process shim and fails
when the reference disagrees with the declared error: the reference never silently defines
what an invalid case expects. For a valid case the reference's result is recorded; the
independent verifier (`ihp_vectors.independent`) re-derives it with a second code path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ._notes import DIVERGENCE_FLAGS, NOTES, note_table
from ._rules import RULE_IDS
from .divergences import flags_of_steps

__all__ = [
    "GENERATOR_NAME",
    "GENERATOR_VERSION",
    "SCHEMA_VERSION",
    "CaseSpec",
    "FileSpec",
    "GenerationError",
    "GroupSpec",
    "Handler",
    "Row",
    "StepSpec",
    "Table",
    "build_file",
    "call",
]

GENERATOR_NAME = "ihp-vectors"
GENERATOR_VERSION = "1.0"
SCHEMA_VERSION = "1.0"

Handler = Callable[[dict[str, Any]], dict[str, Any]]

_PROVENANCE = (
    "Provenance: inputs from fixed seeds (SHA-256 counter mode) and the spec §17 fixtures; "
    "outcomes from the reference ihp_ref through its in-process shim "
    "(ihp_ref.shim.ShimSession). Every invalid case's error is declared by the generator "
    "from the spec rule it tests and generation fails if the reference disagrees. Every case "
    "is re-derived in the tests by ihp_vectors.independent (PyCryptodome, blake3, own "
    "encodings).",
)


class GenerationError(RuntimeError):
    """A case cannot be generated: the reference disagrees with the spec, or a spec is wrong."""


@dataclass(frozen=True)
class StepSpec:
    args: dict[str, Any]
    error: str | None = None


@dataclass(frozen=True)
class CaseSpec:
    tc_id: str
    comment: str
    flags: tuple[str, ...]
    rules: tuple[str, ...]
    args: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # declared outcome: None = valid
    steps: tuple[StepSpec, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class Row:
    """One case as a generator's table declares it.

    `tc` is the case id under its table's prefix; `args` replace the group's arguments and
    are written to the vector file as they are; `error` is the spec §8 code the rule under
    test predicts (None: the case is valid); `flags` and `rules` are the row's own, its
    table adds the ones all its rows share. A replay sequence has `steps` instead of an
    outcome. An invalid case (or step) also traces to its error code's rule (`8.<code>`),
    which `build_file` adds: rows never list it. Nor do they declare a spec §15 divergence
    flag: `build_file` computes those from the inputs (`divergences.divergence_flags`).
    """

    tc: str
    comment: str
    args: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    flags: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    steps: tuple[StepSpec, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class Table:
    """What every row of one table shares: `prefix` goes before each row's `tc`, `flags`
    before each row's flags, `rules` join each row's rules, and `valid_rules` join the
    rules of each valid row (what a success exercises: the seal, the encodings, ...)."""

    prefix: str
    flags: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    valid_rules: tuple[str, ...] = ()

    def cases(self, rows: Iterable[Row]) -> list[CaseSpec]:
        return [self.case(row) for row in rows]

    def case(self, row: Row) -> CaseSpec:
        outcome_rules = self.valid_rules if row.error is None and row.steps is None else ()
        return CaseSpec(
            f"{self.prefix}{row.tc}",
            row.comment,
            (*self.flags, *row.flags),
            (*self.rules, *row.rules, *outcome_rules),
            row.args,
            row.error,
            row.steps,
        )


@dataclass(frozen=True)
class GroupSpec:
    comment: str
    args: dict[str, Any]
    cases: Sequence[CaseSpec]
    source: str = ""  # generator module name, or the upstream origin


@dataclass(frozen=True)
class FileSpec:
    name: str  # file stem: vectors/<name>.json, schemas/<name>.schema.json
    operation: str
    profile: str
    header: tuple[str, ...]
    groups: Sequence[GroupSpec]


class _Runner:
    def __init__(self, handle: Handler) -> None:
        self._handle = handle
        self._next_id = 0

    def outcome(
        self, tc_id: str, op: str, args: Mapping[str, Any], declared: str | None
    ) -> dict[str, Any]:
        self._next_id += 1
        response = self._handle({"id": self._next_id, "op": op, "args": dict(args)})
        if response.get("unsupported"):
            raise GenerationError(f"{tc_id}: the reference does not support {op}")
        if declared is None:
            if not response.get("ok"):
                raise GenerationError(
                    f"{tc_id}: declared valid, the reference answered {response.get('error')}"
                )
            return {"expected": response["result"]}
        if response.get("ok"):
            raise GenerationError(f"{tc_id}: spec predicts {declared}, the reference accepted")
        if response.get("error") != declared:
            raise GenerationError(
                f"{tc_id}: spec predicts {declared}, the reference answered {response.get('error')}"
            )
        return {"error": declared}


def _traced_rules(case: CaseSpec) -> list[str]:
    """The case's rules, with the ones its outcome implies: a divergence flag (spec §15)
    traces to its §15 rule, a declared error (of the case or a step) to its §8 code."""
    errors = [case.error] if case.steps is None else [step.error for step in case.steps]
    rules = sorted(
        {
            *case.rules,
            *(f"15.{flag}" for flag in case.flags if flag in DIVERGENCE_FLAGS),
            *(f"8.{error}" for error in errors if error is not None),
        }
    )
    unknown_flags = [flag for flag in case.flags if flag not in NOTES]
    unknown_rules = [rule for rule in rules if rule not in RULE_IDS]
    if unknown_flags or unknown_rules or not rules:
        raise GenerationError(
            f"{case.tc_id}: unknown flags {unknown_flags} / rules {unknown_rules} or no rule"
        )
    return rules


def _case_document(
    runner: _Runner, op: str, group_args: Mapping[str, Any], case: CaseSpec
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "tcId": case.tc_id,
        "comment": case.comment,
        "flags": list(case.flags),
        "rules": _traced_rules(case),
    }
    if case.steps is None:
        document["result"] = "valid" if case.error is None else "invalid"
        document["args"] = case.args
        document.update(runner.outcome(case.tc_id, op, {**group_args, **case.args}, case.error))
        return document
    # Replay sequence: one fresh guard per case, named after the case (spec §13).
    guard = {"replay_guard": f"{GENERATOR_NAME}:{case.tc_id}"}
    steps = []
    for index, step in enumerate(case.steps):
        merged = {**group_args, **case.args, **step.args, **guard}
        step_id = f"{case.tc_id}#{index}"
        steps.append({"args": step.args, **runner.outcome(step_id, op, merged, step.error)})
    failed = any(step.error is not None for step in case.steps)
    document["result"] = "invalid" if failed else "valid"
    document["args"] = case.args
    document["steps"] = steps
    return document


def _with_divergences(op: str, group_args: Mapping[str, Any], case: CaseSpec) -> CaseSpec:
    """The case with its spec §15 flags computed from its inputs (`divergences`), never
    declared by hand: one table decides them for vectors, generated cases and fuzz inputs."""
    merged = {**group_args, **case.args}
    steps = [merged] if case.steps is None else [{**merged, **s.args} for s in case.steps]
    found = flags_of_steps(op, steps, sequence=case.steps is not None)
    declared = [flag for flag in case.flags if flag in DIVERGENCE_FLAGS]
    if declared:
        raise GenerationError(f"{case.tc_id}: §15 flags {declared} are computed, not declared")
    return replace(case, flags=(*case.flags, *sorted(found)))


def build_file(spec: FileSpec, handle: Handler) -> dict[str, Any]:
    """The vector-file document of `spec`, outcomes taken from `handle` (a shim dispatcher)."""
    runner = _Runner(handle)
    groups = []
    flags: set[str] = set()
    count = 0
    for spec_group in spec.groups:
        cases = [_with_divergences(spec.operation, spec_group.args, c) for c in spec_group.cases]
        group = replace(spec_group, cases=cases)
        tests = [_case_document(runner, spec.operation, group.args, case) for case in group.cases]
        flags.update(flag for case in group.cases for flag in case.flags)
        count += len(tests)
        groups.append(
            {
                "source": {
                    "name": f"{GENERATOR_NAME}/{group.source or spec.name}",
                    "version": GENERATOR_VERSION,
                },
                "comment": group.comment,
                "args": group.args,
                "tests": tests,
            }
        )
    return {
        "schema": f"{spec.name}.schema.json",
        "version": SCHEMA_VERSION,
        "operation": spec.operation,
        "profile": spec.profile,
        "numberOfTests": count,
        "header": [*spec.header, *_PROVENANCE],
        "notes": note_table(flags),
        "testGroups": groups,
    }


def call(handle: Handler, op: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """One successful shim call (inputs of other cases: keys, capsules); fails generation else."""
    response = handle({"id": 0, "op": op, "args": dict(args)})
    if not response.get("ok"):
        raise GenerationError(f"building inputs: {op} failed with {response.get('error')}")
    result: dict[str, Any] = response["result"]
    return result
