"""deploy/prometheus/ihp_alerts.yml: every metric it names is exported by ihp-server, and
`promtool test rules` passes (and fails when an alert is weakened)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ihp_server import PrometheusMetricsSink

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "prometheus"
RULES = DEPLOY / "ihp_alerts.yml"
RULE_TESTS = DEPLOY / "ihp_alerts_test.yml"


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool missing in CI: .ci/run installs Debian's prometheus package")
        pytest.skip("promtool not installed (apt-get install prometheus)")
    return found


def exported_sample_names() -> set[str]:
    sink = PrometheusMetricsSink()
    return {sample.name for family in sink.registry.collect() for sample in family.samples}


def test_every_metric_in_the_alert_rules_is_exported() -> None:
    expressions = "\n".join(re.findall(r"expr:\s*(>\n(?:\s{10}.*\n)+|.*)", RULES.read_text()))
    named = set(re.findall(r"\b(ihp_[a-z0-9_]+)", expressions))
    assert "ihp_decrypt_total" in named  # the runbook's denominator (spec §15)
    assert named <= exported_sample_names(), named - exported_sample_names()


def test_alert_rules_pass_promtool_check_and_unit_tests() -> None:
    tool = promtool()
    check = subprocess.run([tool, "check", "rules", str(RULES)], capture_output=True,
                           text=True, timeout=120, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    tests = subprocess.run([tool, "test", "rules", str(RULE_TESTS)], capture_output=True,
                           text=True, timeout=120, check=False, cwd=DEPLOY)
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_promtool_unit_tests_catch_a_weakened_alert(tmp_path: Path) -> None:
    tool = promtool()
    weakened = RULES.read_text().replace(
        "sum(rate(ihp_decrypt_total[5m])) > 0.05", "sum(rate(ihp_decrypt_total[5m])) > 0.5")
    assert weakened != RULES.read_text()
    (tmp_path / RULES.name).write_text(weakened)
    shutil.copy(RULE_TESTS, tmp_path / RULE_TESTS.name)
    tests = subprocess.run([tool, "test", "rules", RULE_TESTS.name], capture_output=True,
                           text=True, timeout=120, check=False, cwd=tmp_path)
    assert tests.returncode != 0
    assert "IhpDecryptFailureRatioHigh" in tests.stdout + tests.stderr
