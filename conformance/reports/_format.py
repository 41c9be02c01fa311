"""Small text helpers shared by the writers: compact JSON for values, truncation."""

from __future__ import annotations

import json

from conformance.model import CaseResult, Deviation

__all__ = ["compact", "deviation_lines", "failure_lines"]

_MAX_VALUE_CHARS = 2000


def compact(value: object, limit: int = _MAX_VALUE_CHARS) -> str:
    """A value as one line of compact JSON, cut to `limit` characters."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


def failure_lines(result: CaseResult) -> list[str]:
    """The lines that explain one unexpected verdict: id, flags, inputs, expected, provided."""
    lines = [f"{result.verdict}  {result.case_id}  [{result.operation}, {result.profile}]"]
    if result.flags:
        lines.append(f"  flags:    {', '.join(result.flags)}")
    if result.comment:
        lines.append(f"  comment:  {result.comment}")
    lines.append(f"  inputs:   {compact(result.args)}")
    lines.append(f"  expected: {compact(result.expected)}")
    lines.append(f"  provided: {compact(result.actual)}")
    if result.detail:
        lines.append(f"  detail:   {result.detail}")
    return lines


def deviation_lines(number: int, deviation: Deviation) -> list[str]:
    """One deviation: title and count, where the spec says it, what an implementation
    must do, and its smallest failing case in full."""
    ops = ", ".join(deviation.operations)
    lines = [f"{number:2}. {deviation.title}", f"    {deviation.count} case(s); {ops}"]
    if deviation.not_run:
        lines.append(f"    and {deviation.not_run} case(s) not run because of it")
    where = [*([f"flag {deviation.flag} (spec §15)"] if deviation.flag else []),
             *([f"spec {deviation.section}"] if deviation.section else []),
             *([f"rules {', '.join(deviation.rules[:6])}"] if deviation.rules else [])]  # fmt: skip
    if where:
        lines.append(f"    {'; '.join(where)}")
    if deviation.note:
        lines.append(f"    must: {deviation.note}")
    lines.append("    smallest failing case:")
    lines += [f"    {line}" for line in failure_lines(deviation.example)]
    return lines
