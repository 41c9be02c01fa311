"""Generated cases for the key-hierarchy, configuration, SEP, encryption, token and RTT ops.

Each maker returns a `(kind, args)` pair; the expected outcome comes from the oracle.
Argument errors are one at a time (shim protocol: no case combines two of them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from conformance.generate._values import I64_MIN, Draw

__all__ = ["CORE_MAKERS"]

Made = tuple[str, dict[str, Any]]


def config_validate(d: Draw) -> Made:
    cfg = d.config()
    field, values = d.cycle(
        "field",
        (
            ("max_timestamp_drift", (0, 1, 604_799, 604_800, 604_801, 10**9)),
            ("allowed_versions", ([], [3], [0], [1, 2], [2], [1, 3])),
            ("aead_algorithm", ("AES256GCM", "AES128GCM", "CHACHA20POLY1305", "")),
            ("max_payload_bytes", (0, 1, 65_535, 65_536, 65_537)),
            ("max_fingerprint_bytes", (0, 1, 4095, 4096, 4097)),
        ),
    )
    if d.rng.random() < 0.2:
        return "valid", {"config": cfg}
    cfg[field] = d.cycle(field, values)
    return f"{field}", {"config": cfg}


def sep_hash(d: Draw) -> Made:
    sep = d.sep()
    if d.rng.random() < 0.5:
        return "random", {"sep": sep}
    limit = d.rng.choice((1, 2, 7, 16, 64, 4096))
    field = d.rng.choice(("cpu", "nic", "os", "build", "tpm_quote"))
    over = d.rng.random() < 0.5
    size = limit + 1 if over else limit
    if field == "tpm_quote":
        sep[field] = d.hexbytes(size)
    else:
        # multi-byte characters: the limit is on UTF-8 bytes, not characters
        chars = "é" * (size // 2) + "a" * (size % 2)
        sep[field] = chars
    for other in ("cpu", "nic", "os", "build"):
        if other != field and len(sep[other].encode()) > limit:
            sep[other] = ""
    if field != "tpm_quote" and sep["tpm_quote"] and len(sep["tpm_quote"]) // 2 > limit:
        sep["tpm_quote"] = None
    kind = "limit-plus-1" if over else "limit"
    return kind, {"sep": sep, "max_fingerprint_bytes": limit}


def derive_profile_key(d: Draw) -> Made:
    args = {"master_key": d.hexbytes(32), "env_hash": d.hexbytes(32), "server_profile_id": d.u64()}
    r = d.rng.random()
    if r < 0.08:
        args["master_key"] = d.hexbytes(d.rng.choice((0, 16, 31, 33, 64)))
        return "master-key-length", args
    if r < 0.14:
        args["env_hash"] = d.hexbytes(d.rng.choice((0, 31, 33)))
        return "env-hash-length", args
    return "random", args


def derive_session_key(d: Draw) -> Made:
    args: dict[str, Any] = {
        "profile_key": d.hexbytes(32),
        "tls_exporter_key": d.hexbytes(d.rng.choice((0, 1, 32, 32, 48, d.rng.randrange(0, 80)))),
        "client_nonce": d.hexbytes(12),
        "network_context": d.network(),
        "server_profile_id": d.u64(),
    }
    r = d.rng.random()
    if r < 0.06:
        args["profile_key"] = d.hexbytes(d.rng.choice((0, 31, 33)))
        return "profile-key-length", args
    if r < 0.12:
        args["client_nonce"] = d.hexbytes(d.rng.choice((0, 11, 13, 16)))
        return "nonce-length", args
    if r < 0.18:
        args["network_context"]["path_hint"] = 0
        return "path-hint-zero", args
    return "random", args


def encrypt_args(d: Draw) -> dict[str, Any]:
    """Valid encryption arguments (also the base of every decryption case)."""
    cfg = d.config()
    versions = cfg.get("allowed_versions", [1])
    return {
        "config": cfg,
        "version": d.rng.choice(versions),
        "header_id": d.u64(),
        "client_nonce": d.hexbytes(12),
        "server_profile_id": d.u64(),
        "network_context": d.network(),
        "env_hash": d.hexbytes(32),
        "session_key": d.hexbytes(32),
        "password": d.password(min(96, cfg.get("max_payload_bytes", 65_536))),
        "timestamp": str(d.timestamp()),
    }


def _encrypt_defect(d: Draw, args: dict[str, Any]) -> str:
    """Apply one rule violation (or an ordered pair of them) to valid encryption args."""
    cfg = args["config"]
    kind = d.cycle(
        "defect",
        (
            "version", "path-hint-zero", "config", "password-over-config", "timestamp-min",
            "nonce-length", "key-length", "env-hash-length", "order-path-then-config",
            "order-config-then-version", "order-version-then-length", "password-at-config",
        )
    )  # fmt: skip
    if kind in ("version", "order-version-then-length"):
        args["version"] = d.cycle("version", (2, 0, 3, 255))
        if args["version"] == 2:
            cfg["allowed_versions"] = [1]
    if kind in ("path-hint-zero", "order-path-then-config"):
        args["network_context"]["path_hint"] = 0
    if kind in ("config", "order-path-then-config", "order-config-then-version"):
        cfg["max_timestamp_drift"] = 604_801
    if kind == "order-config-then-version":
        args["version"] = 7
    if kind in ("password-over-config", "order-version-then-length", "password-at-config"):
        cfg["max_payload_bytes"] = limit = d.rng.choice((1, 16, 100))
        size = limit if kind == "password-at-config" else limit + 1
        args["password"] = d.hexbytes(size)
    if kind == "timestamp-min":
        args["timestamp"] = str(I64_MIN)
    if kind == "nonce-length":
        args["client_nonce"] = d.hexbytes(d.rng.choice((0, 11, 13)))
    if kind == "key-length":
        args["session_key"] = d.hexbytes(d.rng.choice((0, 31, 33)))
    if kind == "env-hash-length":
        args["env_hash"] = d.hexbytes(d.rng.choice((31, 33)))
    return kind


def encrypt_capsule(d: Draw) -> Made:
    args = encrypt_args(d)
    if d.cycle("split", (True, False)):
        return "random", args
    return _encrypt_defect(d, args), args


def session_token(d: Draw) -> Made:
    args = {"session_key": d.hexbytes(32), "client_nonce": d.hexbytes(12)}
    args["timestamp"] = str(d.timestamp())
    r = d.rng.random()
    if r < 0.05:
        args["session_key"] = d.hexbytes(d.rng.choice((0, 31, 33)))
        return "key-length", args
    if r < 0.1:
        args["client_nonce"] = d.hexbytes(d.rng.choice((0, 11, 13)))
        return "nonce-length", args
    if r < 0.13:
        args["timestamp"] = str(I64_MIN)
        return "timestamp-min", args
    return "random", args


def _near_half(mean_ms: float) -> bool:
    x = mean_ms / 5.0
    return abs((x - math.floor(x)) - 0.5) < 1e-6


def rtt_bucket(d: Draw) -> Made:
    r = d.rng.random()
    if r < 0.35:
        # an exact half bucket: Rust's round goes away from zero, Python's round to even
        bucket = d.rng.choice((0, 1, 2, 3, 4, 50, 253, 254, 255, d.rng.randrange(0, 300)))
        mean = bucket * 5.0 + 2.5
        spread = d.rng.choice((0.0, 0.5, 1.0, 2.0))
        samples = [mean - spread, mean + spread, mean - spread / 2, mean + spread / 2]
        return "half-bucket", {"samples_ms": samples}
    if r < 0.45:
        mean = d.rng.choice((1275.0, 1277.4, 1300.0, 5000.0, 1e6))
        return "clamp", {"samples_ms": [mean] * 4}
    while True:
        samples = [round(d.rng.uniform(0.0, 400.0), 3) for _ in range(4)]
        if not _near_half(sum(samples) / 4):
            return "random", {"samples_ms": samples}


CORE_MAKERS: dict[str, Callable[[Draw], Made]] = {
    "config_validate": config_validate,
    "sep_hash": sep_hash,
    "derive_profile_key": derive_profile_key,
    "derive_session_key": derive_session_key,
    "encrypt_capsule": encrypt_capsule,
    "session_token": session_token,
    "rtt_bucket": rtt_bucket,
}
