"""A shim that crashes, hangs, writes garbage or answers out of order fails only the case
in flight; the runner restarts it, finishes the run and keeps its stderr for the report."""

from __future__ import annotations

import shlex
import sys
import textwrap
from pathlib import Path

import pytest

from conformance.execute import STORM_CRASHES
from conformance.model import Verdict
from conformance.runner import ImplementationError, RunOptions, run_suite

# The reference shim, misbehaving once (a marker file remembers it did) at request MISBEHAVE_AT.
_FAKE_SHIM = textwrap.dedent(
    """
    import json, os, sys, time
    from ihp_ref.shim import ShimSession

    mode, at, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    session = ShimSession()
    for n, line in enumerate(sys.stdin.buffer):
        request = json.loads(line)
        response = session.handle(request)
        if n == at and not os.path.exists(marker):
            open(marker, "w").close()
            print(f"fake shim: misbehaving ({mode}) on request {n}", file=sys.stderr, flush=True)
            if mode == "crash":
                sys.exit(3)
            if mode == "hang":
                time.sleep(60)
            if mode == "garbage":
                sys.stdout.write("this is not json\\n")
                sys.stdout.flush()
                continue
            if mode == "wrong-id":
                response["id"] = request["id"] + 1000
            if mode == "no-ok":
                response = {"id": request["id"]}
        sys.stdout.write(json.dumps(response) + "\\n")
        sys.stdout.flush()
    """
)


def _fake(tmp_path: Path, mode: str, at: int) -> str:
    script = tmp_path / "fake_shim.py"
    script.write_text(_FAKE_SHIM)
    marker = tmp_path / "misbehaved"
    return shlex.join([sys.executable, str(script), mode, str(at), str(marker)])


@pytest.mark.parametrize(
    ("mode", "verdict"),
    [
        ("crash", Verdict.CRASH),
        ("hang", Verdict.TIMEOUT),
        ("garbage", Verdict.CRASH),
        ("wrong-id", Verdict.CRASH),
        ("no-ok", Verdict.CRASH),
    ],
)
def test_misbehaving_shim_fails_only_the_case_in_flight(
    tmp_path: Path, mode: str, verdict: Verdict
) -> None:
    impl = _fake(tmp_path, mode, at=40)
    report = run_suite(RunOptions(impl=impl, seed=3, cases=8, timeout=1.0, progress=False))
    bad = report.unexpected()
    assert [r.verdict for r in bad] == [verdict]
    assert sum(r.verdict == Verdict.PASS for r in report.results) == len(report.results) - 1
    assert report.results[-1].case_id == "sanity/last"
    assert report.results[-1].verdict == Verdict.PASS
    assert f"misbehaving ({mode})" in report.stderr
    assert any("restarted 1 time" in note for note in report.notes)
    assert report.exit_status() == 1


def test_shim_that_cannot_start_is_an_implementation_error(tmp_path: Path) -> None:
    with pytest.raises(ImplementationError, match="cannot start"):
        run_suite(RunOptions(impl=str(tmp_path / "no-such-shim"), progress=False))


def test_shim_that_does_not_answer_hello_is_an_implementation_error() -> None:
    impl = shlex.join([sys.executable, "-c", "import sys; print('hi'); sys.stdin.read()"])
    with pytest.raises(ImplementationError, match="hello"):
        run_suite(RunOptions(impl=impl, timeout=2.0, progress=False))


def test_shim_that_crashes_on_every_request_is_given_up_on(tmp_path: Path) -> None:
    script = tmp_path / "dies.py"
    script.write_text(textwrap.dedent(
        """
        import json, sys
        from ihp_ref.shim import ShimSession
        s = ShimSession()
        line = sys.stdin.readline()
        print(json.dumps(s.handle(json.loads(line))), flush=True)  # hello only
        sys.exit(1)
        """
    ))  # fmt: skip
    impl = shlex.join([sys.executable, str(script)])
    options = RunOptions(impl=impl, seed=1, cases=5, timeout=2.0, progress=False, max_restarts=3)
    report = run_suite(options)
    assert report.exit_status() == 1
    verdicts = {r.verdict for r in report.results}
    assert verdicts <= {Verdict.CRASH, Verdict.NOT_RUN, Verdict.UNSUPPORTED}
    assert sum(r.verdict == Verdict.CRASH for r in report.results) == 4  # first + 3 restarts
    assert any("too many restarts" in r.detail for r in report.results)
    [storm] = [d for d in report.deviations if not d.known]  # a crash storm: one deviation
    assert storm.kind == "crash" and storm.not_run == sum(
        r.verdict == Verdict.NOT_RUN for r in report.results) > 100


# The reference shim, dying on every request of one operation, or writing garbage now and then.
_STORMY_SHIM = textwrap.dedent(
    """
    import json, sys
    from ihp_ref.shim import ShimSession
    mode = sys.argv[1]
    s = ShimSession()
    for n, line in enumerate(sys.stdin.buffer):
        request = json.loads(line)
        if mode == "dies-on-decrypt" and request["op"] == "decrypt_capsule":
            sys.exit(5)
        if mode == "garbage-every-7th" and n % 7 == 6:
            sys.stdout.write("not json\\n")
        else:
            sys.stdout.write(json.dumps(s.handle(request)) + "\\n")
        sys.stdout.flush()
    """
)


def _stormy(tmp_path: Path, mode: str) -> str:
    script = tmp_path / "stormy.py"
    script.write_text(_STORMY_SHIM)
    return shlex.join([sys.executable, str(script), mode])


def test_a_crash_storm_on_one_operation_abandons_it_and_runs_the_others(tmp_path: Path) -> None:
    options = RunOptions(impl=_stormy(tmp_path, "dies-on-decrypt"), seed=2, cases=10,
                         timeout=5.0, progress=False)  # fmt: skip
    report = run_suite(options)
    decrypts = [r for r in report.results if r.operation == "decrypt_capsule"]
    assert sum(r.verdict == Verdict.CRASH for r in decrypts) == STORM_CRASHES
    assert all(r.verdict in (Verdict.CRASH, Verdict.NOT_RUN) for r in decrypts)
    others = [r for r in report.results if r.operation != "decrypt_capsule"]
    assert others and all(r.verdict == Verdict.PASS for r in others)
    assert any(f"restarted {STORM_CRASHES} time" in n for n in report.notes)
    [storm] = report.deviations
    assert storm.kind == "crash" and storm.operations == ("decrypt_capsule",)
    assert storm.not_run == len(decrypts) - STORM_CRASHES


def test_garbage_now_and_then_is_one_deviation_not_a_thousand(tmp_path: Path) -> None:
    options = RunOptions(impl=_stormy(tmp_path, "garbage-every-7th"), seed=2, cases=10,
                         timeout=5.0, progress=False, max_restarts=10)  # fmt: skip
    report = run_suite(options)
    assert report.exit_status() == 1
    assert [d.kind for d in report.deviations] == ["crash"]
    assert sum(1 for _ in report.unexpected()) == report.deviations[0].count + (
        report.deviations[0].not_run)
