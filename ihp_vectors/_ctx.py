"""The shared encryption context of the capsule vectors (encrypt, decrypt, replay)."""

from __future__ import annotations

from typing import Any

from ._build import Handler, call
from ._enc import dec, det_bytes, hx, network

__all__ = [
    "BASE",
    "ENV_HASH_LENGTH_ROWS",
    "SESSION_KEY_LENGTH_ROWS",
    "ArgumentRow",
    "encrypt_args",
    "encrypt_with",
]

# One session: pseudorandom key, env hash and nonce, fixed by their labels.
BASE: dict[str, Any] = {
    "config": {},
    "version": 1,
    "header_id": dec(0x1122334455667788),
    "client_nonce": hx(det_bytes("capsule/nonce", 12)),
    "server_profile_id": dec(7),
    "network_context": network(5, 120),
    "env_hash": hx(det_bytes("capsule/env-hash", 32)),
    "session_key": hx(det_bytes("capsule/session-key", 32)),
    "password": hx(b"correct horse battery staple"),
    "timestamp": dec(1_700_000_000),
}
BASE_TIMESTAMP = 1_700_000_000

# (case id, error, comment, arguments replaced, rules): step-0 rows of a capsule operation
ArgumentRow = tuple[str, str, str, dict[str, Any], tuple[str, ...]]
# the rows encryption and decryption share: both take a session key and an env hash
SESSION_KEY_LENGTH_ROWS: tuple[ArgumentRow, ...] = (
    ("key-length/0", "KeyLength", "an empty session key", {"session_key": ""}, ("6.key-length",)),
    (
        "key-length/31",
        "KeyLength",
        "a 31-byte session key",
        {"session_key": hx(bytes(31))},
        ("6.key-length",),
    ),
    (
        "key-length/33",
        "KeyLength",
        "a 33-byte session key",
        {"session_key": hx(bytes(33))},
        ("6.key-length",),
    ),
)
ENV_HASH_LENGTH_ROWS: tuple[ArgumentRow, ...] = (
    ("env-hash-length/31", "Codec", "a 31-byte env hash", {"env_hash": hx(bytes(31))}, ()),
    ("env-hash-length/33", "Codec", "a 33-byte env hash", {"env_hash": hx(bytes(33))}, ()),
)


def encrypt_args(**over: Any) -> dict[str, Any]:
    """BASE with some arguments replaced."""
    return {**BASE, **over}


def encrypt_with(handle: Handler, **over: Any) -> dict[str, Any]:
    """The capsule (shim object) the reference makes from BASE with `over` replaced."""
    capsule: dict[str, Any] = call(handle, "encrypt_capsule", encrypt_args(**over))["capsule"]
    return capsule
