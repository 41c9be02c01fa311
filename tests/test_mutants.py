"""Every mutant in the catalog is detected, by a case of the operation it breaks; the
same machinery without a defect passes (so the kills are the defects' doing)."""

from __future__ import annotations

import sys

import pytest

from conformance.inprocess import InProcessClient
from conformance.mutants import MUTANTS
from conformance.mutants._kill import kill, render_kill_table
from conformance.mutants._kit import DecryptRules, MutantSession, decrypt, reseal
from conformance.runner import RunOptions, run_suite

# Reduced volume for speed; the vectors and 40 generated cases per operation still kill all.
_CASES = 40


def test_catalog_has_at_least_25_distinct_mutants() -> None:
    assert len(MUTANTS) >= 25
    assert len({m.defect for m in MUTANTS.values()}) == len(MUTANTS)
    assert all(m.patches for m in MUTANTS.values())


@pytest.mark.early
def test_every_mutant_is_killed_by_a_case_of_the_operation_it_breaks() -> None:
    results = kill(seed=7, cases=_CASES)
    survivors = [r.mutant.name for r in results if not r.killed]
    assert not survivors, render_kill_table(results)
    for r in results:
        assert r.operation in r.mutant.patches, (r.mutant.name, r.first_failure)


@pytest.mark.early
def test_generated_cases_alone_kill_every_mutant() -> None:
    """Independent of the vector files: the seeded differential cases suffice."""
    results = kill(seed=3, cases=_CASES, vectors=False)
    assert all(r.killed for r in results), render_kill_table(results)


def test_mutant_kit_without_a_defect_conforms() -> None:
    """The re-implemented decryption and re-sealing, with the spec's rules, pass."""
    patches = {
        "decrypt_capsule": lambda s, ref, a: decrypt(s, a, DecryptRules()),
        "encrypt_capsule": lambda s, ref, a: reseal(ref, a),
    }
    client = lambda: InProcessClient(lambda: MutantSession("control", patches))  # noqa: E731
    report = run_suite(
        RunOptions(
            impl="control",
            seed=11,
            cases=120,
            progress=False,
            profiles=("IHP-Core", "IHP-Replay"),
            client_factory=client,
        )
    )
    assert report.unexpected() == []
    assert report.exit_status() == 0


@pytest.mark.parametrize("name", ["drift-i64-wrapping", "bincode-trailing-bytes"])
def test_mutant_runs_as_a_shim_subprocess(name: str) -> None:
    (result,) = kill([name], seed=7, cases=_CASES, subprocess=True)
    assert result.killed


def test_mutant_shim_rejects_unknown_names() -> None:
    import subprocess

    cmd = [sys.executable, "-m", "conformance.mutants", "no-such-mutant"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "usage" in proc.stderr
