"""Generated decryption cases: capsules made by the reference, then mutated.

Every field of the capsule and of the decryption inputs is mutated in turn (single bits of
ciphertext and tag, truncations, extensions, drift edges, ordered pairs of failures for the
check order of spec §7.5). Plaintexts that no encryptor would produce (short, bad length,
`I64_MIN` timestamp) are sealed here with AES-GCM over the spec's associated data: they
authenticate, so they reach the post-AEAD checks. The expected outcome of every mutant is
the reference's.
"""

from __future__ import annotations

import copy
import struct
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from conformance.generate._core import encrypt_args
from conformance.generate._oracle import Oracle
from conformance.generate._values import I64_MAX, I64_MIN, U64_MAX, Draw

__all__ = ["decrypt_case", "decrypt_inputs", "seal_plaintext"]

_AAD_DOMAIN = b"IHP_CAPSULE_AAD:v1"


def seal_plaintext(args: dict[str, Any], capsule: dict[str, Any], plaintext: bytes) -> str:
    """AES-256-GCM over spec §7.2's associated data: a payload that authenticates."""
    net = capsule["network_context"]
    aad = (
        _AAD_DOMAIN
        + struct.pack("<BQBH", capsule["version"], int(capsule["server_profile_id"]),
                      net["rtt_bucket"], net["path_hint"])
        + bytes.fromhex(args["env_hash"])
    )  # fmt: skip
    key = bytes.fromhex(args["session_key"])
    return AESGCM(key).encrypt(bytes.fromhex(capsule["client_nonce"]), plaintext, aad).hex()


def decrypt_inputs(
    d: Draw, oracle: Oracle, enc: dict[str, Any] | None = None
) -> tuple[dict[str, Any], int]:
    """A reference capsule, the inputs that decrypt it (now within the drift window), and
    its timestamp."""
    enc = enc if enc is not None else encrypt_args(d)
    capsule = oracle.result("encrypt_capsule", enc)["capsule"]
    drift = enc["config"].get("max_timestamp_drift", 300)
    ts = int(enc["timestamp"])
    now = min(max(ts + d.rng.randint(-drift, drift), I64_MIN + 1), I64_MAX)
    args = {
        "config": copy.deepcopy(enc["config"]),
        "capsule": capsule,
        "env_hash": enc["env_hash"],
        "session_key": enc["session_key"],
        "now": str(now),
    }
    return args, ts


