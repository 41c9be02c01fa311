"""CI smoke (issue 5 §5): every harness runs a short bounded run from its seeds, clean.

The nightly campaign is `ihp-fuzz campaign`; this only proves that each harness starts,
loads its corpus and dictionary, and that none of its seeds or a few thousand mutations
breaks its rule.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ihp_fuzz.harnesses import HARNESSES, Harness
from tests._fuzz_support import FUZZ, run_harness


@pytest.mark.slow
@pytest.mark.parametrize("harness", HARNESSES, ids=lambda h: h.name)
def test_harness_runs_its_smoke_budget_clean(harness: Harness, tmp_path: Path) -> None:
    result = run_harness(harness, [tmp_path, harness.seeds(FUZZ)],
                         [f"-runs={harness.smoke_runs}", f"-artifact_prefix={tmp_path}/"])
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert f"Done {harness.smoke_runs} runs" in output
    assert not list(tmp_path.glob("crash-*"))


@pytest.mark.parametrize("harness", HARNESSES, ids=lambda h: h.name)
def test_harness_is_an_executable_script_with_its_rule_first(harness: Harness) -> None:
    # libFuzzer -fork/-merge re-execute argv[0]: the script itself must run
    script = harness.script(FUZZ)
    assert script.read_text(encoding="utf-8").startswith("#!/usr/bin/env python3\n\"\"\"")
    assert os.stat(script).st_mode & stat.S_IXUSR
    assert "Rule:" in script.read_text(encoding="utf-8")[:1500]
    assert harness.seeds(FUZZ).is_dir() and any(harness.seeds(FUZZ).iterdir())
    assert harness.dictionary(FUZZ).is_file()


# what each harness instruments (the project under test): the reference, and the server
# for the harness that drives it
INSTRUMENTED = {"server_body": '["ihp_server", "ihp_ref"]'}


def test_harnesses_instrument_only_the_project() -> None:
    for harness in HARNESSES:
        text = harness.script(FUZZ).read_text(encoding="utf-8")
        include = INSTRUMENTED.get(harness.name, '["ihp_ref"]')
        assert f"atheris.instrument_imports(include={include})" in text, harness.name
        assert "@atheris.instrument_func" in text, harness.name
