"""The normative documents live in the project: every rule anchored, `ihp-conformance spec`,
no path outside the repository."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conformance.cli import main
from ihp_fuzz.errors import FuzzToolError
from ihp_fuzz.harnesses import checkout_fuzz_dir, fuzz_dir
from ihp_vectors import SPEC_DOCUMENTS, rule_anchor, spec_path
from ihp_vectors._rules import RULE_IDS

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "ihp-v1.md"
# the one form of a rule anchor: GitHub keeps `<a name>` (its documented custom anchor)
_ANCHOR = re.compile(r'<a name="rule-([^"]+)"></a>')


def _anchors() -> list[str]:
    return _ANCHOR.findall(SPEC.read_text(encoding="utf-8"))


def test_every_rule_has_exactly_one_anchor_and_every_anchor_a_rule() -> None:
    anchors = _anchors()
    assert sorted(set(anchors)) == sorted(anchors), "an anchor is written twice"
    assert set(anchors) - RULE_IDS == set(), "anchors without a rule in ihp_vectors/_rules.py"
    assert RULE_IDS - set(anchors) == set(), "rules without an anchor in spec/ihp-v1.md"


def test_every_a_tag_of_the_spec_is_a_rule_anchor() -> None:
    # a misspelt anchor (`<a id=`, a missing `</a>`) would escape the regex above
    text = SPEC.read_text(encoding="utf-8")
    tags = re.findall(r"</?a\b[^>]*>", text)
    assert len(tags) == 2 * len(_anchors())
    assert all(tag == "</a>" or tag.startswith('<a name="rule-') for tag in tags)


@pytest.mark.parametrize("rule_id", ["2.hkdf", "7.5.8", "15.DriftOverflow"])
def test_rule_anchor_names_the_spec_file_and_the_rule_fragment(rule_id: str) -> None:
    document, fragment = rule_anchor(rule_id).split("#")
    assert (ROOT / document).resolve() == SPEC.resolve()
    assert f'<a name="{fragment}"></a>' in SPEC.read_text(encoding="utf-8")


def test_rule_anchor_refuses_an_unknown_rule() -> None:
    with pytest.raises(ValueError, match=r"unknown spec rule id 'no\.such-rule'"):
        rule_anchor("no.such-rule")


def test_traceability_links_every_rule_to_its_anchor() -> None:
    doc = (ROOT / "docs" / "TRACEABILITY.md").read_text(encoding="utf-8")
    links = re.findall(r"\[`([^`]+)`\]\(\.\./spec/ihp-v1\.md#rule-([^)]+)\)", doc)
    assert sorted(rule for rule, _ in links) == sorted(RULE_IDS)
    assert all(rule == fragment for rule, fragment in links)


@pytest.mark.parametrize(("flags", "name"), [([], "ihp-v1.md"), (["--shim"], "shim-protocol.md")])
def test_spec_command_prints_the_document_byte_for_byte(
    capsysbinary: pytest.CaptureFixture[bytes], flags: list[str], name: str
) -> None:
    assert main(["spec", *flags]) == 0
    assert capsysbinary.readouterr().out == (ROOT / "spec" / name).read_bytes()


@pytest.mark.parametrize(("flags", "name"), [([], "ihp-v1.md"), (["--shim"], "shim-protocol.md")])
def test_spec_command_path_names_the_file(
    capsys: pytest.CaptureFixture[str], flags: list[str], name: str
) -> None:
    assert main(["spec", "--path", *flags]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed.read_bytes() == (ROOT / "spec" / name).read_bytes()


def test_spec_command_names_an_unreadable_document_without_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("conformance.command_spec.spec_path", lambda name: tmp_path / name)
    assert main(["spec"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ihp-conformance: error: cannot read ") and "ihp-v1.md" in err
    assert "Traceback" not in err


def test_spec_path_refuses_an_unknown_document() -> None:
    assert SPEC_DOCUMENTS == ("ihp-v1.md", "shim-protocol.md")
    with pytest.raises(ValueError, match=r"unknown spec document 'ihp-v2\.md'"):
        spec_path("ihp-v2.md")


def _project_text_files() -> list[Path]:
    skip = {".git", ".venv", "node_modules", "out", "corpus", "regressions", "__pycache__"}
    found = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip and not d.startswith(".")]
        found += [Path(folder, n) for n in names if n.endswith((".py", ".md", ".mjs", ".toml",
                                                                ".json", ".yml", ".yaml", ".ini"))]
    return found


def test_no_file_refers_to_the_shared_folder_beside_the_checkout() -> None:
    outside = "../" + "shared"  # split: this file would otherwise match itself
    offenders = [str(p.relative_to(ROOT)) for p in _project_text_files()
                 if outside in p.read_text(encoding="utf-8", errors="replace")]
    assert offenders == []


def test_a_checkout_fuzzes_its_own_fuzz_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IHP_FUZZ_DIR", raising=False)
    assert fuzz_dir() == ROOT / "fuzz"
    assert checkout_fuzz_dir("promote") == ROOT / "fuzz"


def test_writing_into_the_installed_fuzz_copy_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "corpus").mkdir()
    monkeypatch.delenv("IHP_FUZZ_DIR", raising=False)
    monkeypatch.setattr("ihp_fuzz.harnesses.packaged_fuzz_dir", lambda: tmp_path)
    assert fuzz_dir() == tmp_path  # the wheel's copy wins over a stray checkout
    with pytest.raises(FuzzToolError, match="promote writes into fuzz/ of a checkout"):
        checkout_fuzz_dir("promote")
    monkeypatch.setenv("IHP_FUZZ_DIR", str(tmp_path))
    assert checkout_fuzz_dir("promote") == tmp_path
