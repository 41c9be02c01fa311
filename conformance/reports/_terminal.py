"""The terminal report: the deviations first (one example each), then a table per profile
and per operation; every unexpected verdict only with `details`."""

from __future__ import annotations

from conformance.model import UNEXPECTED_VERDICTS, Deviation, RunReport, Verdict
from conformance.reports._format import deviation_lines, failure_lines

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
    Verdict.NOT_RUN,
)
_SHORT = {Verdict.UNSUPPORTED: "N/A", Verdict.NOT_RUN: "NOT RUN"}


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


def deviation_summary(report: RunReport) -> list[str]:
    """"N unexpected verdicts in K deviations", then each deviation with its example."""
    unexpected = [d for d in report.deviations if not d.known]
    known = [d for d in report.deviations if d.known]
    verdicts = len(report.unexpected())
    lines: list[str] = []
    if unexpected:
        lines.append(f"{verdicts} unexpected verdict(s) in {len(unexpected)} deviation(s):")
        for n, deviation in enumerate(unexpected, 1):
            lines += ["", *deviation_lines(n, deviation)]
        lines.append("")
    if known:
        cases = sum(d.count for d in known)
        lines.append(f"{len(known)} known deviation(s), expected ({cases} case(s)):")
        lines += [f"  - {d.title} ({d.count} case(s))" for d in known] + [""]
    if report.unshown_divergences:
        lines.append("known divergences (expectations by flag) that no case showed:")
        lines += [f"  - {flag}" for flag in report.unshown_divergences] + [""]
    return lines


def _details(deviations: list[Deviation], report: RunReport) -> list[str]:
    by_deviation: dict[str, list[str]] = {d.deviation_id: [] for d in deviations}
    for result in report.unexpected():
        by_deviation.setdefault(result.deviation, []).extend(failure_lines(result))
    lines = ["every unexpected verdict, by deviation:"]
    for deviation in deviations:
        lines += ["", f"== {deviation.title}", *by_deviation[deviation.deviation_id]]
    return [*lines, ""]


def render_terminal(report: RunReport, details: bool = False) -> str:
    """The human-readable report, as printed at the end of a run; `details`: every
    unexpected verdict in full, by deviation."""
    counts = report.counts()
    lines = [
        f"implementation: {report.implementation} {report.implementation_version}".rstrip(),
        f"seed: {report.seed}" if report.seed is not None else "seed: (none)",
        *([f"settings: {_settings(report)}"] if report.settings else []),
        f"cases: {len(report.results)} in {report.duration_s:.1f} s  "
        + "  ".join(f"{v}={counts[v]}" for v in _COLUMNS if v in counts),
        "",
        *deviation_summary(report),
    ]
    profile_rows = [(s.profile, dict(s.counts), str(s.status)) for s in report.profile_summaries()]
    lines += [*_table("profile", profile_rows), ""]
    op_rows = [(op, c, _op_status(c)) for op, c in report.operation_summaries()]
    lines += [*_table("operation", op_rows), ""]
    if report.unmatched_expectations:
        lines.append("expectation entries that matched no case:")
        lines += [f"  {g}" for g in report.unmatched_expectations] + [""]
    for note in report.notes:
        lines.append(f"note: {note}")
    unexpected = [d for d in report.deviations if not d.known]
    if details and unexpected:
        lines += _details(unexpected, report)
    elif unexpected:
        lines.append("every unexpected verdict: --details, or the --report-json / --html report")
    if report.stderr.strip():
        tail = report.stderr.strip().splitlines()[-20:]
        lines.append("implementation stderr (last lines):")
        lines += [f"  | {t}" for t in tail] + [""]
    verdict = "PASSED" if report.exit_status() == 0 else "FAILED"
    lines.append(f"result: {verdict} (exit status {report.exit_status()})")
    return "\n".join(lines)