def _flip(hex_text: str, bit: int) -> str:
    raw = bytearray.fromhex(hex_text)
    raw[bit // 8] ^= 1 << (bit % 8)
    return raw.hex()


def _stale(a: dict[str, Any], ts: int, d: Draw) -> None:
    drift = a["config"].get("max_timestamp_drift", 300)
    sign = d.rng.choice((-1, 1))
    now = ts + sign * (drift + d.rng.choice((1, 2, 1000)))
    if not I64_MIN < now <= I64_MAX:
        now = ts - sign * (drift + 1)
    a["now"] = str(now)


def _stale_kind(a: dict[str, Any], ts: int, d: Draw) -> str:
    _stale(a, ts, d)
    return "stale"


# -- one mutator per field or rule; each returns the kind name ----------------------------


def _drift_edge(a: dict[str, Any], d: Draw, ts: int) -> str:
    drift = a["config"].get("max_timestamp_drift", 300)
    delta = d.rng.choice((drift, -drift, drift + 1, -drift - 1))
    if not I64_MIN < ts + delta <= I64_MAX:
        delta = -delta
    a["now"] = str(ts + delta)
    return "drift-edge"


def _version(a: dict[str, Any], d: Draw) -> str:
    cap = a["capsule"]
    cap["version"] = d.rng.choice([v for v in (0, 1, 2, 3, 255) if v != cap["version"]])
    return "version"


def _header_id(a: dict[str, Any], d: Draw) -> str:
    cap = a["capsule"]
    old = int(cap["header_id"])
    new = d.rng.choice(((old + 1) % (U64_MAX + 1), old ^ (1 << d.rng.randrange(64)), 0))
    cap["header_id"] = str(new if new != old else (old + 1) % (U64_MAX + 1))
    return "header-id"


def _nonce(a: dict[str, Any], d: Draw) -> str:
    cap = a["capsule"]
    if d.rng.random() < 0.3:
        cap["client_nonce"] = d.hexbytes(d.rng.choice((0, 11, 13)))
        return "nonce-length"
    cap["client_nonce"] = _flip(cap["client_nonce"], d.rng.randrange(96))
    return "nonce-bit"


def _profile_id(a: dict[str, Any], d: Draw) -> str:
    cap = a["capsule"]
    old = int(cap["server_profile_id"])
    cap["server_profile_id"] = str(old ^ (1 << d.rng.randrange(64)))
    return "profile-id"


def _network(a: dict[str, Any], d: Draw) -> str:
    net = a["capsule"]["network_context"]
    if d.rng.random() < 0.5:
        net["rtt_bucket"] ^= 1 << d.rng.randrange(8)
        return "rtt-bucket"
    r = d.rng.random()
    net["path_hint"] = 0 if r < 0.4 else (net["path_hint"] ^ (1 << d.rng.randrange(16))) or 1
    return "path-hint-zero" if r < 0.4 else "path-hint"


def _payload(a: dict[str, Any], d: Draw) -> str:
    cap = a["capsule"]
    payload = bytes.fromhex(cap["payload"])
    r = d.rng.random()
    if r < 0.3:
        cap["payload"] = _flip(cap["payload"], d.rng.randrange((len(payload) - 16) * 8 or 1))
        return "payload-bit" if len(payload) > 16 else "tag-bit"
    if r < 0.55:
        cap["payload"] = _flip(cap["payload"], (len(payload) - 16) * 8 + d.rng.randrange(128))
        return "tag-bit"
    if r < 0.8:
        cut = d.rng.choice((0, 1, 15, 16, 19, len(payload) - 1, d.rng.randrange(len(payload))))
        cap["payload"] = payload[: max(0, min(cut, len(payload) - 1))].hex()
        return "truncate"
    cap["payload"] = (payload + d.rng.randbytes(d.rng.choice((1, 2, 16)))).hex()
    return "extend"


def _keys(a: dict[str, Any], d: Draw) -> str:
    r = d.rng.random()
    if r < 0.35:
        a["env_hash"] = _flip(a["env_hash"], d.rng.randrange(256))
        return "env-hash-bit"
    if r < 0.7:
        a["session_key"] = _flip(a["session_key"], d.rng.randrange(256))
        return "session-key-bit"
    if r < 0.85:
        a["session_key"] = d.hexbytes(d.rng.choice((0, 31, 33)))
        return "key-length"
    a["env_hash"] = d.hexbytes(d.rng.choice((31, 33)))
    return "env-hash-length"


def _config(a: dict[str, Any], d: Draw) -> str:
    cfg = a["config"]
    r = d.rng.random()
    if r < 0.4:
        field, value = d.rng.choice(
            (("max_timestamp_drift", 604_801), ("max_payload_bytes", 0),
             ("max_payload_bytes", 65_537), ("allowed_versions", []),
             ("aead_algorithm", "AES128GCM"), ("max_fingerprint_bytes", 4097))
        )  # fmt: skip
        cfg[field] = value
        return "config-invalid"
    if r < 0.7:
        cfg["allowed_versions"] = [3 - a["capsule"]["version"]] if a["capsule"]["version"] in (
            1, 2) else [1]  # fmt: skip
        return "version-not-allowed"
    cfg["max_payload_bytes"] = d.rng.choice((1, 4, 16))
    return "payload-over-config"


def _now(a: dict[str, Any], d: Draw) -> str:
    a["now"] = d.rng.choice((str(I64_MIN), str(I64_MAX + 1), str(I64_MIN - 1), "1" + "0" * 30))
    return "now-invalid"


_ORDER_PAIRS = ("header-then-stale", "tag-then-stale", "version-then-path", "path-then-tag",
                "config-then-version", "tag-then-header")  # fmt: skip
_CRAFTED = ("short", "length-over", "length-under", "length-over-config", "timestamp-min",
            "timestamp-min-and-header", "valid")  # fmt: skip


def _order(a: dict[str, Any], d: Draw, ts: int, pair: str) -> str:
    """Two failures at once: the earlier check of spec §7.5 must win."""
    cap = a["capsule"]
    if pair in ("header-then-stale", "tag-then-header"):
        _header_id(a, d)
    if pair in ("header-then-stale", "tag-then-stale"):
        _stale(a, ts, d)
    if pair in ("tag-then-stale", "path-then-tag", "tag-then-header"):
        cap["payload"] = _flip(cap["payload"], d.rng.randrange(len(cap["payload"]) * 4))
    if pair in ("version-then-path", "path-then-tag"):
        cap["network_context"]["path_hint"] = 0
    if pair in ("version-then-path", "config-then-version"):
        cap["version"] = d.rng.choice((0, 3, 200))
    if pair == "config-then-version":
        a["config"]["allowed_versions"] = []
    return f"order-{pair}"


def _crafted(a: dict[str, Any], d: Draw, kind: str) -> str:
    """Authentic payloads around a plaintext no encryptor makes (spec §7.5 steps 5-7)."""
    cap = a["capsule"]
    header = int(cap["header_id"])
    ts = int(a["now"])
    pw = d.rng.randbytes(d.rng.randrange(0, 40))
    declared = len(pw)
    if kind == "length-over":
        declared += d.rng.choice((1, 2, 1000))
    elif kind == "length-under":
        declared = max(0, declared - 1) if declared else 1
    elif kind == "length-over-config":
        a["config"]["max_payload_bytes"] = max(1, len(pw) - 1) if pw else 1
        pw = pw or b"x" * 2
        declared = len(pw)
    if kind.startswith("timestamp-min"):
        ts = I64_MIN
    if kind == "timestamp-min-and-header":
        header ^= 1
    plaintext = struct.pack("<I", declared) + pw + struct.pack("<qQ", ts, header)
    if kind == "short":
        plaintext = plaintext[: d.rng.randrange(0, 20)]
    cap["payload"] = seal_plaintext(a, cap, plaintext)
    return f"plaintext-{kind}"


def _extreme(d: Draw, oracle: Oracle) -> tuple[str, dict[str, Any]]:
    """Drift arithmetic at the ends of i64 (spec §15 DriftOverflow): exact, never wrapped."""
    enc = encrypt_args(d)
    enc["config"]["max_timestamp_drift"] = d.rng.choice((300, 604_800))
    ts, now = d.cycle(
        "extreme-pair",
        ((-1, I64_MAX), (I64_MAX, -1), (I64_MIN + 1, 0), (I64_MAX, I64_MIN + 1),
         (I64_MIN + 1, I64_MAX), (0, I64_MIN + 1), (I64_MAX, I64_MAX - 300),
         (I64_MIN + 1, I64_MIN + 301))
    )  # fmt: skip
    enc["timestamp"] = str(ts)
    a, _ = decrypt_inputs(d, oracle, enc)
    a["now"] = str(now)
    drift = enc["config"]["max_timestamp_drift"]
    wraps = abs(now - ts) > drift and _wrapping_abs(now - ts) <= drift
    return "drift-extreme-wraps" if wraps else "drift-extreme", a


def _wrapping_abs(diff: int) -> int:
    """`diff.abs()` of an i64 subtraction in a Rust release build (both steps wrap)."""
    wrapped = (diff + 2**63) % 2**64 - 2**63
    return (abs(wrapped) + 2**63) % 2**64 - 2**63


def decrypt_case(d: Draw, oracle: Oracle) -> tuple[str, dict[str, Any]]:
    """One generated decryption: (kind, args)."""
    if d.cycle("extreme", (False,) * 11 + (True,)):
        return _extreme(d, oracle)
    a, ts = decrypt_inputs(d, oracle)
    mutators: tuple[Callable[[], str], ...] = (
        lambda: "roundtrip",
        lambda: _drift_edge(a, d, ts),
        lambda: _stale_kind(a, ts, d),
        lambda: _version(a, d),
        lambda: _header_id(a, d),
        lambda: _nonce(a, d),
        lambda: _profile_id(a, d),
        lambda: _network(a, d),
        lambda: _payload(a, d),
        lambda: _payload(a, d),
        lambda: _keys(a, d),
        lambda: _config(a, d),
        lambda: _now(a, d),
        *(lambda pair=pair: _order(a, d, ts, pair) for pair in _ORDER_PAIRS),
        *(lambda kind=kind: _crafted(a, d, kind) for kind in _CRAFTED),
    )
    return d.cycle("mutator", mutators)(), a
