"""The terminal report: summary, a table per profile and per operation, then each failure."""

from __future__ import annotations

from conformance.model import UNEXPECTED_VERDICTS, RunReport, Verdict
from conformance.reports._format import failure_lines

__all__ = ["render_terminal"]

_COLUMNS = (
    Verdict.PASS,
    Verdict.FAIL,
    Verdict.XFAIL,
    Verdict.XPASS,
    Verdict.SKIP,
    Verdict.UNSUPPORTED,
    Verdict.TIMEOUT,
    Verdict.CRASH,
)
_SHORT = {Verdict.UNSUPPORTED: "N/A"}
_MAX_FAILURES_SHOWN = 50


def _table(title: str, rows: list[tuple[str, dict[Verdict, int], str]]) -> list[str]:
    head = [title, *(_SHORT.get(v, str(v)) for v in _COLUMNS), "status"]
    body = [[name, *(str(c.get(v, 0)) for v in _COLUMNS), status] for name, c, status in rows]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]

    def fmt(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        nums = [c.rjust(w) for c, w in zip(cells[1:-1], widths[1:-1], strict=True)]
        return "  ".join([first, *nums, cells[-1]]).rstrip()

    rule = "-" * len(fmt(head))
    return [fmt(head), rule, *(fmt(r) for r in body)]


def _settings(report: RunReport) -> str:
    return "  ".join(f"{k}={v}" for k, v in report.settings.items())


def _op_status(counts: dict[Verdict, int]) -> str:
    if any(v in UNEXPECTED_VERDICTS for v in counts):
        return "deviates"
    if set(counts) == {Verdict.UNSUPPORTED}:
        return "not applicable"
    return "passes" if set(counts) == {Verdict.PASS} else "expected deviations only"


def render_terminal(report: RunReport) -> str:
    """The human-readable report, as printed at the end of a run."""
    counts = report.counts()
    lines = [
        f"implementation: {report.implementation} {report.implementation_version}".rstrip(),
        f"seed: {report.seed}" if report.seed is not None else "seed: (none)",
        *([f"settings: {_settings(report)}"] if report.settings else []),
        f"cases: {len(report.results)} in {report.duration_s:.1f} s  "
        + "  ".join(f"{v}={counts[v]}" for v in _COLUMNS if v in counts),
        "",
    ]
    profile_rows = [(s.profile, dict(s.counts), str(s.status)) for s in report.profile_summaries()]
    lines += [*_table("profile", profile_rows), ""]
    op_rows = [(op, c, _op_status(c)) for op, c in report.operation_summaries()]
    lines += [*_table("operation", op_rows), ""]
    if report.unmatched_expectations:
        lines.append("expectation globs that matched no case:")
        lines += [f"  {g}" for g in report.unmatched_expectations] + [""]
    for note in report.notes:
        lines.append(f"note: {note}")
    unexpected = report.unexpected()
    if unexpected:
        lines.append(f"{len(unexpected)} unexpected verdict(s):")
        for result in unexpected[:_MAX_FAILURES_SHOWN]:
            lines += failure_lines(result)
        if len(unexpected) > _MAX_FAILURES_SHOWN:
            rest = len(unexpected) - _MAX_FAILURES_SHOWN
            lines.append(f"… and {rest} more (see --report-json / --html)")
        lines.append("")
    if report.stderr.strip():
        tail = report.stderr.strip().splitlines()[-20:]
        lines.append("implementation stderr (last lines):")
        lines += [f"  | {t}" for t in tail] + [""]
    verdict = "PASSED" if report.exit_status() == 0 else "FAILED"
    lines.append(f"result: {verdict} (exit status {report.exit_status()})")
    return "\n".join(lines)
