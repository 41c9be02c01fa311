"""Triage a failing implementation (issue 10): the crate stand-in's seven §15 divergences
read as seven deviations; `--write-expectations` then `--expectations` gives a green run;
taking one entry out brings back exactly that deviation; a strict glob entry whose cases
pass is XPASS; a known divergence that never shows is reported."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.expectations import Expectation, Expectations, narrowest_globs
from conformance.inprocess import InProcessClient
from conformance.mutants import CRATE, MUTANTS
from conformance.runner import RunOptions, run_suite

CRATE_SHIM = shlex.join([sys.executable, "-m", "conformance.mutants", CRATE.name])
SEED, CASES = "5", "40"


def _cli(tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    report = tmp_path / "report.json"
    status = main(["run", "--impl", CRATE_SHIM, "--seed", SEED, "--cases", CASES,
                   "--no-progress", "--report-json", str(report), *extra])  # fmt: skip
    return status, json.loads(report.read_text())


def _unexpected_flags(report: dict[str, Any]) -> list[str | None]:
    return sorted(d["flag"] for d in report["deviations"] if not d["known"])


def test_the_crate_through_its_shim_triages_to_seven_deviations_and_a_green_rerun(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = tmp_path / "known.json"
    status, report = _cli(tmp_path, "--write-expectations", str(written))
    assert status == 1
    assert _unexpected_flags(report) == sorted(CRATE.flags)
    out = capsys.readouterr().out
    assert f"{report['summary']['FAIL']} unexpected verdict(s) in 7 deviation(s):" in out
    entries = json.loads(written.read_text())["expectations"]
    assert sorted(e["flag"] for e in entries) == sorted(CRATE.flags)
    assert all(e["reason"].startswith("TODO") for e in entries)

    status, green = _cli(tmp_path, "--expectations", str(written))
    assert status == 0
    assert green["summary"]["FAIL"] == green["summary"]["XPASS"] == 0
    assert green["summary"]["XFAIL"] == report["summary"]["FAIL"]
    assert [d for d in green["deviations"] if not d["known"]] == []


def _crate_run(expectations: Expectations, seed: int = 5) -> Any:
    return run_suite(RunOptions(
        impl=CRATE.name, seed=seed, cases=40, progress=False, expectations=expectations,
        client_factory=lambda: InProcessClient(CRATE.session, name=CRATE.name),
    ))  # fmt: skip


@pytest.mark.parametrize("removed", sorted(CRATE.flags))
def test_taking_out_one_known_divergence_brings_back_exactly_that_deviation(removed: str) -> None:
    entries = tuple(Expectation(None, "xfail", "crate", flag=f) for f in CRATE.flags
                    if f != removed)  # fmt: skip
    report = _crate_run(Expectations(entries))
    assert [d.flag for d in report.deviations if not d.known] == [removed]
    assert report.exit_status() == 1


def test_a_known_divergence_never_shown_is_reported_and_passing_cases_stay_passes() -> None:
    expectations = Expectations((Expectation(None, "xfail", "not in this build",
                                             flag="NoNonceTracking"),))  # fmt: skip
    report = run_suite(RunOptions(
        impl="ref", seed=1, cases=10, progress=False, expectations=expectations))  # fmt: skip
    assert report.exit_status() == 0
    assert report.unshown_divergences == ("NoNonceTracking",)
    assert not any(r.verdict in ("XPASS", "XFAIL") for r in report.results)


def test_a_strict_glob_entry_whose_cases_pass_is_xpass() -> None:
    expectations = Expectations((Expectation("decrypt/drift/*", "xfail", "was broken"),))
    report = run_suite(RunOptions(
        impl="ref", seed=1, cases=0, progress=False, expectations=expectations))  # fmt: skip
    assert report.exit_status() == 1
    [deviation] = report.deviations
    assert deviation.kind == "xpass" and deviation.deviation_id == "xpass:decrypt/drift/*"


def test_a_defect_outside_section_15_gets_glob_entries_that_cover_only_its_cases(
    tmp_path: Path,
) -> None:
    mutant = MUTANTS["header-id-unchecked"]
    options = RunOptions(impl=mutant.name, seed=3, cases=20, progress=False,
                         client_factory=lambda: InProcessClient(mutant.session))  # fmt: skip
    from conformance.expectations import expectations_for

    first = run_suite(options)
    document = expectations_for(first, Expectations())
    assert document["expectations"] and all("glob" in e for e in document["expectations"])
    entries = tuple(Expectation(e["glob"], "xfail", e["reason"]) for e in document["expectations"])
    second = run_suite(RunOptions(**{**options.__dict__, "expectations": Expectations(entries)}))
    assert second.exit_status() == 0


def test_narrowest_globs() -> None:
    all_ids = ["a/x/1", "a/x/2", "a/y/1", "b/1"]
    assert narrowest_globs(["a/x/1", "a/x/2"], all_ids) == ["a/x/*"]
    assert narrowest_globs(["a/x/1"], all_ids) == ["a/x/1"]
    assert narrowest_globs(["a/x/1", "a/y/1"], all_ids) == ["a/x/1", "a/y/1"]
    assert narrowest_globs(["odd[1]"], ["odd[1]", "odd1"]) == ["odd[[]1]"]
