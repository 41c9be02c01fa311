"""Conformance per spec rule (issue 11 §2): the HTML and JSON reports list every rule of the
spec in spec order, marked passed / deviates / not applicable / not tested by vectors,
each linked to its anchor in the spec and to the deviations of its failing cases."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

from conformance.expectations import Expectations
from conformance.inprocess import InProcessClient
from conformance.model import CaseResult, RunReport, Verdict
from conformance.mutants import MUTANTS
from conformance.reports import render_terminal, report_to_dict, write_html
from conformance.reports._rules import rule_statuses
from conformance.runner import RunOptions, run_suite
from conformance.triage import triage
from ihp_vectors._rules import RULES, rule_anchor

ROOT = Path(__file__).resolve().parent.parent
_SCHEMA = json.loads((ROOT / "conformance" / "schemas" / "report.schema.json").read_text())
_TESTED = [r.rule_id for r in RULES if r.not_vectorized is None]
PASSED, DEVIATES, XFAILED, UNSUPPORTED = _TESTED[:4]
ELSEWHERE = next(r for r in RULES if r.not_vectorized is not None)


def _report() -> RunReport:
    results = [
        CaseResult("a/pass", "sep_hash", "IHP-Core", Verdict.PASS, rules=(PASSED, DEVIATES)),
        CaseResult("a/pass-2", "sep_hash", "IHP-Core", Verdict.PASS, rules=(PASSED,)),
        CaseResult("a/fail", "sep_hash", "IHP-Core", Verdict.FAIL, rules=(DEVIATES,),
                   expected={"error": "Codec"}, actual={"result": {}}, detail="accepted",
                   difference="Codec→success"),
        CaseResult("a/xfail", "sep_hash", "IHP-Core", Verdict.XFAIL, rules=(XFAILED,),
                   detail="known", difference="Codec→success"),
        CaseResult("a/unsupported", "rtt_bucket", "IHP-Client", Verdict.UNSUPPORTED,
                   rules=(UNSUPPORTED,)),
    ]  # fmt: skip
    results, deviations = triage(results, Expectations())
    return RunReport("impl", 1, results, deviations=deviations)


def test_every_rule_in_spec_order_with_its_status() -> None:
    report = _report()
    statuses = {s.rule.rule_id: s for s in rule_statuses(report)}
    assert list(statuses) == [r.rule_id for r in RULES]
    assert statuses[PASSED].status == "passed" and statuses[PASSED].examples == ("a/pass",
                                                                                  "a/pass-2")
    assert statuses[DEVIATES].status == "deviates"  # one passing case does not save it
    assert statuses[DEVIATES].failing == ("a/fail",)
    (fail_deviation,) = [d for d in report.deviations if "a/fail" in d.case_ids]
    assert statuses[DEVIATES].deviations == (fail_deviation.deviation_id,)
    assert statuses[XFAILED].status == "deviates"  # known, still not following the rule
    assert statuses[UNSUPPORTED].status == "not applicable"
    assert statuses[_TESTED[4]].status == "not applicable"  # no case at all
    assert statuses[ELSEWHERE.rule_id].status == "not tested by vectors"


def test_the_json_report_carries_the_rules_and_validates() -> None:
    document = report_to_dict(_report())
    jsonschema.validate(document, _SCHEMA)
    rules = {r["rule"]: r for r in document["rules"]}
    assert list(rules) == [r.rule_id for r in RULES]
    assert rules[DEVIATES]["anchor"] == rule_anchor(DEVIATES)
    assert rules[DEVIATES]["verdicts"]["FAIL"] == 1 and rules[DEVIATES]["cases"] == 2
    assert rules[ELSEWHERE.rule_id]["checked_elsewhere"] == ELSEWHERE.not_vectorized


def test_the_html_rule_view_links_to_the_spec_and_to_the_deviations(tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    write_html(_report(), page)
    text = page.read_text()
    view = text[text.index("<h2>Spec rules</h2>"):]
    assert f'href="{rule_anchor(DEVIATES)}"' in view
    ids = set(re.findall(r'\bid="([^"]+)"', text))
    in_page = re.findall(r'href="#([^"]+)"', view)
    assert in_page and set(in_page) <= ids  # one click to the deviation
    rows = re.findall(r'<tr id="rule-([^"]+)">', view)
    assert rows == [r.rule_id for r in RULES]


def test_a_live_run_marks_the_rules_a_mutant_breaks(tmp_path: Path) -> None:
    mutant = MUTANTS["header-id-unchecked"]
    report = run_suite(RunOptions(impl=mutant.name, seed=1, cases=2, progress=False,
                                  client_factory=lambda: InProcessClient(mutant.session)))
    statuses = {s.rule.rule_id: s.status for s in rule_statuses(report)}
    deviating = {rid for rid, s in statuses.items() if s == "deviates"}
    assert "7.5.7" in deviating  # spec §7.5 step 7: the embedded header id is compared
    assert statuses["2.hkdf"] == statuses["6.session-key"] == "passed"  # keys are right
    assert "spec rules" not in render_terminal(report)  # the terminal report stays short


def test_four_hundred_failures_citing_rules_stay_under_a_megabyte(tmp_path: Path) -> None:
    results = [
        CaseResult(f"gen/decrypt_capsule/big/{n}", "decrypt_capsule", "IHP-Core", Verdict.FAIL,
                   args={"capsule": {"payload": "ab" * 30_000}}, expected={"error": "Codec"},
                   actual={"result": {"password": "cd" * 10_000}}, detail="accepted",
                   difference=f"Codec→success{n % 8}", rules=tuple(_TESTED[n % 40: n % 40 + 5]))
        for n in range(400)
    ]  # fmt: skip
    results, deviations = triage(results, Expectations())
    page = tmp_path / "report.html"
    write_html(RunReport("big", 1, results, deviations=deviations), page)
    assert page.stat().st_size < 1_000_000
    text = page.read_text()
    assert "400 unexpected verdict(s)" in text and text.count('class="deviates"') == 44
