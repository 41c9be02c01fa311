"""`ihp-fuzz`: clear messages for bad input, safe corpus merges, signatures, exit status."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ihp_fuzz import baselines, cli
from ihp_fuzz.corpus import safe_merge
from ihp_fuzz.crashes import stack_signature
from ihp_fuzz.durations import parse_duration
from ihp_fuzz.errors import FuzzToolError
from ihp_fuzz.harnesses import Harness
from ihp_fuzz.libfuzzer import Status, harness_env, parse_line
from ihp_fuzz.summary import CampaignReport, FindingReport, HarnessReport, write_summary

TRACEBACK = """ === Uncaught Python exception: ===
HarnessFinding: decrypt-expected-HeaderIdMismatch-got-ok :: details {line}
Traceback (most recent call last):
  File "/x/fuzz/nonce_mutation.py", line {line}, in TestOneInput
    require_outcome(expected, error, "decrypt")
  File "/x/ihp_fuzz/harness/findings.py", line 24, in require
    raise HarnessFinding(f"{{bucket}} :: {{detail}}")
HarnessFinding: decrypt-expected-HeaderIdMismatch-got-ok :: details {line}

==1== ERROR: libFuzzer: fuzz target exited
"""


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("30m", 1800),
                                               ("8h", 28800), ("1h30m", 5400)])
def test_durations_parse(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "8x", "h", "-5m", "1.5h"])
def test_bad_durations_are_rejected(text: str) -> None:
    with pytest.raises(FuzzToolError):
        parse_duration(text)


@pytest.mark.parametrize("argv", [
    ["run", "no_such_harness"],
    ["campaign", "--budget", "8x"],
    ["campaign", "--budget", "1h", "--jobs", "0"],
    ["reproduce", "/no/such/file", "--harness", "nonce_mutation"],
    ["promote", "/no/such/file", "--harness", "nonce_mutation"],
    ["reproduce", "/tmp"],
    ["run", "nonce_mutation", "--pythonpath", "/no/such/dir"],
    ["campaign", "--budget", "1h", "--libfuzzer-flag", "-runs=1"],
    [],
])
def test_bad_input_gives_a_message_and_no_traceback(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # in process: any exception but argparse's SystemExit fails the test, so no traceback
    # can reach a user (a real `python -m ihp_fuzz.cli` exits in tests/test_fuzz_campaign.py)
    status: object
    try:
        status = cli.main(argv)
    except SystemExit as exc:
        status = exc.code
    stderr = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in stderr
    assert "error" in stderr


def test_signature_ignores_line_numbers_and_keeps_the_bucket() -> None:
    first = stack_signature(TRACEBACK.format(line=66))
    second = stack_signature(TRACEBACK.format(line=99))
    assert first is not None and first == second
    assert "[decrypt-expected-HeaderIdMismatch-got-ok]" in first.summary
    other = stack_signature(TRACEBACK.replace("got-ok", "got-StaleTimestamp").format(line=1))
    assert other is not None and other.digest != first.digest


def test_signature_of_timeouts_and_clean_output() -> None:
    timeout = stack_signature("ALARM: working on the last Unit for 11 seconds")
    assert timeout is not None and timeout.kind == "timeout"
    assert stack_signature("Done 3000 runs in 1 second(s)") is None


def test_status_lines_parse_in_both_modes() -> None:
    plain = parse_line("#4096\tpulse  cov: 312 ft: 901 corp: 41/2Kb lim: 4096 exec/s: 2048 rss: 60Mb")
    assert plain == Status(4096, 312, 901, 41, 2048, 0)
    fork = parse_line("#8051: cov: 310 ft: 880 corp: 40 exec/s 1600 oom/timeout/crash: 0/0/1 "
                      "time: 9s job: 3 dft_time: 0")
    assert fork == Status(8051, 310, 880, 40, 1600, 1, 9)
    assert parse_line("stat::average_exec_per_sec:     13001") == ("average_exec_per_sec", 13001)


def _fake_harness(root: Path, body: str) -> Harness:
    (root / "corpus" / "fake").mkdir(parents=True)
    script = root / "fake.py"
    script.write_text(f"#!{sys.executable}\nimport sys\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return Harness("fake")


@pytest.mark.parametrize("body", ["sys.exit(1)", "sys.exit(0)"], ids=["failed", "empty"])
def test_failed_or_empty_merge_never_replaces_the_corpus(tmp_path: Path, body: str) -> None:
    harness = _fake_harness(tmp_path, body)
    corpus = tmp_path / "work"
    corpus.mkdir()
    (corpus / "a").write_bytes(b"keep me")
    result = safe_merge(harness, tmp_path, corpus, [], harness_env())
    assert not result.replaced
    assert (corpus / "a").read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "fake.py", "work"]


def test_successful_merge_replaces_the_corpus(tmp_path: Path) -> None:
    # a stand-in for libFuzzer -merge=1: copy one input into the first directory
    body = ("from pathlib import Path\ndirs = [Path(a) for a in sys.argv[1:] "
            "if not a.startswith('-')]\n(dirs[0] / 'merged').write_bytes(b'x')")
    harness = _fake_harness(tmp_path, body)
    corpus = tmp_path / "work"
    corpus.mkdir()
    for name in "abc":
        (corpus / name).write_bytes(name.encode())
    result = safe_merge(harness, tmp_path, corpus, [], harness_env())
    assert result.replaced and (result.units_before, result.units_after) == (3, 1)
    assert [p.name for p in corpus.iterdir()] == ["merged"]


def test_slowdown_is_flagged_below_half_the_baseline(tmp_path: Path) -> None:
    (tmp_path / "baselines.json").write_text(json.dumps(
        {"harnesses": {"nonce_mutation": {"exec_per_sec": 20000}}}), encoding="utf-8")
    known = baselines.load_baselines(tmp_path)
    assert baselines.slowdown(known["nonce_mutation"], 9999)
    assert not baselines.slowdown(known["nonce_mutation"], 10000)
    assert not baselines.slowdown(None, 1)


# New harnesses, not measured yet (a missing baseline is "no baseline" to the campaign):
# `benchmarks/bench_fuzz.py --write-baselines` adds them, then they leave this set.
AWAITING_BASELINE: set[str] = set()


def test_committed_baselines_name_every_harness() -> None:
    from ihp_fuzz.harnesses import HARNESSES
    from tests._fuzz_support import FUZZ
    measured = set(baselines.load_baselines(FUZZ))
    assert measured | AWAITING_BASELINE == {h.name for h in HARNESSES}
    assert not measured & AWAITING_BASELINE, "measured now: remove from AWAITING_BASELINE"


def test_summary_has_json_and_markdown_with_new_findings(tmp_path: Path) -> None:
    report = CampaignReport("t", 60, 1, "ihp_ref", [HarnessReport(
        "nonce_mutation", 1, executions=10, findings=[FindingReport(
            "nonce_mutation", "abc", "HarnessFinding [x]", "exception", True, ["in"], None,
            "tb")])], exit_status=1)
    json_path, md_path = write_summary(report, tmp_path)
    assert json.loads(json_path.read_text())["new_findings"] == 1
    assert "NEW: nonce_mutation `abc`" in md_path.read_text()


def test_guessing_the_harness_needs_it_in_the_path(tmp_path: Path) -> None:
    crash = tmp_path / "crash-1"
    crash.write_bytes(b"x")
    assert cli.main(["reproduce", str(crash)]) == 2
