"""The HTML report (`--html`): one self-contained page (inline CSS, no scripts, no links).

It opens with the deviations, each expandable to its smallest failing case and the ids of
its other cases; inputs and outputs over `_ELIDE_CHARS` are shown elided with their size
(the JSON report has them in full), so a run with hundreds of failures stays small."""

from __future__ import annotations

import html
import os
from pathlib import Path

from conformance.model import CaseResult, Deviation, RunReport, Verdict
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
.FAIL,.XPASS,.CRASH,.TIMEOUT,.NOT_RUN{color:#b00;font-weight:bold}
.deviation{border-left:4px solid #b00}.known{border-left:4px solid #888}
.ids{font-family:monospace;font-size:90%}
"""
_ELIDE_CHARS = 2000  # a value longer than this is elided (full in the JSON report)
_IDS_SHOWN = 200  # case ids listed per deviation


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


def _case_body(r: CaseResult) -> str:
    return "\n".join(
        f"{k}: {_e(v)}"
        for k, v in (
            ("case", f"{r.case_id} [{r.operation}, {r.profile}]"),
            ("flags", ", ".join(r.flags)),
            ("comment", r.comment),
            ("inputs", compact(r.args, _ELIDE_CHARS)),
            ("expected", compact(r.expected, _ELIDE_CHARS)),
            ("provided", compact(r.actual, _ELIDE_CHARS)),
            ("detail", r.detail),
        )
        if v
    )


def _deviation(n: int, d: Deviation) -> str:
    facts = [f"{d.count} case(s); {', '.join(d.operations)}"]
    if d.not_run:
        facts.append(f"{d.not_run} case(s) not run because of it")
    if d.flag:
        facts.append(f"flag {d.flag} (spec §15)")
    if d.section:
        facts.append(f"spec {d.section}")
    if d.rules:
        facts.append("rules " + ", ".join(d.rules))
    ids = ", ".join(d.case_ids[:_IDS_SHOWN])
    more = f" … and {d.count - _IDS_SHOWN} more (JSON report)" if d.count > _IDS_SHOWN else ""
    note = f"<p>must: {_e(d.note)}</p>" if d.note else ""
    cls = "known" if d.known else "deviation"
    return (
        f'<details class="{cls}" id="{_e(d.deviation_id)}"><summary>{n}. {_e(d.title)} '
        f"({d.count})</summary><ul>{''.join(f'<li>{_e(f)}</li>' for f in facts)}</ul>{note}"
        f"<p>smallest failing case:</p><pre>{_case_body(d.example)}</pre>"
        f'<p>cases:</p><p class="ids">{_e(ids)}{_e(more)}</p></details>'
    )


def render_html(report: RunReport) -> str:
    """The report as one HTML document."""
    profiles = [
        _counts_row(s.profile, dict(s.counts), str(s.status)) for s in report.profile_summaries()
    ]
    ops = [_counts_row(op, c) for op, c in report.operation_summaries()]
    unexpected = [d for d in report.deviations if not d.known]
    known = [d for d in report.deviations if d.known]
    status = "PASSED" if report.exit_status() == 0 else "FAILED"
    verdicts = len(report.unexpected())
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>IHP conformance: {_e(report.implementation)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>IHP conformance report: {_e(status)}</h1>",
        f"<p><strong>{verdicts} unexpected verdict(s) in {len(unexpected)} deviation(s)"
        f"</strong>; {len(known)} known deviation(s).</p>",
        *(_deviation(n, d) for n, d in enumerate(unexpected, 1)),
    ]
    if known:
        parts += ["<h2>Known deviations (expected)</h2>",
                  *(_deviation(n, d) for n, d in enumerate(known, 1))]  # fmt: skip
    if report.unshown_divergences:
        items = "".join(f"<li><code>{_e(f)}</code></li>" for f in report.unshown_divergences)
        parts += ["<h2>Known divergences no case showed</h2>", f"<ul>{items}</ul>"]
    parts += [
        "<h2>Run</h2><ul>",
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
        parts += ["<h2>Expectation entries that matched no case</h2>", f"<ul>{items}</ul>"]
    if report.notes:
        parts += ["<h2>Notes</h2>", "<ul>", *(f"<li>{_e(n)}</li>" for n in report.notes), "</ul>"]
    if report.stderr:
        parts += ["<h2>Implementation stderr</h2>", f"<pre>{_e(report.stderr[-20_000:])}</pre>"]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(report: RunReport, path: str | os.PathLike[str]) -> None:
    """Write the report as one self-contained HTML page."""
    Path(path).write_text(render_html(report), encoding="utf-8")
