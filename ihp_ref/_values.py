"""Typed protocol values (spec §6, §7.1): each validates itself when it is made.

A `ClientNonce` of 11 bytes cannot exist, so functions trust their typed arguments.
Values holding secrets (passwords, keys) never show their bytes in `repr`.
"""

from __future__ import annotations

import enum
import hmac
from dataclasses import dataclass
from typing import Self

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ._constants import (
    DEFAULT_PATH_HINT,
    I64_MAX,
    I64_MIN,
    KEY_BYTES,
    MAX_PAYLOAD_BYTES,
    NONCE_LEN,
    U8_MAX,
    U16_MAX,
    U64_MAX,
)
from ._errors import ErrorCode, IhpError

__all__ = [
    "CapsuleTimestamp",
    "ClientNonce",
    "IhpNetworkContext",
    "MasterKey",
    "PasswordMaterial",
    "ProfileKey",
    "ProtocolVersion",
    "ServerEnvHash",
    "ServerProfileId",
    "SessionKey",
    "check_bytes",
    "check_int",
]


def check_int(value: object, low: int, high: int, code: ErrorCode, what: str) -> int:
    """`value` as an int within [low, high], else `IhpError(code)`; a non-int is misuse."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int")
    if not low <= value <= high:
        raise IhpError(code)
    return int(value)


def check_bytes(value: object, what: str) -> bytes:
    """`value` as immutable bytes; anything not bytes-like is misuse (`TypeError`)."""
    if type(value) is bytes:
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"{what} must be bytes")


class ProtocolVersion(enum.IntEnum):
    """Versions a configuration may allow (spec §3)."""

    V1 = 1
    EXPERIMENTAL_V2 = 2


@dataclass(frozen=True, slots=True)
class ServerProfileId:
    """The server's profile id, a u64 (spec §7.1)."""

    value: int

    def __post_init__(self) -> None:
        check_int(self.value, 0, U64_MAX, ErrorCode.CODEC, "server_profile_id")


@dataclass(frozen=True, slots=True)
class CapsuleTimestamp:
    """Whole seconds since the Unix epoch; any i64 but `I64_MIN` (spec §7.3)."""

    seconds: int

    def __post_init__(self) -> None:
        check_int(self.seconds, I64_MIN + 1, I64_MAX, ErrorCode.INVALID_TIMESTAMP, "timestamp")


@dataclass(frozen=True, slots=True)
class IhpNetworkContext:
    """RTT bucket (u8) and path hint (u16). A zero path hint can be expressed; the
    protocol rejects it at its own step (spec §7.4 step 1, §7.5 step 3)."""

    rtt_bucket: int
    path_hint: int = DEFAULT_PATH_HINT

    def __post_init__(self) -> None:
        check_int(self.rtt_bucket, 0, U8_MAX, ErrorCode.CODEC, "rtt_bucket")
        check_int(self.path_hint, 0, U16_MAX, ErrorCode.CODEC, "path_hint")

    def check(self) -> None:
        """spec §7.1: `path_hint` MUST be non-zero."""
        if self.path_hint == 0:
            raise IhpError(ErrorCode.CODEC)


@dataclass(frozen=True, slots=True, repr=False)
class ClientNonce:
    """The 12-byte AES-GCM nonce chosen by the client (spec §7.1)."""

    value: bytes

    def __post_init__(self) -> None:
        value = check_bytes(self.value, "client_nonce")
        if len(value) != NONCE_LEN:
            raise IhpError(ErrorCode.INVALID_NONCE_LENGTH)
        object.__setattr__(self, "value", value)

    def __repr__(self) -> str:
        return "ClientNonce(<12 bytes>)"


