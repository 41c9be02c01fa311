"""The shared encryption context of the capsule vectors (encrypt, decrypt, replay)."""

from __future__ import annotations

from typing import Any

from ._build import Handler, call
from ._enc import dec, det_bytes, hx, network

__all__ = ["BASE", "encrypt_args", "encrypt_with"]

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


def encrypt_args(**over: Any) -> dict[str, Any]:
    """BASE with some arguments replaced."""
    return {**BASE, **over}


def encrypt_with(handle: Handler, **over: Any) -> dict[str, Any]:
    """The capsule (shim object) the reference makes from BASE with `over` replaced."""
    capsule: dict[str, Any] = call(handle, "encrypt_capsule", encrypt_args(**over))["capsule"]
    return capsule
