"""The one error family of IHP (spec §8).

Every failure carries exactly one `ErrorCode`; the message is the spec's fixed string and
never holds key, nonce, password or plaintext bytes.
"""

from __future__ import annotations

import enum

__all__ = ["ERROR_TABLE", "ErrorCode", "IhpError"]


class ErrorCode(enum.StrEnum):
    """The error codes of spec §8, valued by their spec names."""

    INVALID_AEAD_TAG = "InvalidAeadTag"
    STALE_TIMESTAMP = "StaleTimestamp"
    HEADER_ID_MISMATCH = "HeaderIdMismatch"
    INVALID_VERSION = "InvalidVersion"
    KEY_LENGTH = "KeyLength"
    CONFIG = "Config"
    CODEC = "Codec"
    NONCE_REUSE = "NonceReuse"
    NONCE_COLLISION = "NonceCollision"
    KEY_DERIVATION = "KeyDerivation"
    INVALID_NONCE_LENGTH = "InvalidNonceLength"
    INVALID_TIMESTAMP = "InvalidTimestamp"
    SERIALIZATION_FAILED = "SerializationFailed"

    @property
    def telemetry(self) -> str:
        return ERROR_TABLE[self][0]

    @property
    def message(self) -> str:
        return ERROR_TABLE[self][1]


# spec §8: error code -> (telemetry code, fixed message). Docs quote this table.
ERROR_TABLE: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.INVALID_AEAD_TAG: ("AeadTagInvalid", "AEAD authentication failed"),
    ErrorCode.STALE_TIMESTAMP: ("TimestampStale", "capsule timestamp outside allowed drift"),
    ErrorCode.HEADER_ID_MISMATCH: ("HeaderIdMismatch", "plaintext header_id mismatch"),
    ErrorCode.INVALID_VERSION: ("VersionUnsupported", "capsule version not supported"),
    ErrorCode.KEY_LENGTH: ("KeyLength", "invalid key length"),
    ErrorCode.CONFIG: ("ConfigRejected", "configuration rejected"),
    ErrorCode.CODEC: ("CodecError", "encoding or decoding failure"),
    ErrorCode.NONCE_REUSE: ("NonceReuse", "nonce reuse detected"),
    ErrorCode.NONCE_COLLISION: ("NonceCollision", "nonce collision detected"),
    ErrorCode.KEY_DERIVATION: ("KeyLength", "hkdf expansion failed"),
    ErrorCode.INVALID_NONCE_LENGTH: ("ConfigRejected", "nonce length mismatch"),
    ErrorCode.INVALID_TIMESTAMP: ("ConfigRejected", "timestamp out of range"),
    ErrorCode.SERIALIZATION_FAILED: ("CodecError", "serialization failed"),
}


class IhpError(Exception):
    """A protocol failure. `code` says which; the message is fixed by the spec."""

    __slots__ = ("code",)

    def __init__(self, code: ErrorCode) -> None:
        Exception.__init__(self, ERROR_TABLE[code][1])  # decoders raise this per bad input
        self.code = code

    @property
    def telemetry(self) -> str:
        return self.code.telemetry

    def __repr__(self) -> str:
        return f"IhpError({self.code.value})"

    def __reduce__(self) -> tuple[type[IhpError], tuple[ErrorCode]]:
        return (type(self), (self.code,))
