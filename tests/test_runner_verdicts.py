"""Verdict rules of a run: exact outcomes, expectations (skip/xfail/XPASS, unmatched globs),
unsupported operations, profiles, seeds."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.cases import Case, Step
from conformance.expectations import Expectation, Expectations
from conformance.generate import generate_cases
from conformance.inprocess import InProcessClient
from conformance.judge import judge_step
from conformance.model import ProfileStatus, Verdict
from conformance.mutants import MUTANTS
from conformance.runner import RunOptions, run_suite
from ihp_ref.shim import ShimSession


def _options(factory: Any = None, **kw: Any) -> RunOptions:
    kw.setdefault("seed", 9)
    kw.setdefault("cases", 12)
    kw.setdefault("progress", False)
    return RunOptions(
        impl="test",
        client_factory=factory or (lambda: InProcessClient(ShimSession)),
        **kw,
    )


def test_wrong_error_code_is_a_failure() -> None:
    step = Step({}, error="StaleTimestamp")
    assert judge_step(step, {"id": 1, "ok": False, "error": "StaleTimestamp"})[0] == Verdict.PASS
    verdict, why = judge_step(step, {"id": 1, "ok": False, "error": "InvalidAeadTag"})
    assert verdict == Verdict.FAIL and "wrong error code" in why
    assert judge_step(step, {"id": 1, "ok": True, "result": {}})[0] == Verdict.FAIL


def test_result_values_compare_exactly() -> None:
    step = Step({}, expected={"bucket": 3, "hex": "ab"})
    ok = {"id": 1, "ok": True, "result": {"bucket": 3, "hex": "ab"}}
    assert judge_step(step, ok)[0] == Verdict.PASS
    for result in ({"bucket": 3.0, "hex": "ab"}, {"bucket": 3, "hex": "AB"}, {"bucket": 3}):
        assert judge_step(step, {"id": 1, "ok": True, "result": result})[0] == Verdict.FAIL


def test_xfail_xpass_skip_and_unmatched_globs() -> None:
    mutant = MUTANTS["rtt-python-round"]
    expectations = Expectations((
        Expectation("rtt/half-*", "xfail", "known rounding bug"),
        Expectation("gen/rtt_bucket/half-bucket/*", "xfail", "known rounding bug"),
        Expectation("gen/rtt_bucket/random/*", "xfail", "wrongly expected to fail"),
        Expectation("gen/session_token/*", "skip", "no tokens here"),
        Expectation("no/such/case/*", "skip", "typo"),
    ))  # fmt: skip
    report = run_suite(_options(lambda: InProcessClient(mutant.session),
                                expectations=expectations))  # fmt: skip
    verdicts = {r.case_id: r.verdict for r in report.results}
    assert Verdict.XFAIL in verdicts.values()
    assert all(v == Verdict.SKIP for k, v in verdicts.items() if k.startswith("gen/session_token"))
    random_rtt = [v for k, v in verdicts.items() if k.startswith("gen/rtt_bucket/random/")]
    assert random_rtt and set(random_rtt) == {Verdict.XPASS}
    assert report.unmatched_expectations == ("no/such/case/*",)
    assert report.exit_status() == 1  # XPASS fails the run
    assert {r.verdict for r in report.unexpected()} == {Verdict.XPASS}
    assert not [r for r in report.results if r.verdict == Verdict.FAIL]


class _CoreOnly(ShimSession):
    """Implements IHP-Core only."""

    def __init__(self) -> None:
        super().__init__()
        core = {"hello", "config_validate", "sep_hash", "derive_profile_key",
                "derive_session_key", "encrypt_capsule", "decrypt_capsule"}  # fmt: skip
        self._ops = {k: v for k, v in self._ops.items() if k in core}


def test_unsupported_operations_are_not_applicable_not_failed() -> None:
    report = run_suite(_options(lambda: InProcessClient(_CoreOnly)))
    status = {s.profile: s.status for s in report.profile_summaries()}
    assert status["IHP-Core"] == ProfileStatus.CONFORMS
    assert status["IHP-Wire"] == ProfileStatus.NOT_APPLICABLE
    assert status["IHP-Client"] == ProfileStatus.NOT_APPLICABLE
    assert report.exit_status() == 0
    assert not [r for r in report.results if r.case_id.startswith("gen/rtt_bucket")]


def test_profile_selection_runs_only_that_profile() -> None:
    report = run_suite(_options(profiles=("IHP-Token",)))
    assert {r.profile for r in report.results} == {"IHP-Token"}
    assert [s.profile for s in report.profile_summaries()] == ["IHP-Token"]
    assert report.results[0].case_id == "sanity/first"
    assert report.results[-1].case_id == "sanity/last"


def test_same_seed_same_cases_other_seed_other_cases() -> None:
    def signature(seed: int) -> list[tuple[str, object]]:
        return [(c.case_id, [dict(s.args) for s in c.steps]) for c in generate_cases(seed, 15)]

    assert signature(4) == signature(4)
    assert signature(4) != signature(5)


def test_generated_volume_follows_cases_option() -> None:
    cases = generate_cases(1, 30)
    per_op: dict[str, int] = {}
    for c in cases:
        per_op[c.case_id.split("/")[1]] = per_op.get(c.case_id.split("/")[1], 0) + 1
    assert per_op["decrypt_capsule"] == 30 and per_op["replay"] == 15
    assert len(per_op) == 13


def test_replay_sequences_get_a_fresh_guard_per_case() -> None:
    report = run_suite(_options(profiles=("IHP-Replay",), cases=20, keep_passing=True))
    guards = [
        {s["replay_guard"] for s in r.args["steps"]} if "steps" in (r.args or {})
        else {(r.args or {}).get("replay_guard")}
        for r in report.results if r.profile == "IHP-Replay"
    ]  # fmt: skip
    assert all(len(g) == 1 for g in guards)
    flat = [next(iter(g)) for g in guards]
    assert len(set(flat)) == len(flat)
    assert report.exit_status() == 0


def test_fail_fast_stops_at_the_first_unexpected_verdict() -> None:
    mutant = MUTANTS["token-base64-padded"]
    report = run_suite(_options(lambda: InProcessClient(mutant.session), fail_fast=True))
    assert len(report.unexpected()) == 1
    assert any("fail-fast" in n for n in report.notes)


def test_jobs_give_the_same_verdicts_as_one_worker() -> None:
    mutant = MUTANTS["drift-bound-exclusive"]
    one = run_suite(_options(lambda: InProcessClient(mutant.session)))
    three = run_suite(_options(lambda: InProcessClient(mutant.session), jobs=3))
    assert [(r.case_id, r.verdict) for r in one.results] == [
        (r.case_id, r.verdict) for r in three.results
    ]
    assert one.exit_status() == 1


def test_a_case_object_needs_exactly_one_outcome() -> None:
    with pytest.raises(ValueError):
        Step({}, expected={"a": 1}, error="Codec")
    with pytest.raises(ValueError):
        Case("x", "op", "IHP-Core", ())


def test_progress_bar_is_drawn_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    run_suite(_options(progress=True, cases=2))
    err = capsys.readouterr().err
    assert "\r[" in err and "unexpected: 0" in err


def test_no_progress_bar_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    run_suite(_options(progress=None, cases=2))
    assert "\r[" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("mutant", "flag"),
    [
        ("drift-i64-wrapping", "DriftOverflow"),
        ("bincode-trailing-bytes", "BincodeTrailingBytes"),
        ("bincode-length-unbounded", "BincodeHugeLength"),
        ("json-depth-unbounded", "JsonDepthUnbounded"),
        ("json-duplicate-keys-last-wins", "JsonDuplicateKey"),
        ("replay-guard-ignored", "NoNonceTracking"),
    ],
)
def test_xfail_by_divergence_flag_covers_exactly_that_divergence(mutant: str, flag: str) -> None:
    """An implementation with one spec §15 divergence passes the generated cases once that
    flag is xfailed: every failure carries the flag, and no flagged case passes (no XPASS).
    (Vector flags describe what a case is about, so some flagged vectors pass: generated
    cases only here.)"""
    expectations = Expectations((Expectation(None, "xfail", "known divergence", flag=flag),))
    session = MUTANTS[mutant].session
    report = run_suite(_options(lambda: InProcessClient(session), expectations=expectations,
                                cases=60, vectors=False))  # fmt: skip
    assert report.unexpected() == [], [(r.case_id, r.verdict) for r in report.unexpected()][:5]
    assert any(r.verdict == Verdict.XFAIL for r in report.results)
    assert report.exit_status() == 0


def test_a_reference_error_drops_the_generated_case_with_a_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from conformance.generate import _oracle

    real_ask = _oracle.Oracle.ask

    def broken(self: _oracle.Oracle, op: str, args: Any) -> dict[str, Any]:
        if op == "capsule_to_json":
            return {"id": 0, "ok": False, "error": "ShimInternalError"}
        return real_ask(self, op, args)

    monkeypatch.setattr(_oracle.Oracle, "ask", broken)
    report = run_suite(_options(profiles=("IHP-Wire",), cases=3))
    assert sum("dropped" in n for n in report.notes) == 3
    assert not [r for r in report.results if r.case_id.startswith("gen/capsule_to_json/")]
    assert report.exit_status() == 0
