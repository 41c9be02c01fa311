"""`ihp-conformance`: exit status 0/1/2, one-line errors (never a traceback), report files."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conformance.cli import main

_SCHEMA = Path(__file__).parents[1] / "conformance" / "schemas" / "report.schema.json"
_MUTANT = shlex.join([sys.executable, "-m", "conformance.mutants", "rtt-python-round"])


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_reference_conforms_with_exit_0_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = {k: tmp_path / f"r.{k}" for k in ("json", "xml", "html")}
    code, out, err = _run(
        capsys, "run", "--impl", "ref", "--seed", "5", "--cases", "10",
        "--report-json", str(paths["json"]), "--junit", str(paths["xml"]),
        "--html", str(paths["html"]),
    )  # fmt: skip
    assert code == 0, out
    assert "seed 5" in err
    assert "IHP-Core" in out and "conforms" in out and "does not conform" not in out
    report = json.loads(paths["json"].read_text())
    jsonschema.validate(report, json.loads(_SCHEMA.read_text()))
    assert report["seed"] == 5 and report["exit_status"] == 0
    assert all(p["conforms"] for p in report["profiles"])
    assert paths["xml"].read_text().startswith("<?xml")
    assert "<html" in paths["html"].read_text()


def test_deviation_exits_1_and_shows_the_failing_case(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "run", "--impl", _MUTANT, "--profile", "IHP-Client",
                        "--seed", "1", "--cases", "30", "--no-progress")  # fmt: skip
    assert code == 1
    assert "FAIL  rtt/half-12.5ms" in out or "FAIL  gen/rtt_bucket/half-bucket" in out
    assert "expected:" in out and "provided:" in out and "inputs:" in out
    assert "IHP-Client" in out and "does not conform" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run"], "--impl"),
        (["run", "--impl", "ref", "--seed", "-1"], "--seed"),
        (["run", "--impl", "ref", "--cases", "many"], "--cases"),
        (["run", "--impl", "ref", "--jobs", "0"], "--jobs"),
        (["run", "--impl", "ref", "--timeout", "0"], "--timeout"),
        (["run", "--impl", "ref", "--profile", "IHP-Nope"], "unknown profile"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_unusable_implementation_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "run", "--impl", str(tmp_path / "missing-shim"))
    assert code == 2
    assert "unusable" in err and "Traceback" not in err
    code, _, err = _run(capsys, "run", "--impl", "   ")
    assert code == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "not JSON"),
        ('{"expectations": [{"glob": "a/*", "action": "xfail"}]}', "reason"),
        ('{"expectations": [{"glob": "a/*", "action": "xfail", "reason": " "}]}', "reason"),
        ('{"expectations": [{"glob": "a/*", "action": "maybe", "reason": "r"}]}', "action"),
        ('{"expectations": [{"action": "skip", "reason": "r"}]}', "expectations/0"),
        ('{"expectations": [{"glob": "a", "flag": "B", "action": "skip", "reason": "r"}]}', "/0"),
    ],
)
def test_bad_expectations_file_exits_2(
    tmp_path: Path, content: str | None, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "exp.json"
    if content is not None:
        path.write_text(content)
    code, _, err = _run(capsys, "run", "--impl", "ref", "--expectations", str(path))
    assert code == 2
    assert message in err and "Traceback" not in err


def test_unwritable_report_path_exits_2_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing-dir" / "r.json"
    code, out, err = _run(capsys, "run", "--impl", "ref", "--report-json", str(target))
    assert code == 2 and "cannot write" in err and out == ""


def test_console_script_runs_the_reference_shim_subprocess() -> None:
    shim = Path(sys.executable).parent / "ihp-ref-shim"
    cli = Path(sys.executable).parent / "ihp-conformance"
    proc = subprocess.run(
        [str(cli), "run", "--impl", str(shim), "--cases", "10", "--seed", "2"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "result: PASSED" in proc.stdout


def test_mutants_subcommand_prints_the_kill_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "mutants", "--only", "rtt-python-round",
                        "--only", "token-base64-padded", "--cases", "20")  # fmt: skip
    assert code == 0
    assert "2/2 mutants killed (100 %)" in out
    code, _, err = _run(capsys, "mutants", "--only", "nope")
    assert code == 2 and "unknown mutant" in err


def test_http_subcommand_is_dispatched(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    seen: list[list[str]] = []
    fake = types.ModuleType("conformance.http_suite")
    fake.main = lambda argv: seen.append(argv) or 7  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "conformance.http_suite", fake)
    import conformance

    monkeypatch.setattr(conformance, "http_suite", fake, raising=False)
    assert main(["http", "--url", "http://x"]) == 7
    assert seen == [["--url", "http://x"]]
