"""A shim that crashes, hangs, writes garbage or answers out of order fails only the case
in flight; the runner restarts it, finishes the run and keeps its stderr for the report."""

from __future__ import annotations

import shlex
import sys
import textwrap
from pathlib import Path

import pytest

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
    assert all(r.verdict in (Verdict.CRASH, Verdict.UNSUPPORTED) for r in report.results)
    assert any("too many restarts" in r.detail for r in report.results)
