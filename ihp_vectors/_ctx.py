"""The shared encryption context of the capsule vectors (encrypt, decrypt, replay)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._build import Handler, Row, call
from ._enc import dec, det_bytes, hx, network

__all__ = [
    "BASE",
    "BASE_TIMESTAMP",
    "ENV_HASH_LENGTH_ROWS",
    "SESSION_KEY_LENGTH_ROWS",
    "encrypt_with",
    "version_not_allowed_rows",
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

# the step-0 rows encryption and decryption share: both take a session key and an env hash
SESSION_KEY_LENGTH_ROWS: tuple[Row, ...] = (
    Row(
        tc="key-length/0",
        comment="an empty session key",
        args={"session_key": ""},
        error="KeyLength",
        rules=("6.key-length",),
    ),
    Row(
        tc="key-length/31",
        comment="a 31-byte session key",
        args={"session_key": hx(bytes(31))},
        error="KeyLength",
        rules=("6.key-length",),
    ),
    Row(
        tc="key-length/33",
        comment="a 33-byte session key",
        args={"session_key": hx(bytes(33))},
        error="KeyLength",
        rules=("6.key-length",),
    ),
)
ENV_HASH_LENGTH_ROWS: tuple[Row, ...] = (
    Row(
        tc="env-hash-length/31",
        comment="a 31-byte env hash",
        args={"env_hash": hx(bytes(31))},
        error="Codec",
    ),
    Row(
        tc="env-hash-length/33",
        comment="a 33-byte env hash",
        args={"env_hash": hx(bytes(33))},
        error="Codec",
    ),
)


def encrypt_with(handle: Handler, replaced: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The capsule (shim object) the reference makes from BASE with `replaced` arguments."""
    args = {**BASE, **(replaced or {})}
    capsule: dict[str, Any] = call(handle, "encrypt_capsule", args)["capsule"]
    return capsule


# (version, config, comment): a version the config does not allow
_VERSIONS_NOT_ALLOWED: tuple[tuple[int, dict[str, Any], str], ...] = (
    (2, {}, "version 2, default allow-list [1]"),
    (0, {}, "version 0, unknown"),
    (3, {}, "version 3, unknown"),
    (255, {}, "version 255, unknown"),
    (1, {"allowed_versions": [2]}, "version 1, allowed [2]"),
    (3, {"allowed_versions": [1, 2]}, "version 3, allowed [1, 2]"),
)


def version_not_allowed_rows(
    step: str, versioned: Callable[[int], dict[str, Any]]
) -> tuple[Row, ...]:
    """The InvalidVersion rows of encryption (step 7.4.3) and decryption (7.5.2):
    `versioned(v)` gives the arguments that carry version `v`."""

    def allowed(config: dict[str, Any]) -> str:
        return "-".join(str(v) for v in config.get("allowed_versions", [1]))

    return tuple(
        Row(
            tc=f"version/{version}-not-in-{allowed(config)}",
            comment=f"{comment} (step {step.rsplit('.', 1)[1]})",
            args={**versioned(version), "config": config},
            error="InvalidVersion",
            flags=("VersionNotAllowed",),
            rules=(step, "4.versions-range"),
        )
        for version, config, comment in _VERSIONS_NOT_ALLOWED
    )
