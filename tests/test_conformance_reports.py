"""Reports: the JSON validates against its schema, JUnit is well-formed XML with the
failures, the HTML page is self-contained and escapes inputs, the terminal shows details."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from conformance.expectations import Expectations
from conformance.model import CaseResult, ProfileStatus, RunReport, Verdict
from conformance.reports import render_terminal, write_html, write_json, write_junit
from conformance.triage import triage

_SCHEMA = json.loads(
    (Path(__file__).parents[1] / "conformance" / "schemas" / "report.schema.json").read_text()
)


def _report() -> RunReport:
    results = [
        CaseResult("sep/a", "sep_hash", "IHP-Core", Verdict.PASS),
        CaseResult("decrypt/drift/x", "decrypt_capsule", "IHP-Core", Verdict.FAIL,
                   flags=("DriftOverflow",), comment="wrapping <i64>",
                   args={"now": "9223372036854775807", "capsule": {"payload": "00ff"}},
                   expected={"error": "StaleTimestamp"}, actual={"result": {"password": ""}},
                   detail="accepted; expected error StaleTimestamp"),
        CaseResult("rtt/a", "rtt_bucket", "IHP-Client", Verdict.UNSUPPORTED),
        CaseResult("token/a", "session_token", "IHP-Token", Verdict.CRASH,
                   detail="exited \x00 (status 3)"),
        CaseResult("wire/a", "capsule_from_json", "IHP-Wire", Verdict.XFAIL, detail="known"),
    ]  # fmt: skip
    results, deviations = triage(results, Expectations())
    return RunReport(
        "impl <b>",
        42,
        results,
        deviations=deviations,
        stderr="boom \x01 <script>",
        profiles=("IHP-Core", "IHP-Wire", "IHP-Token", "IHP-Client", "IHP-Replay"),
        unmatched_expectations=("typo/*",),
    )


def test_profile_statuses_and_exit_status() -> None:
    report = _report()
    status = {s.profile: s.status for s in report.profile_summaries()}
    assert status == {
        "IHP-Core": ProfileStatus.DOES_NOT_CONFORM,
        "IHP-Wire": ProfileStatus.DOES_NOT_CONFORM,  # an XFAIL is not a pass
        "IHP-Token": ProfileStatus.DOES_NOT_CONFORM,
        "IHP-Client": ProfileStatus.NOT_APPLICABLE,
        "IHP-Replay": ProfileStatus.NOT_TESTED,
    }
    assert report.exit_status() == 1
    assert RunReport("x", None, []).exit_status() == 1  # nothing ran
    only_na = RunReport("x", None, [CaseResult("a", "op", "IHP-Core", Verdict.UNSUPPORTED)])
    assert only_na.exit_status() == 1
    ok = RunReport("x", None, [CaseResult("a", "op", "IHP-Core", Verdict.PASS),
                               CaseResult("b", "op", "IHP-Core", Verdict.XFAIL)])  # fmt: skip
    assert ok.exit_status() == 0


def test_json_report_validates_and_keeps_inputs(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    write_json(_report(), path)
    doc = json.loads(path.read_text())
    jsonschema.validate(doc, _SCHEMA)
    fail = next(r for r in doc["results"] if r["verdict"] == "FAIL")
    assert fail["args"]["now"] == "9223372036854775807"
    assert fail["flags"] == ["DriftOverflow"]
    assert doc["seed"] == 42 and doc["unmatched_expectations"] == ["typo/*"]
    assert doc["passed"] == ["sep/a"] and all(r["verdict"] != "PASS" for r in doc["results"])
    ids = {d["id"]: d for d in doc["deviations"]}
    assert fail["deviation"] == "divergence:DriftOverflow" and ids[fail["deviation"]]["count"] == 1
    assert ids["crash:shim-protocol"]["example"] == "token/a"


def test_schema_rejects_a_wrong_document() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"schema": "ihp-conformance-report/2"}, _SCHEMA)


def test_junit_is_well_formed_with_failures_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    write_junit(_report(), path)
    root = ET.parse(path).getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert suites["IHP-Core"].get("failures") == "1"
    assert suites["IHP-Token"].get("errors") == "1"
    case = root.find(".//testcase[@name='decrypt/drift/x']")
    assert case is not None and case.find("failure") is not None
    assert "StaleTimestamp" in (case.find("failure").text or "")  # type: ignore[union-attr]
    message = case.find("failure").get("message") or ""  # type: ignore[union-attr]
    assert message.startswith("[deviation: DriftOverflow:")


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    path = tmp_path / "r.html"
    write_html(_report(), path)
    page = path.read_text()
    assert "<script" not in page and "src=" not in page and "href=" not in page
    assert "&lt;b&gt;" in page and "decrypt/drift/x" in page and "DriftOverflow" in page
    assert "2 unexpected verdict(s) in 2 deviation(s)" in page
    assert page.index("DriftOverflow") < page.index("<h2>Profiles</h2>")  # deviations first


def test_terminal_opens_with_the_deviations_one_example_each() -> None:
    text = render_terminal(_report())
    assert "2 unexpected verdict(s) in 2 deviation(s):" in text
    assert text.index("in 2 deviation(s)") < text.index("profile ")
    assert ". DriftOverflow: now − timestamp computed in i64" in text
    assert "smallest failing case:" in text and "--details" in text
    assert "1 known deviation(s), expected (1 case(s))" in text


def test_terminal_details_show_every_failure_with_inputs_expected_provided() -> None:
    text = render_terminal(_report(), details=True)
    assert "seed: 42" in text
    assert "FAIL  decrypt/drift/x" in text and "CRASH  token/a" in text
    assert "flags:    DriftOverflow" in text
    assert '"now":"9223372036854775807"' in text
    assert 'expected: {"error":"StaleTimestamp"}' in text
    assert "typo/*" in text and "does not conform" in text and "not applicable" in text
