"""Spec §15 divergences as predicates over a case's inputs (`ihp_vectors.divergences`).

Recall and precision, measured with one mutant per §15 row that has exactly that
divergence (`conformance.mutants.DIVERGENCE_MUTANTS`, written from the crate's side and
never asking the predicates): the mutant fails at least one case, and only cases that
carry its flag. The predicates' boundaries are tested on both sides, and they never raise.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.inprocess import InProcessClient
from conformance.mutants import CRATE, DIVERGENCE_MUTANTS, MUTANTS, Mutant
from conformance.runner import RunOptions, run_suite
from ihp_vectors.divergences import (
    DIVERGENCES,
    divergence_flags,
    flags_of_steps,
    json_depth,
    open_questions,
)
from ihp_vectors.independent import IndependentSession

I64_MIN, I64_MAX = -(2**63), 2**63 - 1


def _run(mutant: Mutant, seed: int, cases: int = 60) -> Any:
    return run_suite(RunOptions(
        impl=mutant.name, seed=seed, cases=cases, progress=False,
        client_factory=lambda: InProcessClient(mutant.session, name=mutant.name),
    ))  # fmt: skip


def test_every_section_15_row_a_shim_can_show_has_a_mutant() -> None:
    flags = {d.flag for d in DIVERGENCES} | {"NoNonceTracking"}
    assert {m.flags[0] for m in DIVERGENCE_MUTANTS.values()} == flags


@pytest.mark.parametrize("name", sorted(DIVERGENCE_MUTANTS))
@pytest.mark.parametrize("seed", [1, 2])
def test_a_divergence_fails_some_cases_and_only_cases_with_its_flag(name: str, seed: int) -> None:
    mutant = DIVERGENCE_MUTANTS[name]
    report = _run(mutant, seed)
    failed = report.unexpected()
    assert failed, f"{name}: no case shows the divergence (recall)"
    unflagged = [r.case_id for r in failed if mutant.flags[0] not in r.flags]
    assert not unflagged, f"{name}: cases without the flag fail (precision): {unflagged[:5]}"
    assert [d.flag for d in report.deviations] == [mutant.flags[0]]


def test_the_crate_stand_in_shows_its_seven_divergences_each_as_one_deviation() -> None:
    report = _run(CRATE, seed=1)
    assert sorted(d.flag or "" for d in report.deviations) == sorted(CRATE.flags)
    assert all(not d.known and d.kind == "divergence" for d in report.deviations)


@pytest.mark.parametrize("name", ["header-id-unchecked", "aad-without-env-hash", "rtt-truncates"])
def test_a_defect_outside_section_15_is_a_deviation_no_flag_explains(name: str) -> None:
    report = _run(MUTANTS[name], seed=1, cases=30)
    assert report.deviations and all(d.flag is None for d in report.deviations)
    assert all(d.kind == "difference" for d in report.deviations)


# ---------------------------------------------------------------- predicate boundaries


def _json(depth: int, where: str = "unknown") -> str:
    golden = {"version": 1, "header_id": 44, "client_nonce": [1] * 12, "server_profile_id": 1,
              "network_context": {"rtt_bucket": 5, "path_hint": 120}, "payload": [0] * 16}
    text = json.dumps(golden, separators=(",", ":"))
    nested = "[" * (depth - 1) + "]" * (depth - 1)  # the capsule object is level 1
    if where == "network":
        nested = "[" * (depth - 2) + "]" * (depth - 2)
        return text.replace('"path_hint":120', f'"path_hint":120,"x":{nested}')
    return text[:-1] + f',"x":{nested}' + "}"


@pytest.mark.parametrize("where", ["unknown", "network"])
def test_json_depth_flag_at_64_and_65(where: str) -> None:
    assert json_depth(_json(64, where)) == 64
    assert "JsonDepthUnbounded" not in divergence_flags("capsule_from_json",
                                                         {"json": _json(64, where)})
    assert "JsonDepthUnbounded" in divergence_flags("capsule_from_json", {"json": _json(65, where)})


def test_json_depth_skips_brackets_in_strings() -> None:
    assert json_depth('{"a":"[[[[\\"[["}') == 1


@given(st.text(alphabet='[]{}"\\a\n', max_size=40))
@settings(max_examples=300, deadline=None)
def test_json_depth_is_the_independent_verifiers_character_by_character_depth(text: str) -> None:
    from ihp_vectors.independent import _json_depth  # a loop over characters, no regex

    assert json_depth(text) == _json_depth(text)


def test_json_size_flag_at_1_mib_and_one_more_byte() -> None:
    base = _json(2)
    pad = (1 << 20) - len(base) - len(',"p":""')
    at_cap = base[:-1] + ',"p":"' + "a" * pad + '"}'
    assert len(at_cap.encode()) == 1 << 20
    assert "JsonNoSizeCap" not in divergence_flags("capsule_from_json", {"json": at_cap})
    over = at_cap[:-2] + 'a"}'
    assert "JsonNoSizeCap" in divergence_flags("capsule_from_json", {"json": over})


@pytest.mark.parametrize(("text", "flagged"), [
    ('[1,44,[1,1,1,1,1,1,1,1,1,1,1,1],1,[5,120],[]]', True),
    ('  [1]', True),
    ('{"version":1,"network_context":[5,120]}', True),
    ('{"version":1,"network_context":{"rtt_bucket":5,"path_hint":120},"x":[5,120]}', False),
    ('{"version":1,"x":{"network_context":[5,120]}}', False),
])  # fmt: skip
def test_struct_as_array_flag(text: str, flagged: bool) -> None:
    assert ("JsonStructAsArray" in divergence_flags("capsule_from_json", {"json": text})) is flagged


def _binary(declared: int, payload: int) -> dict[str, str]:
    head = bytes([1]) + bytes(8) + bytes(12) + bytes(8) + bytes([5]) + struct.pack("<H", 120)
    return {"hex": (head + struct.pack("<Q", declared) + bytes(payload)).hex()}


def test_binary_flags_at_each_boundary() -> None:
    flags = lambda d, p: divergence_flags("capsule_from_binary", _binary(d, p))  # noqa: E731
    assert flags(16, 16) == frozenset()
    assert flags(16, 17) == {"BincodeTrailingBytes"}
    assert flags(17, 16) == frozenset()  # truncated: everyone rejects it
    assert flags(65_572, 65_572) == frozenset()
    assert flags(65_573, 65_573) == {"BincodeHugeLength"}
    assert flags(2**64 - 1, 0) == {"BincodeHugeLength"}


def _decrypt_args(timestamp: int, now: int) -> dict[str, Any]:
    session = IndependentSession()
    key, env = "11" * 32, "22" * 32
    capsule = session.handle({"id": 1, "op": "encrypt_capsule", "args": {
        "config": {}, "version": 1, "header_id": "7", "client_nonce": "33" * 12,
        "server_profile_id": "9", "network_context": {"rtt_bucket": 1, "path_hint": 120},
        "env_hash": env, "session_key": key, "password": "00", "timestamp": str(timestamp)}})
    return {"config": {}, "capsule": capsule["result"]["capsule"], "env_hash": env,
            "session_key": key, "now": str(now)}  # fmt: skip


@pytest.mark.parametrize(("timestamp", "now", "flagged"), [
    (I64_MIN + 1, 0, False),        # now - ts = I64_MAX: fits
    (I64_MIN + 1, 1, True),         # 2^63: past i64
    (I64_MAX, 0, False),            # -I64_MAX: fits
    (I64_MAX, -1, False),           # I64_MIN: fits, but its abs() does not...
    (I64_MAX, -2, True),            # ...and one more is past i64
    (1_700_000_000, 1_700_000_300, False),
])  # fmt: skip
def test_drift_overflow_flag_follows_now_minus_timestamp(timestamp: int, now: int,
                                                         flagged: bool) -> None:  # fmt: skip
    flags = divergence_flags("decrypt_capsule", _decrypt_args(timestamp, now))
    abs_overflows = now - timestamp == I64_MIN
    assert ("DriftOverflow" in flags) is (flagged or abs_overflows)


def test_drift_overflow_needs_a_capsule_that_opens() -> None:
    args = _decrypt_args(I64_MIN + 1, 1)
    args["session_key"] = "12" * 32
    assert "DriftOverflow" not in divergence_flags("decrypt_capsule", args)


def test_v2_flag_for_configs_arguments_and_documents_naming_version_2() -> None:
    assert divergence_flags("config_validate", {"config": {"allowed_versions": [1, 2]}}) == {
        "V2NotCompiled"}
    assert divergence_flags("config_validate", {"config": {"allowed_versions": [1]}}) == set()
    assert "V2NotCompiled" in divergence_flags("encrypt_capsule", {"version": 2})
    assert "V2NotCompiled" in divergence_flags("capsule_from_binary", {"hex": "02" + "00" * 39})
    assert "V2NotCompiled" in divergence_flags("capsule_from_json", {"json": '{"version":2}'})
    assert "V2NotCompiled" not in divergence_flags("capsule_from_json", {"json": '{"version":1}'})


def test_no_nonce_tracking_only_where_a_guard_has_seen_a_capsule() -> None:
    args = {"replay_guard": "g"}
    assert divergence_flags("decrypt_capsule", args) == set()
    assert divergence_flags("decrypt_capsule", args, guard_seen=True) == {"NoNonceTracking"}


def test_open_questions_are_named() -> None:
    assert open_questions("sep_hash", {"sep": {}, "max_fingerprint_bytes": 0}) == {
        "sep-limit-out-of-range"}
    assert open_questions("sep_hash", {"sep": {}, "max_fingerprint_bytes": 4096}) == set()
    assert "json-unknown-duplicates-or-surrogates" in open_questions(
        "capsule_from_json", {"json": '{"version":1,"x":{"a":1,"a":2}}'})
    assert open_questions("capsule_from_json", {"json": '{"version":1,"version":2}'}) == set()
    assert open_questions("session_token", {"timestamp": str(I64_MIN)}) == {
        "token-timestamp-i64-min"}


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)  # fmt: skip


# the profile's count (tests/conftest.py: 100 per run, 5,000 nightly): generating these
# nested arguments is most of the cost, the predicates themselves are cheap
@given(op=st.sampled_from(["decrypt_capsule", "capsule_from_json", "capsule_from_binary",
                           "encrypt_capsule", "config_validate", "sep_hash", "rtt_bucket",
                           "session_token"]),
       args=st.dictionaries(st.sampled_from(["json", "hex", "config", "capsule", "now",
                                             "version", "session_key", "env_hash",
                                             "samples_ms", "timestamp", "sep",
                                             "max_fingerprint_bytes"]), _JSONISH, max_size=6))
def test_predicates_never_raise(op: str, args: dict[str, Any]) -> None:  # fmt: skip
    assert isinstance(divergence_flags(op, args), frozenset)
    assert isinstance(open_questions(op, args), frozenset)


def test_vector_files_carry_exactly_the_computed_section_15_flags() -> None:
    from ihp_vectors import load_cases
    from ihp_vectors._notes import DIVERGENCE_FLAGS

    for case in load_cases():
        found = flags_of_steps(case.operation, [s.args for s in case.steps], case.sequence)
        assert set(case.flags) & DIVERGENCE_FLAGS == found, case.case_id
