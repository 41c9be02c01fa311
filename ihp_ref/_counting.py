"""Counting encryptions and decryptions (spec §16): every attempt once, every failure once.

`encrypt_capsule` and `decrypt_capsule` come here when they are given a real metrics sink,
passing themselves in (this module imports nothing of the capsule's); a server that decides
from the step functions counts with `count_decryption` and `count_failed_attempt`. No shim
operation reaches this module: the metrics tests and the HTTP suite pin it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from ._constants import U8_MAX
from ._errors import ErrorCode, IhpError
from ._metrics import (
    DECRYPT_FAILURE,
    DECRYPT_SUCCESS,
    DECRYPT_TOTAL,
    DECRYPT_VERSION_REJECTED,
    DRIFT_REJECTED,
    DRIFT_SECONDS,
    ENCRYPT_FAILURE,
    ENCRYPT_SUCCESS,
    ENCRYPT_TOTAL,
    ENCRYPT_VERSION_REJECTED,
    HEADER_MISMATCH,
    MetricsSink,
)

if TYPE_CHECKING:
    from ._capsule import IhpCapsule, IhpPlaintext
    from ._values import CapsuleTimestamp, ServerEnvHash, SessionKey

__all__ = ["count_decryption", "count_failed_attempt", "decrypt_counted", "encrypt_counted"]

_VERSION_LABELS = tuple(MappingProxyType({"version": str(v)}) for v in range(U8_MAX + 1))
_CODE_LABELS = {code: MappingProxyType({"code": code.telemetry}) for code in ErrorCode}


def encrypt_counted(encrypt: Callable[..., IhpCapsule], metrics: MetricsSink,
                    *args: Any) -> IhpCapsule:
    """`encrypt(*args)` (the uncounted `encrypt_capsule`), counted."""
    metrics.increment(ENCRYPT_TOTAL)
    try:
        capsule = encrypt(*args)
    except IhpError as error:
        _count_failure(metrics, "encrypt", error.code)
        raise
    metrics.increment(ENCRYPT_SUCCESS, _VERSION_LABELS[capsule.version])
    return capsule


def decrypt_counted(decrypt: Callable[..., IhpPlaintext], metrics: MetricsSink,
                    capsule: IhpCapsule, env_hash: ServerEnvHash, session_key: SessionKey,
                    now: CapsuleTimestamp, *rest: Any) -> IhpPlaintext:
    """`decrypt(capsule, env_hash, session_key, now, *rest)` (the uncounted
    `decrypt_capsule`), counted."""
    metrics.increment(DECRYPT_TOTAL)
    try:
        plaintext = decrypt(capsule, env_hash, session_key, now, *rest)
    except IhpError as error:
        _count_failure(metrics, "decrypt", error.code)
        raise
    _count_success(metrics, capsule.version, abs(now.seconds - plaintext.timestamp.seconds))
    return plaintext


def _count_success(metrics: MetricsSink, version: int, drift_seconds: int) -> None:
    metrics.increment(DECRYPT_SUCCESS, _VERSION_LABELS[version])
    metrics.observe(DRIFT_SECONDS, drift_seconds)


# spec §16: the counters a failure increments besides `.failure`, by operation and code
_FAILURE_COUNTERS: dict[tuple[str, ErrorCode], str] = {
    ("encrypt", ErrorCode.INVALID_VERSION): ENCRYPT_VERSION_REJECTED,
    ("decrypt", ErrorCode.INVALID_VERSION): DECRYPT_VERSION_REJECTED,
    ("decrypt", ErrorCode.HEADER_ID_MISMATCH): HEADER_MISMATCH,
    ("decrypt", ErrorCode.STALE_TIMESTAMP): DRIFT_REJECTED,
}
_FAILURE = {"encrypt": ENCRYPT_FAILURE, "decrypt": DECRYPT_FAILURE}
_TOTAL = {"encrypt": ENCRYPT_TOTAL, "decrypt": DECRYPT_TOTAL}


def _count_failure(metrics: MetricsSink, operation: str, code: ErrorCode) -> None:
    metrics.increment(_FAILURE[operation], _CODE_LABELS[code])
    extra = _FAILURE_COUNTERS.get((operation, code))
    if extra is not None:
        metrics.increment(extra)


def count_failed_attempt(
    metrics: MetricsSink, operation: Literal["encrypt", "decrypt"], code: ErrorCode
) -> None:
    """Count one failed attempt that `encrypt_capsule` / `decrypt_capsule` did not count:
    an adapter's step 0 (a typed value that could not be made, a wire form that did not
    decode), or a decision made from the step functions (`check_before_opening`, …).
    spec §16: every attempt counted, every failure exactly once."""
    metrics.increment(_TOTAL[operation])
    _count_failure(metrics, operation, code)


def count_decryption(metrics: MetricsSink, version: int, drift_seconds: int) -> None:
    """Count one successful decryption attempt made without `decrypt_capsule`'s own
    counting (a server that tries several keys counts the attempt once, spec §16).
    `version` is the capsule's u8: anything else is a caller's mistake, refused before
    anything is counted (a negative index would otherwise label another version)."""
    if type(version) is not int or not 0 <= version <= U8_MAX:
        raise ValueError(f"count_decryption: version {version!r} is not a u8")
    metrics.increment(DECRYPT_TOTAL)
    _count_success(metrics, version, drift_seconds)
