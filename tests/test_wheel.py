"""The wheel alone is enough (issue 11 §4): built from this checkout, installed with its `fuzz`
extra into a fresh virtual environment, every command a user starts with works from an
empty directory outside any checkout: no file of the checkout is read, no ../ path needed.

One test, one venv (the build and the install are the expensive part); the fuzz run, the
longest command, runs beside the others.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.early]

# An implementation's own offline harness, in one line: the in-process reference answers
# the request file `export` wrote (spec/shim-protocol.md, "Offline mode").
_ANSWER = ("import json; from conformance.offline import answer_requests; "
           "from ihp_ref.shim import ShimSession; "
           "r = json.load(open('requests.json')); "
           "json.dump(answer_requests(r, ShimSession), open('responses.json', 'w'))")

# Commands run from the installed wheel, in an empty directory, in order; each must exit 0.
WHEEL_COMMANDS: list[list[str]] = [
    ["ihp-conformance", "run", "--impl", "ref", "--no-progress", "--seed", "1", "--cases", "20"],
    ["ihp-conformance", "spec"],
    ["ihp-conformance", "spec", "--shim", "--path"],
    ["ihp-conformance", "mutants", "--cases", "5",
     "--only", "aad-domain-nul-terminated", "--only", "rtt-python-round"],
    ["ihp-conformance", "export", "--seed", "1", "--cases", "20", "--out", "requests.json"],
    ["python", "-c", _ANSWER],
    ["ihp-conformance", "judge", "requests.json", "responses.json"],
]
# a 2-second campaign of the differential harness: harness, seeds and dictionary come from
# the installed package (ihp_fuzz/_data/fuzz)
FUZZ_COMMAND = ["ihp-fuzz", "run", "differential", "--time", "2", "--quiet", "--out", "fuzz"]


def _check(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, f"{argv}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel and its dependencies (from PyPI or pip's cache)."""
    base = tmp_path_factory.mktemp("wheel")
    # no build isolation: hatchling comes from the test extra, which saves a download
    _check([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
            "--no-build-isolation", "--wheel-dir", str(base / "dist"), str(ROOT)])
    (wheel,) = (base / "dist").glob("ihp_conformance-*.whl")
    venv.create(base / "venv", with_pip=False)  # this interpreter's pip installs into it
    python = base / "venv" / "bin" / "python"
    _check([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
            f"{wheel}[fuzz]"])
    return base / "venv"


def _user_env(venv_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "IHP_FUZZ_DIR", "IHP_FUZZ_SHIM", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join([str(venv_dir / "bin"), env.get("PATH", "")])
    return env


def test_the_installed_wheel_runs_every_command_outside_a_checkout(
    installed: Path, tmp_path: Path
) -> None:
    env, cwd = _user_env(installed), tmp_path / "elsewhere"
    cwd.mkdir()
    fuzz = subprocess.Popen(FUZZ_COMMAND, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        outputs = [_check(argv, cwd, env).stdout for argv in WHEEL_COMMANDS]
        fuzz_output, _ = fuzz.communicate(timeout=300)
    finally:
        fuzz.kill()
        fuzz.wait()
    assert "result: PASSED (exit status 0)" in outputs[0]
    assert outputs[1] == (ROOT / "spec" / "ihp-v1.md").read_text(encoding="utf-8")
    shim_spec = Path(outputs[2].strip())
    assert shim_spec.is_relative_to(installed), "the spec came from the checkout"
    assert shim_spec.read_bytes() == (ROOT / "spec" / "shim-protocol.md").read_bytes()
    assert "2/2 mutants killed" in outputs[3]
    assert _verdict_tables(outputs[6]) == _verdict_tables(outputs[0])  # offline = live, seed 1
    _assert_fuzzed_cleanly(fuzz.returncode, fuzz_output, cwd / "fuzz" / "summary.json")


def _verdict_tables(terminal_report: str) -> list[str]:
    """The profile and operation tables and the result line of a terminal report."""
    rows = re.compile(r"(IHP-\S+|[a-z_]+)\s+\d+\s|result: ")
    return [line for line in terminal_report.splitlines() if rows.match(line)]


def _assert_fuzzed_cleanly(returncode: int, output: str, summary_file: Path) -> None:
    assert summary_file.is_file(), output
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    (harness,) = summary["harnesses"]
    assert harness["harness"] == "differential" and harness["executions"] > 0, output
    assert harness["findings"] == [] and harness["problems"] == [], output
    assert harness["corpus_before"] > 0, "the installed seed corpus was not found"
    # exit 4 only for a loaded machine: below half of the exec/s baseline (fuzz/baselines.json)
    assert returncode == (4 if harness["slow"] else 0), output
