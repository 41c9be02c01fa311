"""End to end (issue 5 "Done when"): a short campaign finds a planted bug from the golden
seed alone, exits 1 (new finding), and `promote` turns the finding into a regression case
that passes against the reference and fails against the planted copy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ihp_fuzz.campaign import EXIT_CLEAN, EXIT_KNOWN_OR_SLOW, EXIT_NEW_FINDING, _exit_status
from ihp_fuzz.harnesses import get_harness
from ihp_fuzz.planted import plant_missing_header_check
from ihp_fuzz.summary import CampaignReport, FindingReport, HarnessReport
from tests._fuzz_support import FUZZ, run_harness

# the planted bug (no header-id check) shows as whatever step 7 no longer stops: success,
# or a later step's error (StaleTimestamp when the mutation also moved the timestamp)
BUCKET = "[decrypt-expected-HeaderIdMismatch-got-"


def _ihp_fuzz(args: list[str], fuzz_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ihp_fuzz.cli", *args], capture_output=True,
                          text=True, timeout=600, check=False,
                          env={**os.environ, "IHP_FUZZ_DIR": str(fuzz_dir)})


@pytest.mark.slow
@pytest.mark.early
def test_campaign_finds_the_planted_bug_and_promotes_it(tmp_path: Path) -> None:
    planted = tmp_path / "planted"
    plant_missing_header_check(planted)
    fuzz_dir = tmp_path / "fuzz"
    shutil.copytree(FUZZ, fuzz_dir)
    shutil.rmtree(fuzz_dir / "regressions" / "nonce_mutation")
    for seed in (fuzz_dir / "corpus" / "nonce_mutation").iterdir():
        if seed.name != "seed-ok-binary":  # only the golden capsule: the fuzzer must mutate
            seed.unlink()
    out = tmp_path / "out"
    # libFuzzer's own flag ends the campaign at its first crash (fork mode ignores crashes
    # otherwise): the planted bug takes about 5 s to find, the budget caps a loaded machine
    campaign = _ihp_fuzz(["campaign", "--harness", "nonce_mutation", "--budget", "60s",
                          "--pythonpath", str(planted), "--out", str(out), "--no-minimize",
                          "--libfuzzer-flag=-ignore_crashes=0", "--quiet"], fuzz_dir)
    assert campaign.returncode == EXIT_NEW_FINDING, campaign.stdout + campaign.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    findings = [f for h in summary["harnesses"] for f in h["findings"]]
    finding = next(f for f in findings if BUCKET in f["summary"])
    assert finding["new"]
    promote = _ihp_fuzz(["promote", "--harness", "nonce_mutation", "--pythonpath", str(planted),
                         "--no-minimize", finding["inputs"][0]], fuzz_dir)
    assert promote.returncode == 0, promote.stdout + promote.stderr
    case = fuzz_dir / "regressions" / "nonce_mutation" / f"{finding['signature']}.bin"
    harness = get_harness("nonce_mutation")
    assert run_harness(harness, [case], ["-runs=1"]).returncode == 0
    assert run_harness(harness, [case], ["-runs=1"], pythonpath=(planted,)).returncode != 0


def _report(new: bool | None, slow: bool = False) -> CampaignReport:
    findings = [] if new is None else [FindingReport("h", "s", "x", "exception", new, ["i"],
                                                     None, "t")]
    return CampaignReport("t", 1, 1, "ihp_ref", [HarnessReport("h", 1, executions=5,
                                                               slow=slow, findings=findings)])


@pytest.mark.parametrize(("report", "status"), [
    (_report(None), EXIT_CLEAN), (_report(True), EXIT_NEW_FINDING),
    (_report(False), EXIT_KNOWN_OR_SLOW), (_report(None, slow=True), EXIT_KNOWN_OR_SLOW)])
def test_exit_status_says_whether_something_new_was_found(report: CampaignReport,
                                                          status: int) -> None:
    assert _exit_status(report) == status
