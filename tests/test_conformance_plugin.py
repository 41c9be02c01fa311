"""The pytest plugin: inert without `--ihp-impl`; with it, one item per case id, usual
selection (`-k`) and outcomes (failures show the case's inputs, expected and provided)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args]
    return subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=180)


def test_plugin_is_inert_without_the_option(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text("def test_x():\n    assert True\n")
    proc = _pytest(tmp_path)
    assert proc.returncode == 0 and "1 passed" in proc.stdout


def test_plugin_collects_one_item_per_case_and_reports_failures(tmp_path: Path) -> None:
    mutant = shlex.join([sys.executable, "-m", "conformance.mutants", "rtt-python-round"])
    proc = _pytest(tmp_path, "--ihp-impl", mutant, "--ihp-cases", "12", "-k", "rtt")
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "FAILED ihp-conformance::rtt/half-12.5ms" in proc.stdout
    assert "expected:" in proc.stdout and "provided:" in proc.stdout
    proc = _pytest(tmp_path, "--ihp-impl", "ref", "--ihp-cases", "12", "--collect-only")
    ids = [line for line in proc.stdout.splitlines() if line.startswith("ihp-conformance::")]
    assert len(ids) == len(set(ids)) > 100
    assert "ihp-conformance::gen/decrypt_capsule/" in proc.stdout


def test_plugin_run_against_the_reference_passes(tmp_path: Path) -> None:
    proc = _pytest(tmp_path, "--ihp-impl", "ref", "--ihp-cases", "8")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
