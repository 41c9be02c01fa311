"""The HTML report (`--html`): one self-contained page (inline CSS, no scripts, no links)."""

from __future__ import annotations

import html
import os
from pathlib import Path

from conformance.model import RunReport, Verdict
from conformance.reports._format import compact

__all__ = ["render_html", "write_html"]

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}
.conforms{background:#dfd}.does-not-conform{background:#fdd}
.not-applicable,.not-tested{background:#eee}
details{margin:.4em 0;border:1px solid #ddd;padding:.3em .6em}
summary{cursor:pointer;font-family:monospace}
pre{white-space:pre-wrap;word-break:break-all;background:#f7f7f7;padding:.4em}
.FAIL,.XPASS,.CRASH,.TIMEOUT{color:#b00;font-weight:bold}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _counts_row(name: str, counts: dict[Verdict, int], status: str = "") -> str:
    cells = "".join(f"<td>{counts.get(v, 0)}</td>" for v in Verdict)
    cls = status.replace(" ", "-")
    tail = f'<td class="{_e(cls)}">{_e(status)}</td>' if status else ""
    return f"<tr><td>{_e(name)}</td>{cells}{tail}</tr>"


def _counts_table(first: str, rows: list[str], with_status: bool) -> str:
    head = "".join(f"<th>{_e(v)}</th>" for v in Verdict)
    status = "<th>status</th>" if with_status else ""
    return f"<table><tr><th>{_e(first)}</th>{head}{status}</tr>{''.join(rows)}</table>"


def render_html(report: RunReport) -> str:
    """The report as one HTML document."""
    profiles = [
        _counts_row(s.profile, dict(s.counts), str(s.status)) for s in report.profile_summaries()
    ]
    ops = [_counts_row(op, c) for op, c in report.operation_summaries()]
    failures = []
    for r in report.unexpected():
        body = "\n".join(
            f"{k}: {_e(v)}"
            for k, v in (
                ("flags", ", ".join(r.flags)),
                ("comment", r.comment),
                ("inputs", compact(r.args, 100_000)),
                ("expected", compact(r.expected, 100_000)),
                ("provided", compact(r.actual, 100_000)),
                ("detail", r.detail),
            )
        )
        failures.append(
            f'<details><summary><span class="{_e(r.verdict)}">{_e(r.verdict)}</span> '
            f"{_e(r.case_id)} [{_e(r.operation)}]</summary><pre>{body}</pre></details>"
        )
    status = "PASSED" if report.exit_status() == 0 else "FAILED"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>IHP conformance: {_e(report.implementation)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>IHP conformance report: {_e(status)}</h1>",
        "<ul>",
        f"<li>implementation: {_e(report.implementation)} {_e(report.implementation_version)}</li>",
        f"<li>command: <code>{_e(report.command)}</code></li>",
        f"<li>suite: {_e(report.suite)}; seed: {_e(report.seed)}; started: "
        f"{_e(report.started_at)}; duration: {report.duration_s:.1f} s</li>",
        f"<li>cases: {len(report.results)}; exit status {report.exit_status()}</li>",
        "</ul>",
        "<h2>Profiles</h2>",
        _counts_table("profile", profiles, with_status=True),
        "<h2>Operations</h2>",
        _counts_table("operation", ops, with_status=False),
    ]
    if report.unmatched_expectations:
        items = "".join(f"<li><code>{_e(g)}</code></li>" for g in report.unmatched_expectations)
        parts += ["<h2>Expectation globs that matched no case</h2>", f"<ul>{items}</ul>"]
    if report.notes:
        parts += ["<h2>Notes</h2>", "<ul>", *(f"<li>{_e(n)}</li>" for n in report.notes), "</ul>"]
    parts += [f"<h2>Unexpected verdicts ({len(failures)})</h2>", *failures]
    if report.stderr:
        parts += ["<h2>Implementation stderr</h2>", f"<pre>{_e(report.stderr)}</pre>"]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(report: RunReport, path: str | os.PathLike[str]) -> None:
    """Write the report as one self-contained HTML page."""
    Path(path).write_text(render_html(report), encoding="utf-8")
