"""Defects of the capsule (spec §7) and of the replay guard (spec §13)."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from conformance.mutants._kit import (
    Args,
    DecryptRules,
    Handler,
    MutantSession,
    Wrapper,
    aad_spec,
    decrypt,
    fail,
    plaintext_spec,
    reseal,
)

__all__ = [
    "SPEC",
    "aad_no_env_hash",
    "aad_nul_terminated",
    "aad_profile_id_be",
    "collision_as_reuse",
    "decrypt_without_guard",
    "decrypting",
    "encrypt_ignores_allowed_v2",
    "encrypt_payload_limit_inclusive",
    "guard_expires_early",
    "guard_keyed_by_nonce",
    "guard_records_failures",
    "pair",
    "parse_no_total_check",
    "parse_timestamp_be",
    "pt_timestamp_be",
    "wrapping_drift",
]

I64 = 2**64  # i64 arithmetic wraps modulo 2^64


def decrypting(rules: DecryptRules) -> Wrapper:
    return lambda s, ref, a: decrypt(s, a, rules)


SPEC = DecryptRules()


# ---------------------------------------------------------------- capsule crypto


def aad_no_env_hash(capsule: Mapping[str, Any], env_hash: bytes) -> bytes:
    return aad_spec(capsule, env_hash)[:-32]


def aad_profile_id_be(capsule: Mapping[str, Any], env_hash: bytes) -> bytes:
    ad = bytearray(aad_spec(capsule, env_hash))
    ad[19:27] = struct.pack(">Q", int(capsule["server_profile_id"]))
    return bytes(ad)


def aad_nul_terminated(capsule: Mapping[str, Any], env_hash: bytes) -> bytes:
    ad = aad_spec(capsule, env_hash)
    return ad[:18] + b"\x00" + ad[18:]


def pt_timestamp_be(password: bytes, ts: int, header: int) -> bytes:
    return (
        struct.pack("<I", len(password))
        + password
        + struct.pack(">q", ts)
        + struct.pack("<Q", header)
    )


def parse_timestamp_be(plaintext: bytes, max_payload: int) -> tuple[bytes, int, bytes]:
    password, _, embedded = SPEC.parse(plaintext, max_payload)
    (ts,) = struct.unpack_from(">q", plaintext, 4 + len(password))
    return password, ts, embedded


def parse_no_total_check(plaintext: bytes, max_payload: int) -> tuple[bytes, int, bytes]:
    if len(plaintext) < 20:
        raise fail("Codec")
    (declared,) = struct.unpack_from("<I", plaintext)
    if declared > max_payload or len(plaintext) < 4 + declared + 16:
        raise fail("Codec")  # "at least" instead of "exactly": trailing bytes slip through
    (ts,) = struct.unpack_from("<q", plaintext, 4 + declared)
    return plaintext[4 : 4 + declared], ts, plaintext[4 + declared + 8 : 4 + declared + 16]


def pair(aad: Any = aad_spec, pt: Any = plaintext_spec, **rules: Any) -> dict[str, Wrapper]:
    """Encryption and decryption sharing one defect (self-consistent, like a real bug)."""
    dec = replace(SPEC, aad=aad, **rules)
    return {
        "encrypt_capsule": lambda s, ref, a: reseal(ref, a, aad=aad, plaintext=pt),
        "decrypt_capsule": decrypting(dec),
    }


def wrapping_drift(now: int, ts: int, max_drift: int) -> bool:
    """Rust release build: `(now - ts).abs()` in i64, wrapping (spec §15 DriftOverflow)."""
    diff = (now - ts) % I64
    diff = diff - I64 if diff >= 2**63 else diff
    magnitude = abs(diff) % I64
    magnitude = magnitude - I64 if magnitude >= 2**63 else magnitude
    return magnitude <= max_drift


def encrypt_payload_limit_inclusive(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    result = ref(a)
    limit = (a.get("config") or {}).get("max_payload_bytes", 65_536)
    if len(a["password"]) // 2 >= limit:  # `>=` where the spec says `>`
        raise fail("Codec")
    return result


def encrypt_ignores_allowed_v2(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    if a.get("version") == 2:  # "v2 is the same crypto": skip the allowed_versions check
        cfg = dict(a.get("config") or {})
        cfg["allowed_versions"] = [1, 2]
        a = {**a, "config": cfg}
    return ref(a)


# ---------------------------------------------------------------- replay guard


def _unguarded(a: Args) -> dict[str, Any]:
    """The request without its replay guard (name and capacity): the mutant keeps its own."""
    return {k: v for k, v in a.items() if k not in ("replay_guard", "replay_guard_capacity")}


def decrypt_without_guard(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    return ref(_unguarded(a))


def collision_as_reuse(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    try:
        return ref(a)
    except Exception as exc:
        if getattr(getattr(exc, "code", None), "value", None) == "NonceCollision":
            raise fail("NonceReuse") from None
        raise


def _own_guard(s: MutantSession, a: Args, key: tuple[Any, ...]) -> None:
    seen = s.state.setdefault(str(a.get("replay_guard")), {})
    digest = hashlib.sha256(bytes.fromhex(a["capsule"]["payload"])).digest()
    if key in seen:
        raise fail("NonceReuse" if seen[key] == digest else "NonceCollision")
    seen[key] = digest


def guard_records_failures(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    """Records the nonce before decrypting: a failed decryption poisons the guard."""
    if a.get("replay_guard") is None:
        return ref(a)
    cap = a["capsule"]
    _own_guard(s, a, (cap["server_profile_id"], cap["client_nonce"]))
    return ref(_unguarded(a))


def guard_keyed_by_nonce(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    """Forgets the profile id in the guard key (spec §13: (server_profile_id, nonce))."""
    if a.get("replay_guard") is None:
        return ref(a)
    result = ref(_unguarded(a))
    _own_guard(s, a, (a["capsule"]["client_nonce"],))
    return result


def guard_expires_early(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    """Drops an entry when now >= ts + window: the spec keeps it while now <= ts + window."""
    if a.get("replay_guard") is None:
        return ref(a)
    result = ref(_unguarded(a))
    now, ts = int(a["now"]), int(result["timestamp"])
    window = (a.get("config") or {}).get("max_timestamp_drift", 300)
    entries = s.state.setdefault(str(a["replay_guard"]), {})
    for key in [k for k, (_, expires) in entries.items() if expires <= now]:
        del entries[key]
    cap = a["capsule"]
    key = (cap["server_profile_id"], cap["client_nonce"])
    digest = hashlib.sha256(bytes.fromhex(cap["payload"])).digest()
    if key in entries:
        raise fail("NonceReuse" if entries[key][0] == digest else "NonceCollision")
    entries[key] = (digest, ts + window)
    return result
