"""The order of the checks of encryption and decryption (spec §7.4, §7.5), as data.

`_capsule` follows these tables; tests/test_ref_capsule.py breaks each coded check alone,
then together with every later one, and expects the table's code both times. No shim
operation reads them: they describe the order the vectors then pin.
"""

from __future__ import annotations

from ._errors import ErrorCode

__all__ = ["DECRYPTION_CHECKS", "ENCRYPTION_CHECKS"]

# (step, rule, error code)
ENCRYPTION_CHECKS: tuple[tuple[int, str, ErrorCode | None], ...] = (
    (0, "argument construction (nonce, key, timestamp, password, field types)", None),
    (1, "network context: path_hint = 0", ErrorCode.CODEC),
    (2, "validate(config)", ErrorCode.CONFIG),
    (3, "version not in allowed_versions", ErrorCode.INVALID_VERSION),
    (4, "len(password) > config.max_payload_bytes", ErrorCode.CODEC),
    (5, "payload = SEAL(K_session, client_nonce, AAD, plaintext)", None),
)
DECRYPTION_CHECKS: tuple[tuple[int, str, ErrorCode | None], ...] = (
    (0, "argument construction (key, now, env hash, capsule fields, nonce)", None),
    (1, "validate(config)", ErrorCode.CONFIG),
    (2, "version not in allowed_versions", ErrorCode.INVALID_VERSION),
    (3, "network context: path_hint = 0", ErrorCode.CODEC),
    (4, "OPEN(K_session, client_nonce, AAD, payload) fails", ErrorCode.INVALID_AEAD_TAG),
    (5, "plaintext length rules", ErrorCode.CODEC),
    (6, "embedded timestamp = I64_MIN", ErrorCode.INVALID_TIMESTAMP),
    (7, "embedded header id ≠ capsule header_id (constant time)", ErrorCode.HEADER_ID_MISMATCH),
    (8, "|now − timestamp| > max_timestamp_drift (exact)", ErrorCode.STALE_TIMESTAMP),
    (9, "replay guard: reuse / collision", ErrorCode.NONCE_REUSE),
)
