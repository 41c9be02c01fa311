"""The spec §17 fixtures as harness material: the golden capsule and the key that opens it.

The crate's own `nonce_mutation` target started from a key that did not open its golden
capsule (spec §15 `StaleFuzzKey`), so it never got past the AEAD. Here the session key is
derived from the §17 inputs without `ihp_ref` (stdlib HMAC); `reference.golden_session_key`
derives it with `ihp_ref` and checks the two agree before any harness uses it. This module
imports nothing from `ihp_ref`: the independent models may use it (docs/ORACLES.md).
"""

from __future__ import annotations

import hashlib
import hmac
import struct

from ihp_fuzz.harness.model import CapsuleFields, plaintext, seal

__all__ = [
    "GOLDEN_ENV_HASH",
    "GOLDEN_PASSWORD",
    "GOLDEN_TIMESTAMP",
    "golden_fields",
    "hkdf",
    "independent_session_key",
]

# spec §17, golden_capsule_v1.json
GOLDEN_MASTER_KEY = b"IHP deterministic master keyseed"
GOLDEN_ENV_HASH = b"\x42" * 32
GOLDEN_PROFILE_ID = 1
GOLDEN_NONCE = b"\x01" * 12
GOLDEN_RTT_BUCKET = 5
GOLDEN_PATH_HINT = 120
GOLDEN_TLS_EXPORTER_KEY = b"tls exporter key material"
GOLDEN_PASSWORD = b"known-answer"
GOLDEN_TIMESTAMP = 1_700_000_123
GOLDEN_HEADER_ID = 44
GOLDEN_VERSION = 1

_LABEL_PROFILE = b"IHP_PROFILE_KEY:v1"
_LABEL_SESSION = b"IHP_SESSION_KEY:v1"


def hkdf(salt: bytes, ikm: bytes, info: bytes) -> bytes:
    """RFC 5869 HKDF-SHA256, 32 bytes (one expand block)."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def independent_session_key() -> bytes:
    """Spec §6 from the §17 inputs, without `ihp_ref`."""
    profile_key = hkdf(GOLDEN_ENV_HASH, GOLDEN_MASTER_KEY, _LABEL_PROFILE)
    info = _LABEL_SESSION + GOLDEN_NONCE + struct.pack(
        "<BHQ", GOLDEN_RTT_BUCKET, GOLDEN_PATH_HINT, GOLDEN_PROFILE_ID)
    return hkdf(profile_key, GOLDEN_TLS_EXPORTER_KEY, info)


def golden_fields(key: bytes | None = None) -> CapsuleFields:
    """The golden capsule of spec §17, sealed by the model (no `ihp_ref`)."""
    unsealed = CapsuleFields(GOLDEN_VERSION, GOLDEN_HEADER_ID, GOLDEN_NONCE, GOLDEN_PROFILE_ID,
                             GOLDEN_RTT_BUCKET, GOLDEN_PATH_HINT, b"")
    body = plaintext(GOLDEN_PASSWORD, GOLDEN_TIMESTAMP, GOLDEN_HEADER_ID)
    payload = seal(key or independent_session_key(), unsealed, GOLDEN_ENV_HASH, body)
    return CapsuleFields(GOLDEN_VERSION, GOLDEN_HEADER_ID, GOLDEN_NONCE, GOLDEN_PROFILE_ID,
                         GOLDEN_RTT_BUCKET, GOLDEN_PATH_HINT, payload)
