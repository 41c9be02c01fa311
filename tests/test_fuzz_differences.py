"""Differential findings against a third party: one per cause, smallest reproducer kept,
known divergences expected away, open questions never findings (issue 10 §4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.expectations import Expectation, Expectations
from ihp_fuzz.campaign import EXIT_CLEAN, EXIT_NEW_FINDING, _exit_status
from ihp_fuzz.differences import collect_causes, unseen_expectations
from ihp_fuzz.harness import golden, wire
from ihp_fuzz.harness.causes import Cause, cause_of
from ihp_fuzz.harness.pipe import PipeShim
from ihp_fuzz.harness.recorder import Recorder
from ihp_fuzz.harness.requests import OPERATIONS, shim_request
from ihp_fuzz.summary import CampaignReport, FindingReport, HarnessReport, write_summary
from tests._fuzz_support import FUZZ, import_harness

GOLDEN_BINARY = wire.to_binary(golden.golden_fields()).hex()
MUTANT = [sys.executable, "-m", "conformance.mutants"]


def _binary(extra: str = "") -> tuple[str, dict[str, Any]]:
    return "capsule_from_binary", {"hex": GOLDEN_BINARY + extra}


def test_agreeing_answers_and_unsupported_ones_are_no_difference() -> None:
    op, args = _binary()
    assert cause_of(op, args, ("ok", {"a": 1}), ("ok", {"a": 1})) is None
    assert cause_of(op, args, ("Codec", None), ("Codec", None)) is None
    assert cause_of(op, args, ("Codec", None), ("unsupported", None)) is None


def test_a_difference_a_divergence_explains_is_named_by_its_flag() -> None:
    op, args = _binary("00")  # one trailing byte: spec §15 BincodeTrailingBytes
    capsule = {"capsule": {"version": 1}}
    cause = cause_of(op, args, ("Codec", None), ("ok", capsule))
    assert cause is not None and cause.flags == ("BincodeTrailingBytes",)
    assert cause.name == cause.slug == "BincodeTrailingBytes" and cause.is_finding


def test_a_difference_no_divergence_explains_is_named_by_operation_and_kind() -> None:
    op, args = _binary()
    cause = cause_of(op, args, ("ok", {"capsule": {}}), ("Codec", None))
    assert cause == Cause(op, "ok", "error")
    assert cause.name == "capsule_from_binary: ok → error"
    assert cause_of(op, args, ("ok", {"capsule": 1}), ("ok", {"capsule": 2})) == \
        Cause(op, "ok", "result")
    crash = cause_of(op, args, ("ok", {}), ("crash", None))
    assert crash is not None and crash.provided == "crash"


def test_a_question_the_spec_leaves_open_is_never_a_finding() -> None:
    args = {"sep": {"cpu": "a", "nic": "b", "os": "c", "build": "d", "tpm_quote": None},
            "max_fingerprint_bytes": 0}
    cause = cause_of("sep_hash", args, ("Config", None), ("ok", {"env_hash": "00"}))
    assert cause is not None and not cause.is_finding and cause.open_questions


def _record(recorder: Recorder, extra: str, data: bytes) -> None:
    op, args = _binary(extra)
    cause = cause_of(op, args, ("Codec", None), ("ok", {"capsule": {}}))
    assert cause is not None
    recorder.record(cause, data, op, args, len(args["hex"]) + 40, ("Codec", None),
                    ("ok", {"capsule": {}}))


def test_causes_add_up_over_processes_and_keep_the_smallest_request(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    first, second = Recorder(raw), Recorder(raw)
    second._pid = first._pid + 1  # two jobs of -fork=N
    _record(first, "0000", b"big")
    _record(first, "00", b"small")
    _record(second, "000000", b"bigger")
    causes = collect_causes(raw, tmp_path / "findings", None)
    assert [(c.slug, c.count) for c in causes] == [("BincodeTrailingBytes", 3)]
    assert causes[0].reproducer.read_bytes() == b"small"
    case = json.loads(causes[0].case_file.read_text(encoding="utf-8"))
    assert case["request"]["args"]["hex"] == GOLDEN_BINARY + "00"
    assert causes[0].expected_by is None


def test_an_expectations_entry_by_flag_or_glob_makes_a_cause_expected(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _record(Recorder(raw), "00", b"x")
    by_flag = Expectations((Expectation(None, "xfail", "known", "BincodeTrailingBytes"),
                            Expectation(None, "xfail", "never seen", "DriftOverflow")))
    causes = collect_causes(raw, tmp_path / "findings", by_flag)
    assert causes[0].expected_by == "flag:BincodeTrailingBytes"
    assert unseen_expectations(by_flag, causes) == ["flag:DriftOverflow"]
    by_glob = Expectations((Expectation("fuzz/differential/Bincode*", "xfail", "known"),))
    assert collect_causes(raw, tmp_path / "f2", by_glob)[0].expected_by is not None


def test_expected_divergences_neither_fail_nor_count_as_known(tmp_path: Path) -> None:
    finding = FindingReport("differential", "BincodeTrailingBytes", "BincodeTrailingBytes",
                            "difference", False, ["r"], "r", "c", count=7,
                            flags=["BincodeTrailingBytes"], request={"op": "x", "args": {}},
                            expected_by="flag:BincodeTrailingBytes")
    report = CampaignReport("t", 1, 1, "x", [HarnessReport("differential", 1, executions=9,
                                                           findings=[finding])])
    assert _exit_status(report) == EXIT_CLEAN
    assert report.known_findings == [] and report.expected_findings == [finding]
    _, markdown = write_summary(report, tmp_path)
    text = markdown.read_text(encoding="utf-8")
    assert "expected (flag:BincodeTrailingBytes): differential BincodeTrailingBytes" in text
    assert "7 differing requests" in text
    finding.expected_by, finding.new = None, True
    assert _exit_status(report) == EXIT_NEW_FINDING


def test_the_pipe_client_batches_and_reports_a_crash_with_what_came_before() -> None:
    shim = PipeShim([*MUTANT, "bincode-trailing-bytes"], timeout=10)
    shim.hello()
    lines = [shim.line(*_binary(extra)) for extra in ("", "00", "x")]
    answers = shim.exchange(lines)
    assert [a["ok"] for a in answers] == [True, True, False]
    shim.close()
    script = "import sys\nfor line in sys.stdin:\n    sys.exit(3)\n"
    dead = PipeShim([sys.executable, "-c", script], timeout=10)
    with pytest.raises(Exception, match="exited") as info:
        dead.exchange([dead.line("hello", {})])
    assert getattr(info.value, "kind", "") == "crash" and not dead.alive
    dead.close()


def test_recording_harness_keeps_going_and_files_each_cause_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    harness = import_harness("differential")
    monkeypatch.setenv("IHP_FUZZ_SHIM", " ".join([*MUTANT, "bincode-trailing-bytes"]))
    monkeypatch.setattr(harness, "_client", None)
    monkeypatch.setattr(harness, "RECORDER", Recorder(tmp_path / "raw"))
    for seed in sorted((FUZZ / "corpus" / "differential").glob("seed-vector-from-binary*")):
        harness.TestOneInput(seed.read_bytes())  # never raises
    harness._flush()
    harness._client.close()
    causes = collect_causes(tmp_path / "raw", tmp_path / "findings", None)
    assert [c.slug for c in causes] == ["BincodeTrailingBytes"]
    assert causes[0].count >= 2  # the vectors have several trailing-bytes cases


def test_literal_inputs_are_requests_and_others_are_built_by_the_provider() -> None:
    assert shim_request(b'{"op":"rtt_bucket","args":{"samples_ms":[1.5]}}') == (
        "rtt_bucket", {"samples_ms": [1.5]})
    assert shim_request(b'{"op":') is None
    built = shim_request(b"\x00" + bytes(range(64)))
    assert built is not None and built[0] in {op for op, _ in OPERATIONS}
    assert "replay_guard" not in built[1]


@pytest.mark.slow
@pytest.mark.early
def test_a_run_against_a_divergent_shim_with_its_expectations_exits_0(tmp_path: Path) -> None:
    expectations = tmp_path / "expectations.json"
    expectations.write_text(json.dumps({"expectations": [
        {"flag": "BincodeTrailingBytes", "action": "xfail", "reason": "spec §15"}]}))
    env = {**os.environ, "IHP_FUZZ_SHIM": " ".join([*MUTANT, "bincode-trailing-bytes"])}
    out = tmp_path / "out"
    # the seed corpus holds a trailing-bytes input (passes even at --time 1): 2 s suffice
    run = subprocess.run([sys.executable, "-m", "ihp_fuzz.cli", "run", "differential",
                          "--time", "2", "--out", str(out), "--quiet", "--expectations",
                          str(expectations)], env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == EXIT_CLEAN, run.stdout + run.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    findings = summary["harnesses"][0]["findings"]
    assert [(f["signature"], f["expected_by"]) for f in findings] == [
        ("BincodeTrailingBytes", "flag:BincodeTrailingBytes")]
    assert summary["new_findings"] == 0 and summary["expected_findings"] == 1
