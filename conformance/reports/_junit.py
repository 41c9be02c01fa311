"""JUnit XML (`--junit`): one testsuite per profile, one testcase per case."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.model import CaseResult, RunReport, Verdict
from conformance.reports._format import failure_lines

__all__ = ["write_junit"]

_FAILURE = {Verdict.FAIL, Verdict.XPASS}
_ERROR = {Verdict.TIMEOUT, Verdict.CRASH, Verdict.NOT_RUN}
_SKIPPED = {Verdict.SKIP, Verdict.UNSUPPORTED, Verdict.XFAIL}
# XML 1.0 cannot carry most control characters, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _testcase(result: CaseResult, titles: dict[str, str]) -> ET.Element:
    case = ET.Element(
        "testcase",
        name=result.case_id,
        classname=f"{result.profile}.{result.operation}",
        time=f"{result.duration_s:.6f}",
    )
    text = _xml_text("\n".join(failure_lines(result)))
    deviation = titles.get(result.deviation)
    head = f"[deviation: {deviation}] " if deviation else ""
    message = _xml_text(f"{head}{result.verdict}: {result.detail}"[:500])
    if result.verdict in _FAILURE:
        ET.SubElement(case, "failure", message=message).text = text
    elif result.verdict in _ERROR:
        ET.SubElement(case, "error", message=message).text = text
    elif result.verdict in _SKIPPED:
        ET.SubElement(case, "skipped", message=message)
    return case


def write_junit(report: RunReport, path: str | os.PathLike[str]) -> None:
    """Write the report as JUnit XML."""
    root = ET.Element("testsuites", name=f"ihp-conformance {report.suite}")
    titles = {d.deviation_id: d.title for d in report.deviations}
    for summary in report.profile_summaries():
        results = [r for r in report.results if r.profile == summary.profile]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=summary.profile,
            tests=str(len(results)),
            failures=str(sum(r.verdict in _FAILURE for r in results)),
            errors=str(sum(r.verdict in _ERROR for r in results)),
            skipped=str(sum(r.verdict in _SKIPPED for r in results)),
            time=f"{sum(r.duration_s for r in results):.3f}",
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("implementation", report.implementation),
            ("seed", "" if report.seed is None else str(report.seed)),
            ("status", str(summary.status)),
        ):
            ET.SubElement(props, "property", name=name, value=_xml_text(value))
        suite.extend(_testcase(r, titles) for r in results)
    first = root.find("testsuite")
    if report.stderr and first is not None:
        ET.SubElement(first, "system-err").text = _xml_text(report.stderr)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    tree.write(Path(path), encoding="utf-8", xml_declaration=True)
