"""`ihp-vectors check` and `generate`: stale, invalid or inconsistent files make check fail."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ihp_vectors import cli
from ihp_vectors._build import (
    CaseSpec,
    FileSpec,
    GenerationError,
    GroupSpec,
    Row,
    Table,
    build_file,
)
from ihp_vectors._check import check_tree
from ihp_vectors._generate import dump_json, render_all
from ihp_vectors._paths import REPO_ROOT


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return render_all()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the generated files, to edit."""
    for folder in ("vectors", "schemas"):
        shutil.copytree(REPO_ROOT / folder, tmp_path / folder)
    (tmp_path / "docs").mkdir()
    shutil.copy(REPO_ROOT / "docs" / "TRACEABILITY.md", tmp_path / "docs")
    return tmp_path


def edit(root: Path, stem: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = root / "vectors" / f"{stem}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(dump_json(document), encoding="utf-8")


def test_generate_is_byte_identical_on_every_run(rendered: dict[str, str]) -> None:
    assert render_all() == rendered


def test_committed_files_are_current(rendered: dict[str, str]) -> None:
    for rel, text in rendered.items():
        assert (REPO_ROOT / rel).read_text(encoding="utf-8") == text, rel


def test_check_passes_on_the_checkout() -> None:
    assert check_tree(REPO_ROOT) == []


def test_an_edited_expected_value_makes_check_fail(checkout: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        case = document["testGroups"][0]["tests"][0]
        case["expected"]["bucket"] += 1

    edit(checkout, "rtt_bucket", change)
    problems = check_tree(checkout)
    assert problems == [
        "vectors/rtt_bucket.json: stale or edited by hand (run `ihp-vectors generate`)"
    ]
    assert cli.main(["check", "--root", str(checkout)]) == 1


def test_a_duplicate_case_id_makes_check_fail(checkout: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        tests = document["testGroups"][0]["tests"]
        tests[1]["tcId"] = tests[0]["tcId"]

    edit(checkout, "config_validate", change)
    assert any(p.startswith("duplicate tcId 'config/default'") for p in check_tree(checkout))


def test_a_flag_without_a_note_makes_check_fail(checkout: Path) -> None:
    edit(checkout, "rtt_bucket", lambda d: d["notes"].pop("Clamp"))
    assert any("flag 'Clamp' has no note" in p for p in check_tree(checkout))


def test_a_wrong_number_of_tests_makes_check_fail(checkout: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        document["numberOfTests"] += 1

    edit(checkout, "session_token", change)
    assert any("numberOfTests" in p for p in check_tree(checkout))


def test_a_schema_violation_makes_check_fail(checkout: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        document["testGroups"][0]["tests"][0]["result"] = "acceptable"

    edit(checkout, "sep_hash", change)
    assert any("schema violation" in p for p in check_tree(checkout))


def test_an_edited_golden_fixture_makes_check_fail(checkout: Path) -> None:
    path = checkout / "vectors" / "golden" / "capsule_v1.hex"
    path.write_text(path.read_text(encoding="ascii").upper(), encoding="ascii")
    problems = check_tree(checkout)
    assert "vectors/golden/capsule_v1.hex: not lowercase hex and one newline" in problems


def test_an_extra_file_makes_check_fail(checkout: Path) -> None:
    shutil.copy(checkout / "vectors" / "rtt_bucket.json", checkout / "vectors" / "extra.json")
    assert "vectors/extra.json: not produced by the generator" in check_tree(checkout)


def test_generate_restores_an_edited_tree(checkout: Path) -> None:
    edit(checkout, "rtt_bucket", lambda d: d.update(numberOfTests=0))
    assert cli.main(["generate", "--root", str(checkout)]) == 0
    assert check_tree(checkout) == []


def test_cli_reports_a_missing_tree_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", "--root", str(tmp_path / "nowhere")]) != 0
    err = capsys.readouterr().err
    assert "ihp-vectors" in err and "Traceback" not in err


def _spec(error: str | None) -> FileSpec:
    case = CaseSpec("rtt/x", "x", (), ("12.rtt-bucket",), {"samples_ms": [1.0] * 4}, error)
    return FileSpec("rtt_bucket", "rtt_bucket", "IHP-Client", (), [GroupSpec("g", {}, [case])])


def test_generation_fails_when_the_reference_disagrees_with_the_declared_error() -> None:
    def wrong(request: dict[str, Any]) -> dict[str, Any]:
        return {"id": request["id"], "ok": False, "error": "Config"}

    with pytest.raises(GenerationError, match="spec predicts Codec, the reference answered Config"):
        build_file(_spec("Codec"), wrong)
    with pytest.raises(GenerationError, match="declared valid"):
        build_file(_spec(None), wrong)


def test_generation_fails_when_the_reference_accepts_an_invalid_case() -> None:
    def accepts(request: dict[str, Any]) -> dict[str, Any]:
        return {"id": request["id"], "ok": True, "result": {"bucket": 0}}

    with pytest.raises(GenerationError, match="the reference accepted"):
        build_file(_spec("Codec"), accepts)


def test_generation_rejects_an_unknown_flag_or_rule() -> None:
    bad = CaseSpec("rtt/x", "x", ("NoSuchFlag",), ("12.rtt-bucket",), {})
    spec = FileSpec("rtt_bucket", "rtt_bucket", "IHP-Client", (), [GroupSpec("g", {}, [bad])])
    with pytest.raises(GenerationError, match="NoSuchFlag"):
        build_file(spec, lambda r: {"id": 0, "ok": True, "result": {}})


def test_a_declared_error_traces_to_its_section_8_rule_without_the_row_listing_it() -> None:
    def codec(request: dict[str, Any]) -> dict[str, Any]:
        return {"id": request["id"], "ok": False, "error": "Codec"}

    document = build_file(_spec("Codec"), codec)
    assert document["testGroups"][0]["tests"][0]["rules"] == ["12.rtt-bucket", "8.Codec"]
    assert build_file(_spec(None), lambda r: {"id": 0, "ok": True, "result": {}})[
        "testGroups"
    ][0]["tests"][0]["rules"] == ["12.rtt-bucket"]


def test_a_table_puts_its_prefix_flags_and_rules_on_each_row() -> None:
    table = Table(prefix="rtt/t/", flags=("Boundary",), rules=("12.rtt-bucket",),
                  valid_rules=("12.clamp",))
    valid, invalid = table.cases(
        (Row(tc="a", comment="a", flags=("Clamp",)), Row(tc="b", comment="b", error="Codec"))
    )
    assert (valid.tc_id, valid.flags, set(valid.rules)) == (
        "rtt/t/a", ("Boundary", "Clamp"), {"12.rtt-bucket", "12.clamp"})
    assert (invalid.tc_id, invalid.error, set(invalid.rules)) == (
        "rtt/t/b", "Codec", {"12.rtt-bucket"})
