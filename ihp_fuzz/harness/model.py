"""An independent model of spec §7.2-§7.5 and §9: the oracle of the harnesses.

It shares no code with `ihp_ref`: the AAD, the plaintext layout, the decryption checks
and the wire forms are re-derived here from the spec text, so a harness that compares the
reference with this model checks the reference against the spec, not against itself.
AES-GCM comes from `cryptography` (a primitive, not protocol logic).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "AAD_DOMAIN",
    "I64_MAX",
    "I64_MIN",
    "MAX_ALLOWED_DRIFT_SECONDS",
    "MAX_FINGERPRINT_BYTES",
    "MAX_PAYLOAD_BYTES",
    "U64_MAX",
    "CapsuleFields",
    "ModelConfig",
    "Outcome",
    "aad",
    "config_is_valid",
    "expected_decrypt",
    "expected_encrypt",
    "open_payload",
    "plaintext",
    "seal",
]

AAD_DOMAIN = b"IHP_CAPSULE_AAD:v1"  # spec §3
I64_MIN = -(2**63)
I64_MAX = 2**63 - 1
U64_MAX = 2**64 - 1
MAX_PAYLOAD_BYTES = 65_536
MAX_FINGERPRINT_BYTES = 4_096
MAX_ALLOWED_DRIFT_SECONDS = 604_800
AEAD_WIRE_NAME = "AES256GCM"

_AESGCM_CACHE: dict[bytes, AESGCM] = {}


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Spec §4 fields, unvalidated (validity is `config_is_valid`)."""

    max_timestamp_drift: int = 300
    allowed_versions: frozenset[int] = frozenset({1})
    aead_algorithm: str = AEAD_WIRE_NAME
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    max_fingerprint_bytes: int = MAX_FINGERPRINT_BYTES


class CapsuleFields(NamedTuple):
    """Spec §7.1 fields as plain values (no validation: the fuzzer makes them). A tuple:
    the mutator makes one per execution, so it must be cheap to build and `_replace`."""

    version: int
    header_id: int
    client_nonce: bytes
    server_profile_id: int
    rtt_bucket: int
    path_hint: int
    payload: bytes

    def __repr__(self) -> str:  # payload is ciphertext: length only, by habit
        return (
            f"CapsuleFields(version={self.version}, header_id={self.header_id}, "
            f"server_profile_id={self.server_profile_id}, rtt_bucket={self.rtt_bucket}, "
            f"path_hint={self.path_hint}, payload=<{len(self.payload)} bytes>)"
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the spec predicts: an error code (spec §8 name) or a value."""

    error: str | None
    value: object = None

    @classmethod
    def fail(cls, code: str) -> Outcome:
        return cls(error=code)

    def __repr__(self) -> str:  # values may hold passwords: never print them
        return f"Outcome(error={self.error!r})" if self.error else "Outcome(ok)"


def config_is_valid(config: ModelConfig) -> bool:
    """Spec §4 ranges."""
    return (
        0 <= config.max_timestamp_drift <= MAX_ALLOWED_DRIFT_SECONDS
        and bool(config.allowed_versions)
        and config.allowed_versions <= {1, 2}
        and config.aead_algorithm == AEAD_WIRE_NAME
        and 1 <= config.max_payload_bytes <= MAX_PAYLOAD_BYTES
        and 1 <= config.max_fingerprint_bytes <= MAX_FINGERPRINT_BYTES
    )


def aad(version: int, server_profile_id: int, rtt_bucket: int, path_hint: int,
        env_hash: bytes) -> bytes:
    """Spec §7.2: 62 bytes."""
    return AAD_DOMAIN + struct.pack("<BQBH", version, server_profile_id, rtt_bucket,
                                    path_hint) + env_hash


def plaintext(password: bytes, timestamp: int, header_id: int) -> bytes:
    """Spec §7.3."""
    return struct.pack("<I", len(password)) + password + struct.pack("<qQ", timestamp, header_id)


def _aead(key: bytes) -> AESGCM:
    cipher = _AESGCM_CACHE.get(key)
    if cipher is None:
        if len(_AESGCM_CACHE) > 64:
            _AESGCM_CACHE.clear()
        cipher = _AESGCM_CACHE[key] = AESGCM(key)
    return cipher


def seal(key: bytes, fields: CapsuleFields, env_hash: bytes, body: bytes) -> bytes:
    """SEAL(key, nonce, AAD(fields), body): the payload a capsule with `fields` carries."""
    return _aead(key).encrypt(fields.client_nonce, body, _fields_aad(fields, env_hash))


def open_payload(key: bytes, fields: CapsuleFields, env_hash: bytes) -> bytes | None:
    """OPEN as spec §2 defines it: None on any tag failure (including < 16 bytes)."""
    if len(fields.payload) < 16:
        return None
    try:
        return _aead(key).decrypt(fields.client_nonce, fields.payload,
                                  _fields_aad(fields, env_hash))
    except InvalidTag:
        return None


def _fields_aad(fields: CapsuleFields, env_hash: bytes) -> bytes:
    return aad(fields.version, fields.server_profile_id, fields.rtt_bucket, fields.path_hint,
               env_hash)


def expected_encrypt(fields: CapsuleFields, config: ModelConfig, env_hash: bytes, key: bytes,
                     password: bytes, timestamp: int) -> Outcome:
    """Spec §7.4 steps 1-5 for typed arguments; value = the payload."""
    if fields.path_hint == 0:
        return Outcome.fail("Codec")
    if not config_is_valid(config):
        return Outcome.fail("Config")
    if fields.version not in config.allowed_versions:
        return Outcome.fail("InvalidVersion")
    if len(password) > config.max_payload_bytes:
        return Outcome.fail("Codec")
    body = plaintext(password, timestamp, fields.header_id)
    return Outcome(None, seal(key, fields, env_hash, body))


def expected_decrypt(fields: CapsuleFields, config: ModelConfig, env_hash: bytes, key: bytes,
                     now: int) -> Outcome:
    """Spec §7.5 steps 0 (now) and 1-8; value = (password, timestamp, header_id)."""
    if not I64_MIN < now <= I64_MAX:
        return Outcome.fail("InvalidTimestamp")
    if not config_is_valid(config):
        return Outcome.fail("Config")
    if fields.version not in config.allowed_versions:
        return Outcome.fail("InvalidVersion")
    if fields.path_hint == 0:
        return Outcome.fail("Codec")
    body = open_payload(key, fields, env_hash)
    if body is None:
        return Outcome.fail("InvalidAeadTag")
    return _check_plaintext(body, fields.header_id, config, now)


def _check_plaintext(body: bytes, header_id: int, config: ModelConfig, now: int) -> Outcome:
    """Spec §7.5 steps 5-8."""
    if len(body) < 20:
        return Outcome.fail("Codec")
    (declared,) = struct.unpack_from("<I", body)
    if declared > config.max_payload_bytes or len(body) != 4 + declared + 16:
        return Outcome.fail("Codec")
    timestamp, embedded_header_id = struct.unpack_from("<qQ", body, 4 + declared)
    if timestamp == I64_MIN:
        return Outcome.fail("InvalidTimestamp")
    if embedded_header_id != header_id:
        return Outcome.fail("HeaderIdMismatch")
    if abs(now - timestamp) > config.max_timestamp_drift:  # Python ints: exact, no wrap
        return Outcome.fail("StaleTimestamp")
    return Outcome(None, (body[4:4 + declared], timestamp, header_id))
