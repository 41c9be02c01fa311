"""The vector files: loadable, schema-valid, consistent, and covering the spec (issue 3 §4)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

import ihp_vectors
from ihp_vectors import Case, load_cases, load_notes
from ihp_vectors._generate import dump_json
from ihp_vectors._loader import VectorFileError, iter_vector_files, load_file
from ihp_vectors._notes import DIVERGENCE_FLAGS
from ihp_vectors._paths import REPO_ROOT
from ihp_vectors._rules import RULES
from ihp_vectors._schema import SchemaSet
from ihp_vectors._traceability import (
    IDS_SHOWN,
    cases_by_rule,
    render_traceability,
    uncovered_rules,
)

# spec §8 codes no input can provoke (docs/TRACEABILITY.md says why)
UNREACHABLE_CODES = {"KeyDerivation", "SerializationFailed"}
SPEC_CODES = {
    "InvalidAeadTag",
    "StaleTimestamp",
    "HeaderIdMismatch",
    "InvalidVersion",
    "KeyLength",
    "Config",
    "Codec",
    "NonceReuse",
    "NonceCollision",
    "KeyDerivation",
    "InvalidNonceLength",
    "InvalidTimestamp",
    "SerializationFailed",
}


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases()


@pytest.fixture(scope="module")
def documents() -> dict[str, dict]:
    return {name.removesuffix(".json"): load_file(entry) for name, entry in iter_vector_files()}


def by_id(cases: list[Case]) -> dict[str, Case]:
    return {case.case_id: case for case in cases}


def test_at_least_400_cases(cases: list[Case]) -> None:
    assert len(cases) >= 400


def test_case_ids_are_unique_across_files(cases: list[Case]) -> None:
    seen: dict[str, str] = {}
    for case in cases:
        assert case.case_id not in seen, f"{case.case_id} in {case.file} and {seen[case.case_id]}"
        seen[case.case_id] = case.file


def test_every_case_has_exactly_one_outcome(cases: list[Case]) -> None:
    for case in cases:
        assert all((s.expected is None) != (s.error is None) for s in case.steps), case.case_id
        failed = any(step.error for step in case.steps)
        assert case.result == ("invalid" if failed else "valid"), case.case_id


def test_every_file_validates_against_its_schema(documents: dict[str, dict]) -> None:
    schemas = SchemaSet()
    for stem, document in documents.items():
        assert document["schema"] == f"{stem}.schema.json"
        assert schemas.errors(document["schema"], document) == [], stem


def test_schema_rejects_uppercase_hex(documents: dict[str, dict]) -> None:
    document = documents["derive_profile_key"]
    bad = {**document, "testGroups": [dict(g) for g in document["testGroups"]]}
    case = dict(bad["testGroups"][0]["tests"][0])
    case["args"] = {**case["args"], "master_key": case["args"]["master_key"].upper()}
    bad["testGroups"][0]["tests"] = [case]
    assert SchemaSet().errors("derive_profile_key.schema.json", bad)


def test_number_of_tests_matches(documents: dict[str, dict]) -> None:
    for stem, document in documents.items():
        count = sum(len(group["tests"]) for group in document["testGroups"])
        assert document["numberOfTests"] == count, stem


def test_every_flag_has_a_note_and_divergences_say_what_the_crate_does(
    cases: list[Case],
) -> None:
    notes = load_notes()
    for case in cases:
        for flag in case.flags:
            assert flag in notes, f"{case.case_id}: {flag}"
    for flag in DIVERGENCE_FLAGS & set(notes):
        assert "Rust crate" in notes[flag].description, flag
        assert notes[flag].bug_type == "KNOWN_DIVERGENCE"


def test_every_reachable_error_code_is_expected_somewhere(cases: list[Case]) -> None:
    codes = {case.error for case in cases if case.error}
    codes |= {step.error for case in cases for step in case.steps if step.error}
    assert codes <= SPEC_CODES
    assert codes == SPEC_CODES - UNREACHABLE_CODES


@pytest.mark.parametrize(
    "rule",
    [f"7.4.{n}" for n in range(6)] + [f"7.5.{n}" for n in range(10)] + ["7.4.order", "7.5.order"],
)
def test_every_numbered_check_is_reached(cases: list[Case], rule: str) -> None:
    assert any(rule in case.rules for case in cases)


def test_check_order_cases_break_two_rules(cases: list[Case]) -> None:
    order = [c for c in cases if "CheckOrder" in c.flags and c.operation.endswith("capsule")]
    assert len(order) >= 20
    for case in order:
        numbered = [r for r in case.rules if r[:4] in ("7.4.", "7.5.") and r[-1].isdigit()]
        assert len(numbered) >= 2 or case.sequence, case.case_id


def test_every_rule_has_a_case_and_the_doc_is_current(documents: dict[str, dict]) -> None:
    assert uncovered_rules(documents) == []
    table = cases_by_rule(documents)
    for rule in RULES:
        assert (rule.not_vectorized is None) == bool(table[rule.rule_id]), rule.rule_id
    doc = (REPO_ROOT / "docs" / "TRACEABILITY.md").read_text(encoding="utf-8")
    assert doc == render_traceability(documents)
    assert "UNCOVERED" not in doc


def test_the_traceability_page_names_a_few_ids_and_the_data_file_all(
    documents: dict[str, dict]
) -> None:
    table = cases_by_rule(documents)
    data = json.loads((REPO_ROOT / "docs" / "traceability.json").read_text(encoding="utf-8"))
    assert [r["rule"] for r in data["rules"]] == [r.rule_id for r in RULES]
    assert {r["rule"]: r["cases"] for r in data["rules"]} == table
    page = render_traceability(documents).splitlines()
    for rule in RULES:
        (row,) = [line for line in page if line.startswith(f"| [`{rule.rule_id}`]")]
        ids = table[rule.rule_id]
        if ids:
            named = row.count("`, `") + 1
            assert f"| {len(ids)}: " in row and named == min(len(ids), IDS_SHOWN), rule.rule_id
            assert row.endswith(", … |") == (len(ids) > IDS_SHOWN)


def test_traceability_reports_an_uncovered_rule(documents: dict[str, dict]) -> None:
    stripped = {
        stem: {
            **d,
            "testGroups": [
                {
                    **g,
                    "tests": [
                        {**c, "rules": [r for r in c["rules"] if r != "10.token"]}
                        for c in g["tests"]
                    ],
                }
                for g in d["testGroups"]
            ],
        }
        for stem, d in documents.items()
    }
    assert uncovered_rules(stripped) == ["10.token"]
    assert "**UNCOVERED**" in render_traceability(stripped)


def test_every_divergence_flag_traces_to_its_section_15_rule(cases: list[Case]) -> None:
    for case in cases:
        for flag in set(case.flags) & DIVERGENCE_FLAGS:
            assert f"15.{flag}" in case.rules, case.case_id


def test_nul_ambiguous_seps_share_a_hash(cases: list[Case]) -> None:
    index = by_id(cases)
    for a, b in (("pair-a", "pair-b"), ("shift-c", "shift-d")):
        first, second = index[f"sep/nul/{a}"], index[f"sep/nul/{b}"]
        assert first.args["sep"] != second.args["sep"]
        assert first.expected == second.expected


def test_absent_and_empty_quote_differ(cases: list[Case]) -> None:
    index = by_id(cases)
    assert index["sep/quote/absent"].expected != index["sep/quote/empty"].expected
    assert index["sep/normalisation/nfc"].expected != index["sep/normalisation/nfd"].expected


def test_profile_id_does_not_change_the_profile_key(cases: list[Case]) -> None:
    keys = {
        c.expected["profile_key"]
        for c in cases
        if c.case_id.startswith("profile-key/profile-id-ignored/") and c.expected
    }
    assert len(keys) == 1


def test_encryption_is_deterministic(cases: list[Case]) -> None:
    index = by_id(cases)
    assert (
        index["encrypt/deterministic/first"].expected
        == index["encrypt/deterministic/second"].expected
    )


def test_tokens_use_the_url_alphabet(cases: list[Case]) -> None:
    tokens = "".join(
        c.expected["token"] for c in cases if c.operation == "session_token" and c.expected
    )
    assert "-" in tokens and "_" in tokens
    assert not set("+/=") & set(tokens)


def test_boundaries_named_by_the_issue_are_present(cases: list[Case]) -> None:
    ids = set(by_id(cases))
    for tc_id in (
        "decrypt/drift/300/past-max",
        "decrypt/drift/300/past-max-plus-1",
        "decrypt/drift/300/future-max",
        "decrypt/drift/300/future-max-plus-1",
        "decrypt/drift/0/past-max",
        "decrypt/drift/604800/future-max-plus-1",
        "decrypt/drift/overflow/ts-min-plus-1-now-max",
        "encrypt/password/0",
        "encrypt/password/config-max",
        "encrypt/password/config-max-100-plus-1",
        "encrypt/password/65536",
        "encrypt/argument/password/65537",
        "sep/utf8/3byte-over-limit",
        "sep/quote/absent",
        "sep/quote/empty",
        "session-key/exporter-length/0",
        "session-key/exporter-length/1",
        "session-key/exporter-length/65536",
        "rtt/half-12.5ms",
        "replay/reuse/immediate",
        "replay/collision/other-password",
        "replay/scope/fresh-guard",
        "replay/failed/aead-not-recorded",
        "from-binary/trailing/one-byte",
        "from-json/depth/unknown-key-100000",
    ):
        assert tc_id in ids, tc_id


def test_files_are_written_in_the_one_serialisation(documents: dict[str, dict]) -> None:
    for stem, document in documents.items():
        text = (REPO_ROOT / "vectors" / f"{stem}.json").read_text(encoding="utf-8")
        assert text == dump_json(document), stem


def test_loader_reports_a_file_that_is_not_a_vector_file(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(VectorFileError, match=r"broken\.json"):
        load_cases(tmp_path)
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(VectorFileError, match="cannot read"):
        load_cases(tmp_path)


def test_loader_prefers_the_packaged_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "ihp_vectors" / "_data" / "vectors"
    data.mkdir(parents=True)
    source = REPO_ROOT / "vectors" / "rtt_bucket.json"
    (data / "rtt_bucket.json").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(ihp_vectors._paths, "files", lambda _: tmp_path / "ihp_vectors")
    assert {case.file for case in load_cases()} == {"rtt_bucket.json"}


def test_group_args_are_merged_under_case_args(cases: list[Case]) -> None:
    case = by_id(cases)["decrypt/drift/300/past-max"]
    assert set(case.args) == {"config", "capsule", "env_hash", "session_key", "now"}
    assert case.args["now"] == str(1_700_000_000 + 300)


def test_replay_against_the_reference(cases: list[Case]) -> None:
    from ihp_ref.shim import ShimSession

    session = ShimSession()
    failures: defaultdict[str, list[str]] = defaultdict(list)
    for case in cases:
        for index, step in enumerate(case.steps):
            args, expected, error = step.args, step.expected, step.error
            if case.sequence:
                args = {**args, "replay_guard": f"test:{case.case_id}"}
            response = session.handle({"id": index, "op": case.operation, "args": args})
            outcome = response.get("result") if response["ok"] else response.get("error")
            if outcome != (expected if error is None else error):
                failures[case.case_id].append(f"step {index}: {outcome!r}")
    assert not failures


def test_the_loader_parses_a_file_again_only_when_its_bytes_change(tmp_path: Path) -> None:
    source = json.loads((REPO_ROOT / "vectors" / "rtt_bucket.json").read_text(encoding="utf-8"))
    path = tmp_path / "rtt_bucket.json"
    path.write_text(json.dumps(source), encoding="utf-8")
    first = load_cases(tmp_path)
    again = load_cases(tmp_path)
    assert again is not first and all(a is b for a, b in zip(first, again, strict=True))
    path.write_text(json.dumps(source), encoding="utf-8")  # written again, the same bytes
    assert all(a is b for a, b in zip(first, load_cases(tmp_path), strict=True))
    changed = first[0].comment + " (changed)"
    source["testGroups"][0]["tests"][0]["comment"] = changed
    path.write_text(json.dumps(source), encoding="utf-8")  # same name, other bytes
    reloaded = load_cases(tmp_path)
    assert reloaded[0].comment == changed and reloaded[0] is not first[0]
    notes = source["notes"]
    flag = next(iter(notes))
    notes[flag]["description"] = "changed"
    path.write_text(json.dumps(source), encoding="utf-8")
    assert load_notes(tmp_path)[flag].description == "changed"
    del notes[flag]["bugType"]
    path.write_text(json.dumps(source), encoding="utf-8")
    with pytest.raises(VectorFileError, match=r"rtt_bucket\.json: malformed note"):
        load_notes(tmp_path)
