"""Every promoted finding in fuzz/regressions/ is replayed forever (issue 5 §2).

Each case must pass through its harness against the reference. The planted-bug case also
shows that it still catches the bug it was promoted for.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ihp_fuzz.harnesses import Harness, get_harness
from ihp_fuzz.planted import plant_missing_header_check
from ihp_fuzz.regressions import RegressionCase, load_cases
from tests._fuzz_support import FUZZ, import_harness, run_harness

CASES = load_cases(FUZZ)
PLANTED_CASE = "9f3a996cb5a9"  # promoted from a campaign against ihp_fuzz.planted


def test_there_are_regression_cases() -> None:
    assert CASES, "fuzz/regressions/ is empty: the replay below would test nothing"


@pytest.mark.parametrize(("harness", "path", "case"), CASES,
                         ids=[f"{h.name}/{c.signature}" for h, _, c in CASES])
def test_regression_case_passes_its_harness(harness: Harness, path: Path,
                                            case: RegressionCase) -> None:
    assert path.is_file(), f"{case.input_file} missing beside its metadata"
    import_harness(harness.name).TestOneInput(path.read_bytes())


@pytest.mark.slow
def test_planted_header_check_removal_is_caught_by_its_regression_case(tmp_path: Path) -> None:
    harness = get_harness("nonce_mutation")
    case = harness.regressions(FUZZ) / f"{PLANTED_CASE}.bin"
    plant_missing_header_check(tmp_path)
    caught = run_harness(harness, [case], ["-runs=1"], pythonpath=(tmp_path,))
    assert caught.returncode != 0
    assert "decrypt-expected-HeaderIdMismatch-got-ok" in caught.stdout + caught.stderr
    clean = run_harness(harness, [case], ["-runs=1"])
    assert clean.returncode == 0, clean.stdout[-2000:] + clean.stderr[-2000:]
