"""Small text helpers shared by the writers: compact JSON for values, truncation."""

from __future__ import annotations

import json

from conformance.model import CaseResult

__all__ = ["compact", "failure_lines"]

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
