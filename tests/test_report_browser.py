"""The HTML report in a real browser (headless Chromium, Debian's `chromium` package, which
.ci/run installs): it loads, opens with the deviations, logs nothing to the console; and
hundreds of failures with large inputs stay under 1 MB."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.expectations import Expectations
from conformance.inprocess import InProcessClient
from conformance.model import CaseResult, RunReport, Verdict
from conformance.mutants import CRATE
from conformance.reports import write_html
from conformance.runner import RunOptions, run_suite
from conformance.triage import DIVERGENCE_TITLES, triage

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt-get install chromium)")


def _load(page: Path) -> tuple[str, list[str]]:
    """The DOM Chromium built from `page`, and the console messages it logged."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
         "--v=0", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


@needs_browser
def test_the_console_check_sees_a_planted_error(tmp_path: Path) -> None:
    page = tmp_path / "planted.html"
    page.write_text('<html><body><script>console.error("planted")</script></body></html>')
    _, console = _load(page)
    assert any("planted" in line for line in console)


@needs_browser
def test_the_html_report_loads_and_opens_with_the_deviations(tmp_path: Path) -> None:
    report = run_suite(RunOptions(
        impl=CRATE.name, seed=5, cases=40, progress=False,
        client_factory=lambda: InProcessClient(CRATE.session, name=CRATE.name),
    ))  # fmt: skip
    page = tmp_path / "report.html"
    write_html(report, page)
    dom, console = _load(page)
    assert console == []
    assert "in 7 deviation(s)" in dom
    for flag in CRATE.flags:
        assert f"{flag}: {DIVERGENCE_TITLES[flag]}" in dom
    assert dom.index(f"{CRATE.flags[0]}:") < dom.index("<h2>Profiles</h2>")


def test_four_hundred_failures_with_large_inputs_stay_under_a_megabyte(tmp_path: Path) -> None:
    results = [
        CaseResult(f"gen/capsule_from_json/big/{n}", "capsule_from_json", "IHP-Wire",
                   Verdict.FAIL, args={"json": "[" * 50_000}, expected={"error": "Codec"},
                   actual={"result": {"capsule": {"payload": "ab" * 20_000}}},
                   detail="accepted; expected error Codec", difference=f"Codec→success{n % 4}")
        for n in range(400)
    ]  # fmt: skip
    results, deviations = triage(results, Expectations())
    page = tmp_path / "report.html"
    write_html(RunReport("big", 1, results, deviations=deviations), page)
    text = page.read_text()
    assert page.stat().st_size < 1_000_000
    assert "400 unexpected verdict(s) in 4 deviation(s)" in text
    assert "(50011 chars)" in text  # elided with its size
