"""Triage: a run's unexpected verdicts read as its few distinct deviations.

A failing implementation usually has a handful of defects, each failing many cases. The
grouping rule, in order:

0. a §15 flag explains a failure only when its divergence can cause that kind of
   difference (`ihp_vectors.divergences.explains`: trailing bytes turn Codec into
   success, never HeaderIdMismatch into NonceReuse); a crash, any flag;
1. a crash or a timeout belongs to the one "the implementation breaks the shim protocol"
   deviation of its kind, whatever the operation (a crash storm is one deviation), unless
   every crash of the run fell on a case a flag explains (a debug build panicking on
   overflow): then crashes are grouped like failures;
2. a case whose failure a §15 flag explains belongs to that divergence, unless cases that
   no flag explains fail the same way (same operation, same kind of difference): then
   rule 4 applies, so a bug outside §15 is never hidden behind a flag, known or not. Of
   several flags: a known one (an expectations entry by flag); else the one that alone
   explains the most other failures (the evidence the implementation has it); else the
   narrowest (`_SPECIFICITY`: V2NotCompiled, which touches every version-2 configuration,
   last);
3. an XPASS belongs to the expectations entry that predicted the failure;
4. any other case belongs to its operation and kind of difference
   (`decrypt_capsule: HeaderIdMismatch→success`).

Each deviation shows its smallest failing case in full. Pure functions: the runner, the
offline judge and the tests call them on `CaseResult`s.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from conformance.expectations import Expectations
from conformance.model import CaseResult, Deviation, Verdict
from ihp_vectors import Note, load_notes
from ihp_vectors.divergences import DIVERGENCES, NO_NONCE_TRACKING, explains

__all__ = ["DIVERGENCE_TITLES", "input_size", "triage", "unshown_divergences"]

#: §15 flags from the narrowest predicate to the broadest: a case with several goes to
#: the first (its failure is most likely that divergence's).
_SPECIFICITY: tuple[str, ...] = (
    *(d.flag for d in DIVERGENCES if d.flag != "V2NotCompiled"),
    NO_NONCE_TRACKING,
    "V2NotCompiled",
)
DIVERGENCE_TITLES: dict[str, str] = {d.flag: d.title for d in DIVERGENCES} | {
    NO_NONCE_TRACKING: "no replay guard: replayed capsules accepted"
}
_SECTIONS: dict[str, str] = {d.flag: d.section for d in DIVERGENCES} | {NO_NONCE_TRACKING: "§13"}
_GROUPED = frozenset({Verdict.FAIL, Verdict.XFAIL, Verdict.XPASS, Verdict.CRASH,
                      Verdict.TIMEOUT})  # fmt: skip


def input_size(result: CaseResult) -> int:
    """How large a case's inputs are (bytes of compact JSON): the smallest example wins."""
    return len(json.dumps(result.args, separators=(",", ":"), default=str))


def _flags_explaining(result: CaseResult) -> list[str]:
    """The case's §15 flags whose divergence can cause its failure (any, for a crash)."""
    flags = [f for f in _SPECIFICITY if f in result.flags]
    if "→" not in result.difference:
        return flags if not result.difference else []
    expected, provided = result.difference.split("→", 1)
    return [f for f in flags if explains(f, expected, provided)]


def _divergence_of(
    result: CaseResult, known_flags: frozenset[str], evidence: Mapping[str, int]
) -> str | None:
    flags = _flags_explaining(result)
    known = [f for f in flags if f in known_flags]
    if known or len(flags) < 2:
        return next(iter(known or flags), None)
    return max(flags, key=lambda f: (evidence.get(f, 0), -flags.index(f)))


def _evidence(results: Iterable[CaseResult]) -> dict[str, int]:
    """For each §15 flag, how many failing cases carry it and no other §15 flag."""
    counts: dict[str, int] = defaultdict(int)
    for result in results:
        if result.verdict in _GROUPED and result.verdict != Verdict.XPASS:
            flags = _flags_explaining(result)
            if len(flags) == 1:
                counts[flags[0]] += 1
    return counts


def _plain_key(result: CaseResult) -> str:
    return f"{result.operation}:{result.difference or result.detail}"


@dataclass(frozen=True)
class _Context:
    """What grouping one result needs to know about the whole run."""

    known_flags: frozenset[str]
    evidence: Mapping[str, int]
    plain: frozenset[str]  # plain keys of failures that carry no §15 flag
    crashes_are_general: bool


def _context(results: Sequence[CaseResult], expectations: Expectations) -> _Context:
    known = expectations.known_flags()
    evidence = _evidence(results)
    failing = [r for r in results if r.verdict in _GROUPED and r.verdict != Verdict.XPASS]
    unflagged = [r for r in failing if not _flags_explaining(r)]
    return _Context(
        known, evidence,
        frozenset(_plain_key(r) for r in unflagged if r.difference),
        any(r.verdict in (Verdict.CRASH, Verdict.TIMEOUT) for r in unflagged),
    )  # fmt: skip


