"""The machine-readable report (`--report-json`), see `schemas/report.schema.json`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from conformance.model import CaseResult, Deviation, RunReport, Verdict

__all__ = [
    "REPORT_SCHEMA_ID",
    "deviation_to_dict",
    "report_to_dict",
    "result_to_dict",
    "write_json",
]

REPORT_SCHEMA_ID = "ihp-conformance-report/2"


def result_to_dict(result: CaseResult) -> dict[str, Any]:
    """One case as a JSON object (the report schema's `results` items)."""
    return {
        "case_id": result.case_id,
        "operation": result.operation,
        "profile": result.profile,
        "verdict": str(result.verdict),
        "flags": list(result.flags),
        "comment": result.comment,
        "args": None if result.args is None else dict(result.args),
        "expected": result.expected,
        "actual": result.actual,
        "detail": result.detail,
        "duration_s": round(result.duration_s, 6),
        "difference": result.difference,
        "rules": list(result.rules),
        "expectation": result.expectation,
        "deviation": result.deviation,
    }


def deviation_to_dict(deviation: Deviation) -> dict[str, Any]:
    """One deviation as a JSON object (the report schema's `deviations` items)."""
    return {
        "id": deviation.deviation_id,
        "title": deviation.title,
        "kind": deviation.kind,
        "known": deviation.known,
        "count": deviation.count,
        "not_run": deviation.not_run,
        "operations": list(deviation.operations),
        "flag": deviation.flag,
        "rules": list(deviation.rules),
        "section": deviation.section,
        "note": deviation.note,
        "example": deviation.example.case_id,
        "case_ids": list(deviation.case_ids),
    }


def _verdict_counts(counts: dict[Verdict, int]) -> dict[str, int]:
    return {str(v): counts.get(v, 0) for v in Verdict}


def report_to_dict(report: RunReport) -> dict[str, Any]:
    """The whole report as the JSON document `write_json` writes."""
    return {
        "schema": REPORT_SCHEMA_ID,
        "suite": report.suite,
        "implementation": {
            "name": report.implementation,
            "version": report.implementation_version,
            "command": report.command,
        },
        "seed": report.seed,
        "settings": dict(report.settings),
        "started_at": report.started_at,
        "duration_s": round(report.duration_s, 3),
        "exit_status": report.exit_status(),
        "summary": _verdict_counts(report.counts()),
        "profiles": [
            {
                "profile": s.profile,
                "status": str(s.status),
                "conforms": s.status == "conforms",
                "total": s.total,
                "passed": s.passed,
                "failed": s.failed,
                "not_applicable": s.not_applicable,
                "verdicts": _verdict_counts(dict(s.counts)),
            }
            for s in report.profile_summaries()
        ],
        "operations": [
            {"operation": op, "verdicts": _verdict_counts(counts)}
            for op, counts in report.operation_summaries()
        ],
        "unmatched_expectations": list(report.unmatched_expectations),
        "unshown_divergences": list(report.unshown_divergences),
        "deviations": [deviation_to_dict(d) for d in report.deviations],
        "notes": list(report.notes),
        "stderr": report.stderr,
        "passed": [r.case_id for r in report.results if r.verdict == Verdict.PASS],
        "results": [result_to_dict(r) for r in report.results
                    if r.verdict != Verdict.PASS or r.args is not None],
    }


def write_json(report: RunReport, path: str | os.PathLike[str]) -> None:
    """Write the report as JSON (UTF-8, indented, stable key order)."""
    text = json.dumps(report_to_dict(report), indent=1, ensure_ascii=False, default=str)
    Path(path).write_text(text + "\n", encoding="utf-8")
