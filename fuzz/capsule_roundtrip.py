#!/usr/bin/env python3
"""capsule_roundtrip: encrypt then decrypt structured inputs (spec §7.4, §7.5, §9).

Rule: from fuzzer-chosen fields (version, header id, nonce, profile id, network context,
password of 0..65,537 bytes, timestamp, `now`, config bounds, session key), encryption
either fails with exactly the error spec §7.4 assigns (step 0 argument errors included)
or returns the payload an independent model seals, byte for byte (so encryption is
deterministic); that capsule, optionally through a wire form, then decrypts to exactly
the input password, timestamp and header id, or fails with the error §7.5 assigns
(`StaleTimestamp` when `|now - timestamp|` exceeds the drift, computed exactly). Any other
exception or outcome is a bug.
"""

import sys

import atheris

with atheris.instrument_imports(include=["ihp_ref"]):
    import ihp_ref

from ihp_fuzz.harness import golden, model, reference
from ihp_fuzz.harness.findings import outcome_of, require, require_outcome
from ihp_fuzz.harness.model import I64_MAX, I64_MIN, U64_MAX, CapsuleFields, ModelConfig

__all__ = ["TestOneInput", "main"]

ERROR = ihp_ref.IhpError
GOLDEN_KEY = reference.golden_session_key()
_DRIFTS = (0, 1, 300, 604_800, 604_801, -1)
_PAYLOAD_LIMITS = (65_536, 1, 12, 65_535, 0, 65_537)
_JSON_PAYLOAD_CAP = 4096
_TIMESTAMPS = (golden.GOLDEN_TIMESTAMP, 0, I64_MIN, I64_MIN + 1, I64_MAX, -1)


def _pick(fdp: atheris.FuzzedDataProvider, interesting: tuple[int, ...], low: int,
          high: int) -> int:
    if fdp.ConsumeBool():
        return fdp.PickValueInList(list(interesting))
    return fdp.ConsumeIntInRange(low, high)


def _config(fdp: atheris.FuzzedDataProvider) -> ModelConfig:
    if fdp.ConsumeProbability() < 0.5:
        return ModelConfig(allowed_versions=frozenset({1, 2}))
    mask = fdp.ConsumeIntInRange(0, 15)  # subsets of {0, 1, 2, 3}: only {1}, {2}, {1, 2} valid
    versions = frozenset(v for v in range(4) if mask >> v & 1)
    return ModelConfig(
        max_timestamp_drift=_pick(fdp, _DRIFTS, -5, 700_000), allowed_versions=versions,
        aead_algorithm=fdp.PickValueInList(["AES256GCM", "AES256GCM", "AES128GCM", ""]),
        max_payload_bytes=fdp.PickValueInList(list(_PAYLOAD_LIMITS)),
        max_fingerprint_bytes=fdp.PickValueInList([4096, 1, 0, 4097]))


def _password(fdp: atheris.FuzzedDataProvider) -> bytes:
    if fdp.ConsumeProbability() < 0.9:
        return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 300))
    return b"p" * fdp.PickValueInList([65_535, 65_536, 65_537, 13, 11])  # boundaries


def _fields(fdp: atheris.FuzzedDataProvider) -> CapsuleFields:
    nonce_len = 12 if fdp.ConsumeProbability() < 0.95 else fdp.PickValueInList([0, 11, 13])
    return CapsuleFields(
        version=_pick(fdp, (1, 2, 0, 3, 255), 0, 255),
        header_id=_pick(fdp, (0, 44, U64_MAX), 0, U64_MAX),
        client_nonce=fdp.ConsumeBytes(nonce_len).ljust(nonce_len, b"\1"),
        server_profile_id=_pick(fdp, (0, 1, U64_MAX), 0, U64_MAX),
        rtt_bucket=fdp.ConsumeIntInRange(0, 255),
        path_hint=_pick(fdp, (120, 0, 1, 0xFFFF), 0, 0xFFFF), payload=b"")


def _now(fdp: atheris.FuzzedDataProvider, timestamp: int, drift: int) -> int:
    if fdp.ConsumeBool():
        return timestamp + fdp.PickValueInList([0, drift, drift + 1, -drift, -drift - 1])
    return fdp.PickValueInList([I64_MIN + 1, I64_MAX, timestamp + fdp.ConsumeInt(4)])


