"""The pytest plugin: inert without `--ihp-impl`; with it, one item per case id, usual
selection (`-k`) and outcomes (failures show the case's inputs, expected and provided).

Each run is a whole pytest session, in this process (`pytester`, tests/conftest.py): a fresh
plugin manager that finds the plugin through this package's `pytest11` entry point, as a
user's `pytest` does, in an empty directory with no ini file (so none of this project's
addopts or xdist), without paying an interpreter and plugin start-up per run. A cold
`python -m pytest` loading the plugin is what every run of this suite already is."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest

# The modules the plugin imports lazily, imported here once for this process: pytester
# forgets the modules a run imports, so the next run would import fresh copies of them
# beside the kept modules that use them (the reference shim then fails on its own types)
from conformance import inprocess, judge, pytest_items, runner  # noqa: F401
from ihp_ref import shim  # noqa: F401


def _pytest(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", *args)


def test_plugin_is_inert_without_the_option(pytester: pytest.Pytester) -> None:
    # the inner test checks that the plugin is loaded (by its entry point name) and unset
    pytester.makepyfile(test_x="""
        def test_x(pytestconfig):
            assert pytestconfig.pluginmanager.hasplugin("ihp_conformance")
            assert pytestconfig.getoption("ihp_impl") is None
    """)
    result = _pytest(pytester)
    assert result.ret == 0 and "1 passed" in result.stdout.str(), result.stdout.str()


def test_plugin_collects_one_item_per_case_and_reports_failures(pytester: pytest.Pytester) -> None:
    mutant = shlex.join([sys.executable, "-m", "conformance.mutants", "rtt-python-round"])
    result = _pytest(pytester, "--ihp-impl", mutant, "--ihp-cases", "12", "-k", "rtt")
    out = result.stdout.str()
    assert result.ret == 1, out[-2000:]
    assert "FAILED ihp-conformance::rtt/half-12.5ms" in out
    assert "expected:" in out and "provided:" in out
    out = _pytest(pytester, "--ihp-impl", "ref", "--ihp-cases", "12", "--collect-only").stdout.str()
    ids = [line for line in out.splitlines() if line.startswith("ihp-conformance::")]
    assert len(ids) == len(set(ids)) > 100
    assert "ihp-conformance::gen/decrypt_capsule/" in out


def test_plugin_run_against_the_reference_passes(pytester: pytest.Pytester) -> None:
    result = _pytest(pytester, "--ihp-impl", "ref", "--ihp-cases", "8")
    out = result.stdout.str()
    assert result.ret == 0, out[-2000:]
    assert " passed" in out and "failed" not in out


def test_the_plugin_imports_nothing_of_the_suite_until_asked() -> None:
    # every pytest run where the package is installed loads the plugin: it costs only its
    # options until `--ihp-impl` is given
    check = ("import sys, pytest, conformance.pytest_plugin; "
             "print(sorted(m for m in sys.modules if m.startswith(('conformance.', 'ihp_'))))")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "['conformance.pytest_plugin']"