@dataclass(frozen=True, slots=True, repr=False)
class ServerEnvHash:
    """BLAKE3 hash of the server environment profile, 32 bytes (spec §5)."""

    value: bytes

    def __post_init__(self) -> None:
        value = check_bytes(self.value, "server_env_hash")
        if len(value) != 32:
            raise IhpError(ErrorCode.CODEC)
        object.__setattr__(self, "value", value)

    def __repr__(self) -> str:
        return f"ServerEnvHash({self.value.hex()})"  # public: the server publishes it


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class PasswordMaterial:
    """The password bytes a capsule carries, at most 65,536 (spec §3, §7.4 step 0)."""

    value: bytes

    def __post_init__(self) -> None:
        value = check_bytes(self.value, "password")
        if len(value) > MAX_PAYLOAD_BYTES:
            raise IhpError(ErrorCode.CODEC)
        object.__setattr__(self, "value", value)

    def __repr__(self) -> str:
        return f"PasswordMaterial(<{len(self.value)} bytes redacted>)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PasswordMaterial):
            return NotImplemented
        return hmac.compare_digest(self.value, other.value)

    def __hash__(self) -> int:
        raise TypeError("PasswordMaterial is not hashable")

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("PasswordMaterial cannot be pickled")


_ZERO_KEY = bytes(KEY_BYTES)


def _key_buffer(value: object, what: str) -> bytearray:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"{what} must be bytes")
    if len(value) != KEY_BYTES:
        raise IhpError(ErrorCode.KEY_LENGTH)
    return bytearray(value)


class _SecretKey:
    """32 key bytes held in a `bytearray` that `wipe()` (and garbage collection) zeroes.

    Python cannot promise more than that: `bytes` copies handed to the crypto library,
    and copies the interpreter made while the key was built, are not wiped.
    """

    __slots__ = ("_buffer",)

    def __init__(self, value: bytes | bytearray | memoryview) -> None:
        self._buffer = _key_buffer(value, type(self).__name__)

    @classmethod
    def _derived(cls, value: bytes) -> Self:
        """A key fresh from HKDF (exactly 32 bytes): no re-check on the hot path."""
        key = object.__new__(cls)
        key._buffer = bytearray(value)
        return key

    @property
    def value(self) -> bytes:
        """A copy of the key bytes."""
        return bytes(self._buffer)

    def wipe(self) -> None:
        self._buffer[:] = _ZERO_KEY

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wipe()

    def __del__(self) -> None:
        # one slice assignment: this runs for every key released on the server's hot path
        # (a plain try costs nothing; contextlib.suppress would cost a context manager)
        try:  # noqa: SIM105
            self._buffer[:] = _ZERO_KEY
        except AttributeError:  # __init__ failed before the buffer was set
            pass

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<redacted>)"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _SecretKey)
        return hmac.compare_digest(self._buffer, other._buffer)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError(f"{type(self).__name__} cannot be pickled")


class MasterKey(_SecretKey):
    """K_master, 32 bytes (spec §6)."""

    __slots__ = ()


class ProfileKey(_SecretKey):
    """K_profile, 32 bytes (spec §6)."""

    __slots__ = ()


class SessionKey(_SecretKey):
    """K_session, 32 bytes (spec §6).

    Keeps its AES-256-GCM context once made, so that several capsules under one session
    key pay the key schedule once; `wipe()` drops it with the key bytes.
    """

    __slots__ = ("_cipher",)

    def __init__(self, value: bytes | bytearray | memoryview) -> None:
        self._buffer = _key_buffer(value, "SessionKey")
        self._cipher: AESGCM | None = None

    @classmethod
    def _derived(cls, value: bytes) -> Self:
        """A key fresh from HKDF, its AES-GCM context made at once: every session key is
        made to open (or seal) a capsule, and `AESGCM` sets up faster from `bytes`."""
        key = object.__new__(cls)
        key._buffer = bytearray(value)
        key._cipher = AESGCM(value)
        return key

    def cipher(self) -> AESGCM:
        cipher = self._cipher
        if cipher is None:
            cipher = self._cipher = AESGCM(self._buffer)
        return cipher

    def wipe(self) -> None:
        self._cipher = None
        super().wipe()
