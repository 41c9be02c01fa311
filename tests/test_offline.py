"""Offline mode (issue 11 §3): `export` + answering offline + `judge` gives the verdicts and
deviations of a live `run` with the same seed, case by case, for the reference, every
mutant and the Node.js example; a response file that is wrong in any way is a verdict or
a refusal naming the id, never a traceback.
"""

from __future__ import annotations

import functools
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.cli import main
from conformance.inprocess import InProcessClient
from conformance.model import RunReport, Verdict
from conformance.mutants import CRATE, DIVERGENCE_MUTANTS, MUTANTS, Mutant
from conformance.offline import (
    RESPONSES_SCHEMA,
    OfflineSettings,
    answer_requests,
    build_requests,
    hello_ops,
    judge_offline,
    parse_responses,
)
from conformance.runner import RunOptions, run_suite
from ihp_ref.shim import ShimSession
from tests import _node_support as node_support

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "conformance" / "schemas"
SEED, CASES = 11, 4  # small: every mutant runs twice
_SECRET = "5ec2e7" * 10  # stands for a key in a request: never in a message


def _verdicts(report: RunReport) -> dict[str, Verdict]:
    return {r.case_id: r.verdict for r in report.results}


def _deviations(report: RunReport) -> list[tuple[str, int]]:
    return [(d.deviation_id, d.count) for d in report.deviations]


@functools.lru_cache(maxsize=4)
def _requests(ops: tuple[str, ...]) -> tuple[OfflineSettings, dict[str, Any]]:
    settings = OfflineSettings(seed=SEED, cases=CASES, ops=ops)
    return settings, build_requests(settings)


def _live(name: str, session: Callable[[], Any]) -> RunReport:
    return run_suite(RunOptions(impl=name, seed=SEED, cases=CASES, progress=False,
                                client_factory=lambda: InProcessClient(session, name=name)))


def _offline(session: Callable[[], Any]) -> RunReport:
    settings, requests = _requests(hello_ops(session))
    answered = json.loads(json.dumps(answer_requests(requests, session)))  # as a file holds it
    return judge_offline(requests, settings, parse_responses(answered, requests))


# ---------------------------------------------------------------- the same verdicts


@pytest.mark.slow
@pytest.mark.parametrize("mutant", [*MUTANTS.values(), *DIVERGENCE_MUTANTS.values(), CRATE],
                         ids=lambda m: m.name)  # fmt: skip
def test_every_mutant_gets_the_live_runs_verdicts_case_by_case_offline(mutant: Mutant) -> None:
    live, offline = _live(mutant.name, mutant.session), _offline(mutant.session)
    assert _verdicts(offline) == _verdicts(live)
    assert _deviations(offline) == _deviations(live)
    assert offline.exit_status() == live.exit_status()


def test_the_reference_offline_through_the_command_line_equals_a_live_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    req, resp, rep = tmp_path / "requests.json", tmp_path / "responses.json", tmp_path / "r.json"
    assert main(["export", "--seed", str(SEED), "--cases", str(CASES), "--out", str(req)]) == 0
    requests = json.loads(req.read_text())
    jsonschema.validate(requests, json.loads((SCHEMAS / "requests.schema.json").read_text()))
    answered = answer_requests(requests, ShimSession)
    jsonschema.validate(answered, json.loads((SCHEMAS / "responses.schema.json").read_text()))
    resp.write_text(json.dumps(answered))
    assert main(["judge", str(req), str(resp), "--report-json", str(rep), "--html",
                 str(tmp_path / "r.html")]) == 0  # fmt: skip
    report = json.loads(rep.read_text())
    judged = {**{cid: "PASS" for cid in report["passed"]},
              **{r["case_id"]: r["verdict"] for r in report["results"]}}  # fmt: skip
    live = _live("ref", ShimSession)
    assert judged == {cid: str(v) for cid, v in _verdicts(live).items()}
    assert set(judged.values()) == {"PASS"} and report["exit_status"] == 0
    assert report["implementation"]["name"] == live.implementation


