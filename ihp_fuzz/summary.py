"""The campaign summary: one JSON document and the same facts as Markdown."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CampaignReport", "FindingReport", "HarnessReport", "write_summary"]


@dataclass(slots=True)
class FindingReport:
    harness: str
    signature: str
    summary: str
    kind: str
    new: bool
    inputs: list[str]
    minimized: str | None
    traceback_file: str
    # differential causes (ihp_fuzz.differences): how often, which §15 flags, the smallest
    # request, and the expectations entry that names it (then neither new nor known)
    count: int = 1
    flags: list[str] = field(default_factory=list)
    request: dict[str, Any] | None = None
    request_bytes: int = 0
    expected_by: str | None = None


@dataclass(slots=True)
class HarnessReport:
    harness: str
    jobs: int
    seconds: float = 0.0
    executions: int = 0
    exec_per_sec: float = 0.0
    exec_per_sec_per_job: float = 0.0
    baseline_exec_per_sec: float | None = None
    slow: bool = False
    coverage_start: int | None = None
    coverage_end: int = 0
    corpus_before: int = 0
    corpus_after: int = 0
    merge: str = ""
    returncode: int = 0
    log: str = ""
    findings: list[FindingReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    open_questions: dict[str, int] = field(default_factory=dict)  # never findings
    unseen_expectations: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CampaignReport:
    started_at: str
    budget_seconds: int
    jobs: int
    target: str
    harnesses: list[HarnessReport] = field(default_factory=list)
    exit_status: int = 0

    @property
    def new_findings(self) -> list[FindingReport]:
        return [f for h in self.harnesses for f in h.findings if f.new]

    @property
    def known_findings(self) -> list[FindingReport]:
        """Findings already promoted to regressions (bugs known, not yet fixed)."""
        return [f for h in self.harnesses for f in h.findings
                if not f.new and f.expected_by is None]

    @property
    def expected_findings(self) -> list[FindingReport]:
        """Divergences the expectations file names: reported, never a failure."""
        return [f for h in self.harnesses for f in h.findings if f.expected_by is not None]


_INLINE_REQUEST = 2000  # a smallest request longer than this is shown by its file only


def _finding_lines(finding: FindingReport) -> list[str]:
    status = "NEW" if finding.new else (f"expected ({finding.expected_by})"
                                        if finding.expected_by else "known")
    title = finding.summary if finding.request is not None else f"`{finding.signature}`"
    lines = ["", f"## {status}: {finding.harness} {title}", ""]
    if finding.request is None:
        return [
            *lines, f"- {finding.summary}",
            f"- inputs ({len(finding.inputs)}): {', '.join(finding.inputs[:3])}"
            f"{', ...' if len(finding.inputs) > 3 else ''}",
            f"- minimised: {finding.minimized or '-'}",
            f"- traceback: {finding.traceback_file}",
            f"- reproduce: `ihp-fuzz reproduce --harness {finding.harness} "
            f"{finding.minimized or finding.inputs[0]}`"]
    lines += [f"- {finding.count} differing requests; flags: "
              f"{', '.join(finding.flags) or 'none (no spec §15 divergence explains it)'}",
              f"- smallest request ({finding.request_bytes} bytes), answers and reference: "
              f"{finding.traceback_file}"]
    text = json.dumps(finding.request, separators=(",", ":"))
    if len(text) <= _INLINE_REQUEST:
        lines += ["", "```json", text, "```"]
    return [*lines, f"- reproduce: `ihp-fuzz reproduce --harness {finding.harness} "
                    f"{finding.minimized}`"]


def _markdown(report: CampaignReport) -> str:
    lines = [
        "# ihp-fuzz campaign summary", "",
        f"- started: {report.started_at}; budget {report.budget_seconds}s; jobs {report.jobs}; "
        f"target: `{report.target}`",
        f"- new findings: **{len(report.new_findings)}**, known findings: "
        f"{len(report.known_findings)}, expected divergences: "
        f"{len(report.expected_findings)}; exit status {report.exit_status}", "",
        "| harness | executions | exec/s | per job | baseline | coverage | corpus | findings "
        "| notes |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- | --- | --- |",
    ]
    for h in report.harnesses:
        new = sum(f.new for f in h.findings)
        expected = sum(f.expected_by is not None for f in h.findings)
        notes = "; ".join([*(["SLOW: below half the baseline"] if h.slow else []), *h.problems,
                           *(f"open question {q}: {n} differences (never findings)"
                             for q, n in h.open_questions.items()),
                           *(f"expected, not seen: {e}" for e in h.unseen_expectations)])
        baseline = f"{h.baseline_exec_per_sec:.0f}" if h.baseline_exec_per_sec else "-"
        lines.append(
            f"| {h.harness} | {h.executions} | {h.exec_per_sec:.0f} | "
            f"{h.exec_per_sec_per_job:.0f} | {baseline} | {h.coverage_start} → "
            f"{h.coverage_end} | {h.corpus_before} → {h.corpus_after} ({h.merge}) | "
            f"{new} new / {len(h.findings) - new - expected} known / {expected} expected "
            f"| {notes} |")
    for finding in [*report.new_findings, *report.known_findings, *report.expected_findings]:
        lines += _finding_lines(finding)
    return "\n".join(lines) + "\n"


def write_summary(report: CampaignReport, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    data = asdict(report)
    data["new_findings"] = len(report.new_findings)
    data["known_findings"] = len(report.known_findings)
    data["expected_findings"] = len(report.expected_findings)
    json_path, md_path = out_dir / "summary.json", out_dir / "summary.md"
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(_markdown(report), encoding="utf-8")
    return json_path, md_path