def _encrypt(fields: CapsuleFields, config: ModelConfig, key: bytes, password: bytes,
             timestamp: int) -> tuple[str | None, object]:
    """spec §7.4 with step 0: the typed values are made first, in the spec's order."""
    def call() -> ihp_ref.IhpCapsule:
        nonce = ihp_ref.ClientNonce(fields.client_nonce)
        session_key = ihp_ref.SessionKey(key)
        stamp = ihp_ref.CapsuleTimestamp(timestamp)
        material = ihp_ref.PasswordMaterial(password)
        return ihp_ref.encrypt_capsule(
            fields.version, reference.ref_config(config), fields.header_id, nonce,
            ihp_ref.ServerProfileId(fields.server_profile_id),
            ihp_ref.IhpNetworkContext(fields.rtt_bucket, fields.path_hint),
            ihp_ref.ServerEnvHash(golden.GOLDEN_ENV_HASH), session_key, material, stamp)
    return outcome_of(call, ERROR)


def _expected_encrypt(fields: CapsuleFields, config: ModelConfig, key: bytes, password: bytes,
                      timestamp: int) -> model.Outcome:
    if len(fields.client_nonce) != 12:
        return model.Outcome.fail("InvalidNonceLength")
    if timestamp == I64_MIN:
        return model.Outcome.fail("InvalidTimestamp")
    if len(password) > model.MAX_PAYLOAD_BYTES:
        return model.Outcome.fail("Codec")
    return model.expected_encrypt(fields, config, golden.GOLDEN_ENV_HASH, key, password,
                                  timestamp)


def _through_wire(fdp: atheris.FuzzedDataProvider, capsule: ihp_ref.IhpCapsule
                  ) -> ihp_ref.IhpCapsule:
    form = fdp.ConsumeIntInRange(0, 2)
    if form == 2 and len(capsule.payload) > _JSON_PAYLOAD_CAP:
        form = 1  # a 64 KiB payload as JSON costs ~30 ms here; json_decode covers that form
    if form == 1:
        capsule = ihp_ref.capsule_from_binary(ihp_ref.capsule_to_binary(capsule))
    elif form == 2:
        capsule = ihp_ref.capsule_from_json(ihp_ref.capsule_to_json(capsule))
    return capsule


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    key = GOLDEN_KEY if fdp.ConsumeBool() else fdp.ConsumeBytes(32).ljust(32, b"\0")
    config, fields = _config(fdp), _fields(fdp)
    password = _password(fdp)
    timestamp = _pick(fdp, _TIMESTAMPS, I64_MIN, I64_MAX)
    expected = _expected_encrypt(fields, config, key, password, timestamp)
    error, capsule = _encrypt(fields, config, key, password, timestamp)
    require_outcome(expected, error, "encrypt")
    if error is not None:
        return
    require(capsule.payload == expected.value, "encrypt-payload-differs",
            f"{len(capsule.payload)} bytes, the model sealed {len(expected.value)}")
    require(reference.fields_of(capsule) == CapsuleFields(
        fields.version, fields.header_id, fields.client_nonce, fields.server_profile_id,
        fields.rtt_bucket, fields.path_hint, capsule.payload), "encrypt-fields-differ")
    capsule = _through_wire(fdp, capsule)
    now = _now(fdp, timestamp, config.max_timestamp_drift)
    want = model.expected_decrypt(reference.fields_of(capsule), config, golden.GOLDEN_ENV_HASH,
                                  key, now)
    got_error, plaintext = outcome_of(lambda: ihp_ref.decrypt_capsule(
        capsule, ihp_ref.ServerEnvHash(golden.GOLDEN_ENV_HASH), ihp_ref.SessionKey(key),
        ihp_ref.CapsuleTimestamp(now), reference.ref_config(config)), ERROR)
    require_outcome(want, got_error, "decrypt")
    if got_error is None:
        require(plaintext.password.value == password, "roundtrip-password-differs")
        require(plaintext.timestamp.seconds == timestamp, "roundtrip-timestamp-differs")
        require(plaintext.header_id == fields.header_id, "roundtrip-header-id-differs")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