def test_the_request_file_holds_every_case_in_run_order_without_expected_answers() -> None:
    settings, requests = _requests(hello_ops(ShimSession))
    live = _live("ref", ShimSession)
    assert [r["id"] for r in requests["requests"]] == [r.case_id for r in live.results]
    assert requests["count"] == len(live.results) and requests["seed"] == SEED
    text = json.dumps(requests["requests"])
    expected_texts = {json.dumps(r.expected) for r in live.results if r.expected}
    assert not any(t in text for t in expected_texts if len(t) > 40)
    guards = [{s.get("replay_guard") for s in r["steps"]} for r in requests["requests"]
              if any("replay_guard" in s for s in r["steps"])]  # fmt: skip
    assert guards and all(len(g) == 1 for g in guards)  # one guard per sequence
    assert len({next(iter(g)) for g in guards}) == len(guards)  # a fresh one for each
    assert build_requests(settings)["digest"] == requests["digest"]  # deterministic


def test_the_nodejs_example_answers_offline_with_the_live_runs_verdicts(tmp_path: Path) -> None:
    node = node_support.node()
    node_support.ensure_node_modules()  # a clean checkout: the pinned lock file, once
    shim_dir = node_support.SHIM_DIR
    hello = json.loads(subprocess.run(
        [node, str(shim_dir / "shim.mjs")], input='{"id":0,"op":"hello","args":{}}\n',
        capture_output=True, text=True, timeout=60, check=True).stdout)["result"]  # fmt: skip
    ops = tuple(op for op in OfflineSettings.ops if op in hello["ops"])
    settings, requests = _requests(ops)
    (tmp_path / "requests.json").write_text(json.dumps(requests))
    subprocess.run([node, str(shim_dir / "answer-offline.mjs"), "requests.json",
                    "responses.json"], cwd=tmp_path, timeout=300, check=True)  # fmt: skip
    answered = json.loads((tmp_path / "responses.json").read_text())
    offline = judge_offline(requests, settings, parse_responses(answered, requests))
    live = run_suite(RunOptions(impl=f"{node} {shim_dir / 'shim.mjs'}", seed=SEED, cases=CASES,
                                progress=False))  # fmt: skip
    assert _verdicts(offline) == _verdicts(live)
    assert _deviations(offline) == _deviations(live)
    assert offline.implementation == live.implementation


# ---------------------------------------------------------------- bad response files


@pytest.fixture(scope="module")
def answered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    _, requests = _requests(hello_ops(ShimSession))
    req = tmp_path_factory.mktemp("offline") / "requests.json"
    req.write_text(json.dumps(requests))
    return req, answer_requests(requests, ShimSession)


def _judge(req: Path, responses: object | str, tmp_path: Path,
           capsys: pytest.CaptureFixture[str]) -> tuple[int, str, dict[str, Any]]:  # fmt: skip
    resp, rep = tmp_path / "responses.json", tmp_path / "report.json"
    resp.write_text(responses if isinstance(responses, str) else json.dumps(responses))
    status = main(["judge", str(req), str(resp), "--report-json", str(rep)])
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    return status, out.err, json.loads(rep.read_text()) if rep.exists() else {}


def _verdict_of(report: dict[str, Any], case_id: str) -> dict[str, Any]:
    return next(r for r in report["results"] if r["case_id"] == case_id)


@pytest.mark.parametrize(("spoil", "why"), [
    (lambda a: None, "no answer for case"),
    (lambda a: a[0], "not a list of 1 response"),
    (lambda a: [*a, *a], "not a list of 1 response"),
    (lambda a: [{"ok": "yes"}], "'ok' is not a boolean"),
    (lambda a: [{"ok": True}], "ok without a result object"),
    (lambda a: [{"ok": False}], "error without an error code"),
    (lambda a: [{**a[0], "id": 3}], "without an id"),
])  # fmt: skip
def test_a_missing_or_malformed_answer_is_a_crash_naming_the_case(
    answered: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    spoil: Callable[[list[Any]], object], why: str,
) -> None:  # fmt: skip
    req, good = answered
    victim = next(cid for cid, a in good["responses"].items() if cid.startswith("sep/"))
    answers = dict(good["responses"])
    bad = spoil(answers.pop(victim))
    if bad is not None:
        answers[victim] = bad
    status, _, report = _judge(req, {**good, "responses": answers}, tmp_path, capsys)
    assert status == 1
    result = _verdict_of(report, victim)
    assert result["verdict"] == "CRASH" and why in result["detail"] and victim in result["detail"]
    assert [r["case_id"] for r in report["results"]] == [victim]  # every other case passed


