"""Seeds at both sides of every boundary (issue 10 §4), and what they buy: an off-by-one
planted at a boundary is found by the harness owning the rule, in its seed replay.

The seeds' sides are checked against the harnesses' independent models (not against the
reference, whose off-by-ones are what the seeds are for).
"""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path

import pytest

from ihp_fuzz.boundary_seeds import boundary_seeds, vector_boundary_cases
from ihp_fuzz.harness import inputs, wire
from ihp_fuzz.harness.literal import MAX_EXPANDED, compress, expand, parse_literal
from ihp_fuzz.harness.model import ModelConfig
from ihp_fuzz.harnesses import get_harness
from ihp_fuzz.planted import PLANTS, plant
from ihp_fuzz.seeds import seed_inputs
from tests._fuzz_support import FUZZ, run_harness

_SEEDS = functools.cache(boundary_seeds)  # made by the worker that needs them, not at collection


def _model_accepts_json(name: str) -> bool:
    return wire.from_json(inputs.decode_padded(_SEEDS()["json_model"][name])) is not None


@pytest.mark.parametrize("place", ["unknown-key-arrays", "unknown-key-objects",
                                   "in-network-context-arrays", "in-network-context-objects",
                                   "in-array"])
def test_json_depth_seeds_sit_on_both_sides_of_64(place: str) -> None:
    assert _model_accepts_json(f"depth-64-{place}")
    assert not _model_accepts_json(f"depth-65-{place}")


def test_json_size_seeds_sit_on_both_sides_of_1_mib() -> None:
    for delta, accepted in ((-1, True), (0, True), (1, False)):
        document = inputs.decode_padded(_SEEDS()["json_model"][f"size-1mib{delta:+d}"])
        assert len(document) == (1 << 20) + delta
        assert (wire.from_json(document) is not None) == accepted


def test_padded_inputs_other_than_the_form_are_read_as_they_are() -> None:
    for data in (b"\xff\xfe", b"\xff\xfe\x00\x00\x00\x00{}", b"\xff\xfe\xff\xff\xff\xff{}",
                 b'{"a":1}'):
        assert inputs.decode_padded(data) == data


def test_binary_cap_seeds_sit_on_both_sides_of_65572() -> None:
    for delta, accepted in ((-1, True), (0, True), (1, False)):
        data = _SEEDS()["binary_decode"][f"payload-cap{delta:+d}"]
        assert len(data) == 40 + 65_572 + delta
        assert (wire.from_binary(data) is not None) == accepted


def test_array_shaped_and_trailing_seeds_are_rejected_by_the_model() -> None:
    for name in ("array-shaped-capsule", "array-shaped-network-context", "trailing-bytes",
                 "nonce-11", "nonce-13", "header_id-18446744073709551616", "version-256"):
        assert not _model_accepts_json(name), name
    for name in ("trailing-whitespace", "header_id-18446744073709551615", "version-255",
                 "path_hint-65535"):
        assert _model_accepts_json(name), name


def _lengths(value: object) -> object:
    """`value` with every long string replaced by its length."""
    if isinstance(value, dict):
        return {k: _lengths(v) for k, v in value.items()}
    return len(value) if isinstance(value, str) and len(value) > 1000 else value


def test_every_vector_boundary_case_is_a_differential_seed() -> None:
    cases = vector_boundary_cases()
    assert {"DriftOverflow", "V2NotCompiled", "Boundary", "SizeLimit"} <= {
        f for c in cases for f in c.flags}
    literals = {name: parse_literal(data) for name, data in _SEEDS()["differential"].items()}
    missing = []
    for case in cases:
        name = "vector-" + case.case_id.replace("/", "_")
        assert len(_SEEDS()["differential"].get(name, b"")) <= get_harness("differential").max_len
        if name not in literals:
            missing.append(case.case_id)
            continue
        op, args = literals[name]  # type: ignore[misc]
        assert op == case.operation
        if args == case.args:
            continue
        # too long as it is: only bytes that count by their length were replaced
        assert _lengths(args) == _lengths(dict(case.args)), case.case_id
    # 65,536 bytes of ciphertext fit no literal (the request builder seals such capsules)
    assert missing == ["decrypt/password/65536", "decrypt/plaintext/declared-65537"]


def test_literal_runs_expand_back_and_stop_at_the_cap() -> None:
    text = "{" + "[" * 70_000 + "]" * 70_000 + "}"
    assert expand(compress({"json": text})) == {"json": text}
    assert len(json.dumps(compress({"json": text}))) < 100
    huge = b'{"op":"x","args":{"json":{"$runs":[["ab",%d]]}}}' % (MAX_EXPANDED // 2 + 1)
    assert parse_literal(huge) is None
    assert parse_literal(b'{"op":"x","args":{"json":{"$runs":[["a",-1]]}}}') is None


def test_boundary_seeds_are_part_of_the_committed_corpus() -> None:
    everything = seed_inputs()
    for harness, seeds in _SEEDS().items():
        for name in seeds:
            assert name in everything[harness]
            assert (FUZZ / "corpus" / harness / f"seed-{name}").is_file(), (harness, name)


def test_nonce_mutation_seeds_cover_each_drift_configuration() -> None:
    configs = {inputs.parse_mutation_input(d).config  # type: ignore[union-attr]
               for d in _SEEDS()["nonce_mutation"].values()}
    assert ModelConfig(max_timestamp_drift=0) in configs
    assert ModelConfig(max_timestamp_drift=604_800) in configs


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in PLANTS if n != "missing-header-check"])
def test_a_planted_off_by_one_is_found_by_the_harness_owning_its_rule(name: str,
                                                                      tmp_path: Path) -> None:
    planted = PLANTS[name]
    plant(tmp_path / "planted", name)
    harness = get_harness(planted.harness)
    (tmp_path / "corpus").mkdir()
    try:
        result = run_harness(harness, [tmp_path / "corpus", harness.seeds(FUZZ)],
                             ["-max_total_time=60", f"-artifact_prefix={tmp_path}/"],
                             pythonpath=(tmp_path / "planted",), timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{planted.harness} did not find {name} within a minute")
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "HarnessFinding" in output, output[-2000:]
    assert list(tmp_path.glob("crash-*"))


@pytest.mark.slow
def test_the_reference_passes_the_seed_replay_of_the_boundary_harnesses(tmp_path: Path) -> None:
    for name in sorted({p.harness for p in PLANTS.values()}):
        harness = get_harness(name)
        (tmp_path / name).mkdir()
        result = run_harness(harness, [tmp_path / name, harness.seeds(FUZZ)],
                             ["-runs=0", f"-artifact_prefix={tmp_path}/"], timeout=120)
        assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]
