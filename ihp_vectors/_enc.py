"""Shim-protocol value encodings (spec/shim-protocol.md, value encodings) for the generators."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

__all__ = [
    "I64_MAX",
    "I64_MIN",
    "U64_MAX",
    "CapsuleFields",
    "capsule_obj",
    "dec",
    "det_bytes",
    "det_int",
    "hx",
    "network",
]

I64_MIN = -(2**63)
I64_MAX = 2**63 - 1
U64_MAX = 2**64 - 1


def hx(data: bytes) -> str:
    """Bytes as lowercase hex."""
    return data.hex()


def dec(value: int) -> str:
    """A 64-bit integer as a decimal string (signed for timestamps)."""
    return str(value)


def network(rtt_bucket: int = 5, path_hint: int = 120) -> dict[str, int]:
    return {"rtt_bucket": rtt_bucket, "path_hint": path_hint}


@dataclass(frozen=True)
class CapsuleFields:
    version: int
    header_id: int
    client_nonce: bytes
    server_profile_id: int
    rtt_bucket: int
    path_hint: int
    payload: bytes


def capsule_obj(c: CapsuleFields) -> dict[str, Any]:
    """The shim `capsule` object."""
    return {
        "version": c.version,
        "header_id": dec(c.header_id),
        "client_nonce": hx(c.client_nonce),
        "server_profile_id": dec(c.server_profile_id),
        "network_context": network(c.rtt_bucket, c.path_hint),
        "payload": hx(c.payload),
    }


def det_bytes(label: str, length: int) -> bytes:
    """`length` pseudorandom bytes fixed by `label` (SHA-256 in counter mode): stable across
    Python versions and platforms, unlike `random`."""
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"{label}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:length])


def det_int(label: str, bits: int) -> int:
    """A pseudorandom unsigned integer of `bits` bits fixed by `label`."""
    return int.from_bytes(det_bytes(label, (bits + 7) // 8), "little") % (1 << bits)