def _key(result: CaseResult, context: _Context) -> tuple[str, str]:
    """(deviation id, kind) of one non-passing result."""
    if result.verdict in (Verdict.CRASH, Verdict.TIMEOUT) and context.crashes_are_general:
        kind = result.verdict.lower()
        return f"{kind}:shim-protocol", kind
    flag = _divergence_of(result, context.known_flags, context.evidence)
    if result.verdict == Verdict.XPASS:
        return f"xpass:{result.expectation}", "xpass"
    if flag is not None and _plain_key(result) not in context.plain:
        return f"divergence:{flag}", "divergence"
    if result.verdict in (Verdict.CRASH, Verdict.TIMEOUT):
        kind = result.verdict.lower()
        return f"{kind}:shim-protocol", kind
    return _plain_key(result), "difference"


def _title(kind: str, deviation_id: str, members: Sequence[CaseResult]) -> str:
    name = deviation_id.split(":", 1)[1]
    if kind == "divergence":
        return f"{name}: {DIVERGENCE_TITLES.get(name, 'spec §15 divergence')}"
    if kind == "xpass":
        return f"passes although the expectations entry {name!r} says it fails"
    if kind in ("crash", "timeout"):
        ops = ", ".join(sorted({r.operation for r in members}))
        what = "crashed or broke the shim protocol" if kind == "crash" else "did not answer"
        return f"the implementation {what} ({ops})"
    op, difference = members[0].operation, members[0].difference or members[0].detail
    return f"{op}: {_words(difference)}"


def _words(difference: str) -> str:
    """`"HeaderIdMismatch→success"` → `"expected HeaderIdMismatch, got success"`."""
    if "→" in difference:
        want, got = difference.split("→", 1)
        return f"expected {want}, got {got}"
    return difference


def _note(kind: str, flag: str | None, members: Sequence[CaseResult],
          notes: Mapping[str, Note]) -> str:
    if flag is not None and flag in notes:
        return notes[flag].description
    counts: dict[str, int] = defaultdict(int)
    for result in members:
        for f in result.flags:
            if f in notes and notes[f].bug_type != "KNOWN_DIVERGENCE":
                counts[f] += 1
    if kind == "difference" and counts:
        return notes[max(counts, key=lambda f: (counts[f], f))].description
    return ""


def triage(
    results: Sequence[CaseResult], expectations: Expectations
) -> tuple[list[CaseResult], list[Deviation]]:
    """`results` with each non-passing one pointing to its deviation, and the deviations:
    unexpected ones first (most cases first), then the known ones."""
    context = _context(results, expectations)
    groups: dict[str, list[int]] = defaultdict(list)
    kinds: dict[str, str] = {}
    for index, result in enumerate(results):
        if result.verdict in _GROUPED:
            deviation_id, kind = _key(result, context)
            groups[deviation_id].append(index)
            kinds[deviation_id] = kind
    out = list(results)
    deviations: list[Deviation] = []
    notes = load_notes() if groups else {}  # once per run: it parses every vector file
    for deviation_id, indices in groups.items():
        members = [results[i] for i in indices]
        for i in indices:
            out[i] = replace(results[i], deviation=deviation_id)
        deviations.append(_deviation(deviation_id, kinds[deviation_id], members, notes))
    _attach_not_run(out, deviations, notes)
    deviations.sort(key=lambda d: (d.known, -d.count, d.deviation_id))
    return out, deviations


def _deviation(deviation_id: str, kind: str, members: Sequence[CaseResult],
               notes: Mapping[str, Note]) -> Deviation:
    flag = deviation_id.split(":", 1)[1] if kind == "divergence" else None
    rules = sorted({rule for r in members for rule in r.rules})
    return Deviation(
        deviation_id=deviation_id,
        title=_title(kind, deviation_id, members),
        kind=kind,
        known=all(r.verdict == Verdict.XFAIL for r in members),
        example=min(members, key=lambda r: (input_size(r), r.case_id)),
        case_ids=tuple(r.case_id for r in members),
        operations=tuple(sorted({r.operation for r in members})),
        flag=flag,
        rules=tuple(rules),
        section=_SECTIONS.get(flag or "", ""),
        note=_note(kind, flag, members, notes),
    )


def _attach_not_run(results: list[CaseResult], deviations: list[Deviation],
                    notes: Mapping[str, Note]) -> None:
    """Cases not run because of a crash storm belong to the crash deviation."""
    not_run = [i for i, r in enumerate(results) if r.verdict == Verdict.NOT_RUN]
    if not not_run:
        return
    crash = next((d for d in deviations if d.kind == "crash"), None)
    if crash is None:
        example = results[not_run[0]]
        crash = _deviation("crash:shim-protocol", "crash", [example], notes)
        crash = replace(crash, case_ids=())
        deviations.append(crash)
    for i in not_run:
        results[i] = replace(results[i], deviation=crash.deviation_id)
    deviations[deviations.index(crash)] = replace(crash, not_run=len(not_run), known=False)


def unshown_divergences(
    results: Iterable[CaseResult], expectations: Expectations
) -> tuple[str, ...]:
    """Known divergences (entries by flag) that no case of the run showed."""
    shown = {r.deviation.split(":", 1)[1] for r in results
             if r.verdict == Verdict.XFAIL and r.deviation.startswith("divergence:")}  # fmt: skip
    return tuple(f for f in sorted(expectations.known_flags()) if f not in shown)