def test_three_unanswered_cases_of_an_operation_in_a_row_leave_the_rest_not_run(
    answered: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    req, good = answered
    answers = {cid: a for cid, a in good["responses"].items() if not cid.startswith("token/")}
    status, _, report = _judge(req, {**good, "responses": answers}, tmp_path, capsys)
    verdicts = [r["verdict"] for r in report["results"] if r["case_id"].startswith("token/")]
    assert status == 1 and verdicts[:3] == ["CRASH"] * 3 and len(verdicts) > 3
    assert set(verdicts[3:]) == {"NOT_RUN"}  # the live run's crash-storm rule


def _redigest(requests: dict[str, Any], **changes: Any) -> dict[str, Any]:
    from conformance.offline import _digest

    doc = {**requests, **changes}
    header = {k: doc[k] for k in ("schema", "suite_version", "seed", "settings", "guard_prefix")}
    return {**doc, "digest": _digest(header, doc["requests"])}


def test_files_for_other_requests_are_refused_naming_what_is_wrong(
    answered: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    req, good = answered
    requests = json.loads(req.read_text())
    victim = next(iter(good["responses"]))
    text = json.dumps(good)
    duplicated = text.replace('"responses": {', '"responses": {' + json.dumps(victim) + ": [], ", 1)
    other_seed = build_requests(OfflineSettings(seed=SEED + 1, cases=1))
    refusals = {
        "extra id": ({**good, "responses": {**good["responses"], "no/such/case": []}},
                     "not asked: no/such/case"),
        "duplicate id": (duplicated, f"the key {victim!r} appears twice"),
        "other seed": ({**good, "requests_digest": other_seed["digest"]}, "answers other requests"),
        "no digest": ({"schema": RESPONSES_SCHEMA, "responses": {}}, "answers other requests"),
        "not json": ("{", "is not valid JSON"),
        "nan": (text.replace('"ok": true', '"ok": NaN', 1), "NaN is not JSON"),
        "a list": ("[]", "is not an ihp-conformance-responses/1 document"),
        "no responses": ({**good, "responses": []}, '"responses" is not an object'),
    }  # fmt: skip
    for name, (document, message) in refusals.items():
        status, err, report = _judge(req, document, tmp_path, capsys)
        assert (status, report) == (2, {}), name
        assert message in err, (name, err)
    # a request file of another suite version (re-digested) or edited after export
    for name, spoiled, message in [
        ("suite", _redigest(requests, suite_version="0.0.0-other"), "made by another suite"),
        ("edited", {**requests, "seed": SEED + 1}, "was changed after export"),
        ("schema", {**requests, "requests": [{"id": 1}]}, "is malformed at requests/0"),
        ("secret", {**requests, "requests": [{**requests["requests"][0], "steps": [_SECRET]}]},
         "is malformed at requests/0/steps/0: fails 'type'"),
    ]:
        req.with_name(f"{name}.json").write_text(json.dumps(spoiled))
        answers = {**good, "requests_digest": spoiled["digest"]}  # answers these requests
        status, err, _ = _judge(req.with_name(f"{name}.json"), answers, tmp_path, capsys)
        assert status == 2 and message in err and _SECRET not in err, (name, err)


def test_judge_applies_expectations_like_run(
    answered: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    req, good = answered
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps({"expectations": [
        {"glob": "sep/*", "action": "skip", "reason": "not offered offline"}]}))  # fmt: skip
    rep = tmp_path / "r.json"
    assert main(["judge", str(req), str(tmp_path / "nope.json")]) == 2  # unreadable: refused
    (tmp_path / "resp.json").write_text(json.dumps(good))
    assert main(["judge", str(req), str(tmp_path / "resp.json"), "--expectations", str(exp),
                 "--report-json", str(rep)]) == 0  # fmt: skip
    report = json.loads(rep.read_text())
    assert {r["verdict"] for r in report["results"] if r["case_id"].startswith("sep/")} == {"SKIP"}
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["--ops", "sep_hash,teleport", "--out", "x.json"], "unknown operation(s) 'teleport'"),
    (["--out", "no/such/folder/x.json"], "cannot write no/such/folder/x.json"),
])  # fmt: skip
def test_export_usage_errors_say_what_is_wrong(
    argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    try:
        status = main(["export", "--cases", "0", *argv])
    except SystemExit as exc:  # argparse
        status = int(exc.code or 0)
    err = capsys.readouterr().err
    assert status == 2 and message in err and "Traceback" not in err
