"""Hypothesis properties of the reference (issue 2 §4): round trip, determinism, and
every single-field change rejected with the error the spec assigns."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

import ihp_ref as ihp
from ihp_ref import CapsuleTimestamp, ErrorCode, IhpCapsule, IhpConfig, IhpError

KEY = ihp.SessionKey(b"k" * 32)
ENV = ihp.ServerEnvHash(b"e" * 32)
CONFIG = IhpConfig(max_timestamp_drift=604_800, allowed_versions=frozenset({1, 2}))

timestamps = st.integers(-(2**63) + 1, 2**63 - 1)
capsule_args = st.fixed_dictionaries({
    "version": st.sampled_from([1, 2]),
    "header_id": st.integers(0, 2**64 - 1),
    "nonce": st.binary(min_size=12, max_size=12),
    "profile_id": st.integers(0, 2**64 - 1),
    "network": st.builds(ihp.IhpNetworkContext, st.integers(0, 255), st.integers(1, 65_535)),
    # any length 0..65,536; long ones built from a seed (Hypothesis draws big binaries slowly)
    "password": st.one_of(st.binary(max_size=256), st.builds(
        lambda size, seed: random.Random(seed).randbytes(size),
        st.integers(0, 65_536), st.integers(0, 2**32))),
    "timestamp": timestamps,
})


def _encrypt(a: dict[str, object]) -> IhpCapsule:
    return ihp.encrypt_capsule(
        a["version"], CONFIG, a["header_id"], ihp.ClientNonce(a["nonce"]),  # type: ignore[arg-type]
        ihp.ServerProfileId(a["profile_id"]), a["network"], ENV, KEY,  # type: ignore[arg-type]
        ihp.PasswordMaterial(a["password"]), CapsuleTimestamp(a["timestamp"]))  # type: ignore[arg-type]


def _decrypt_code(capsule: IhpCapsule, now: int, env: ihp.ServerEnvHash = ENV) -> ErrorCode | None:
    try:
        ihp.decrypt_capsule(capsule, env, KEY, CapsuleTimestamp(now), CONFIG)
    except IhpError as error:
        return error.code
    return None


@given(capsule_args)
def test_round_trip_gives_back_exactly_the_input(a: dict[str, object]) -> None:
    capsule = _encrypt(a)
    plaintext = ihp.decrypt_capsule(capsule, ENV, KEY, CapsuleTimestamp(a["timestamp"]), CONFIG)  # type: ignore[arg-type]
    assert plaintext.password.value == a["password"]
    assert plaintext.timestamp.seconds == a["timestamp"]
    assert plaintext.header_id == a["header_id"]
    assert ihp.capsule_from_binary(ihp.capsule_to_binary(capsule)) == capsule
    assert ihp.capsule_from_json(ihp.capsule_to_json(capsule)) == capsule


@given(capsule_args)
def test_encryption_is_deterministic(a: dict[str, object]) -> None:
    assert _encrypt(a) == _encrypt(a)


@given(capsule_args, st.data())
def test_flipping_any_payload_bit_is_a_tag_error(a: dict[str, object], data: st.DataObject) -> None:
    capsule = _encrypt(a)
    bit = data.draw(st.integers(0, len(capsule.payload) * 8 - 1))
    payload = bytearray(capsule.payload)
    payload[bit // 8] ^= 1 << (bit % 8)
    mutated = IhpCapsule(capsule.version, capsule.header_id, capsule.client_nonce,
                         capsule.server_profile_id, capsule.network_context, bytes(payload))
    assert _decrypt_code(mutated, a["timestamp"]) is ErrorCode.INVALID_AEAD_TAG  # type: ignore[arg-type]


@given(capsule_args, st.sampled_from(["version", "nonce", "profile_id", "rtt", "path",
                                      "env_hash", "header_id", "truncate"]), st.data())
def test_changing_one_field_fails_with_the_spec_error(
    a: dict[str, object], field: str, data: st.DataObject
) -> None:
    capsule = _encrypt(a)
    net = capsule.network_context
    values = {"version": capsule.version, "header_id": capsule.header_id,
              "client_nonce": capsule.client_nonce, "server_profile_id": capsule.server_profile_id,
              "network_context": net, "payload": capsule.payload}
    env, expected = ENV, ErrorCode.INVALID_AEAD_TAG
    if field == "version":  # the other allowed version: authenticated by the AAD
        values["version"] = 3 - capsule.version
    elif field == "nonce":
        other = data.draw(st.binary(min_size=12, max_size=12).filter(
            lambda n: n != capsule.client_nonce.value))
        values["client_nonce"] = ihp.ClientNonce(other)
    elif field == "profile_id":
        values["server_profile_id"] = ihp.ServerProfileId(capsule.server_profile_id.value ^ 1)
    elif field == "rtt":
        values["network_context"] = ihp.IhpNetworkContext(net.rtt_bucket ^ 1, net.path_hint)
    elif field == "path":  # another non-zero value (x ^ 1 is 0 only for x == 1)
        values["network_context"] = ihp.IhpNetworkContext(net.rtt_bucket, net.path_hint ^ 1 or 3)
    elif field == "env_hash":
        env = ihp.ServerEnvHash(b"f" * 32)
    elif field == "header_id":  # only in the clear: the plaintext copy disagrees
        values["header_id"] = capsule.header_id ^ 1
        expected = ErrorCode.HEADER_ID_MISMATCH
    else:
        cut = data.draw(st.integers(1, len(capsule.payload)))
        values["payload"] = capsule.payload[:-cut]
    mutated = IhpCapsule(**values)  # type: ignore[arg-type]
    assert (mutated, env) != (capsule, ENV)  # the change is never a no-op
    assert _decrypt_code(mutated, a["timestamp"], env) is expected  # type: ignore[arg-type]


@given(capsule_args, st.integers(-(2**64), 2**64))
def test_drift_rule_is_exact_for_any_now(a: dict[str, object], offset: int) -> None:
    now = a["timestamp"] + offset  # type: ignore[operator]
    if not -(2**63) < now < 2**63:
        return
    code = _decrypt_code(_encrypt(a), now)
    assert code is (None if abs(offset) <= 604_800 else ErrorCode.STALE_TIMESTAMP)
