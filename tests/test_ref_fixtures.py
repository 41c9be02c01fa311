"""spec §17: both reference fixtures come out of the reference, byte for byte as an
independent code path (PyCryptodome) computes them, and decrypt back."""

from __future__ import annotations

import _independent as indep
import pytest
from _ref_support import FIXTURE_HEX, GOLDEN, CapsuleInputs, sealed

import ihp_ref as ihp


def _independent_capsule_binary(inputs: CapsuleInputs) -> bytes:
    k_profile = indep.profile_key(inputs.master_key, inputs.env_hash.value)
    k_session = indep.session_key(k_profile, inputs.exporter, inputs.nonce, inputs.rtt_bucket,
                                  inputs.path_hint, inputs.profile_id)
    payload = indep.seal(k_session, inputs.nonce, inputs.version, inputs.profile_id,
                         inputs.rtt_bucket, inputs.path_hint, inputs.env_hash.value,
                         inputs.password, inputs.timestamp, inputs.header_id)
    return indep.binary_form(inputs.version, inputs.header_id, inputs.nonce, inputs.profile_id,
                             inputs.rtt_bucket, inputs.path_hint, payload)


@pytest.mark.parametrize("inputs", [GOLDEN, FIXTURE_HEX], ids=["golden_json", "capsule_hex"])
def test_fixture_bytes_match_an_independent_derivation(inputs: CapsuleInputs) -> None:
    assert ihp.capsule_to_binary(sealed(inputs)) == _independent_capsule_binary(inputs)


def test_fixture_sep_hash_matches_an_independent_blake3_encoding() -> None:
    expected = indep.sep_hash("cpu:fixture", "nic:fixture", "os:fixture", "build:fixture", None)
    assert FIXTURE_HEX.env_hash.value == expected


@pytest.mark.parametrize("inputs", [GOLDEN, FIXTURE_HEX], ids=["golden_json", "capsule_hex"])
def test_fixture_decrypts_to_its_password_at_its_own_time(inputs: CapsuleInputs) -> None:
    capsule = sealed(inputs)
    plaintext = ihp.decrypt_capsule(capsule, inputs.env_hash, inputs.session_key(),
                                    ihp.CapsuleTimestamp(inputs.timestamp), ihp.IhpConfig())
    assert plaintext.password.value == inputs.password
    assert plaintext.timestamp.seconds == inputs.timestamp
    assert plaintext.header_id == inputs.header_id


def test_golden_json_form_round_trips_through_the_canonical_encoding() -> None:
    capsule = sealed(GOLDEN)
    text = ihp.capsule_to_json(capsule)
    assert text.startswith('{"version":1,"header_id":44,"client_nonce":[1,1,1,1,1,1,1,1,1,1,1,1],'
                           '"server_profile_id":1,"network_context":{"rtt_bucket":5,'
                           '"path_hint":120},"payload":[')
    assert ihp.capsule_from_json(text) == capsule
