"""The machine-readable report (`--report-json`), see `schemas/report.schema.json`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from conformance.model import CaseResult, RunReport, Verdict

__all__ = ["REPORT_SCHEMA_ID", "report_to_dict", "result_to_dict", "write_json"]

REPORT_SCHEMA_ID = "ihp-conformance-report/1"


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
        "notes": list(report.notes),
        "stderr": report.stderr,
        "results": [result_to_dict(r) for r in report.results],
    }


def write_json(report: RunReport, path: str | os.PathLike[str]) -> None:
    """Write the report as JSON (UTF-8, indented, stable key order)."""
    text = json.dumps(report_to_dict(report), indent=1, ensure_ascii=False, default=str)
    Path(path).write_text(text + "\n", encoding="utf-8")
