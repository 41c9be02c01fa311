"""Capsules whose plaintext breaks spec §7.3 but still authenticates (decrypt steps 5 and 6).

The reference's encryption cannot produce them (it validates its inputs), so the generator
seals hand-built plaintexts itself: AES-256-GCM from pyca/cryptography with the spec §7.2 AAD.
Which error such a capsule provokes is still decided by the spec and confirmed by the
reference when the vector is generated.
"""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ._enc import CapsuleFields

__all__ = ["plaintext", "seal_plaintext"]

_AAD_DOMAIN = b"IHP_CAPSULE_AAD:v1"  # spec §3


def plaintext(
    password: bytes, timestamp: int, header_id: int, declared: int | None = None, tail: bytes = b""
) -> bytes:
    """spec §7.3 layout, with an optional lying length prefix and extra trailing bytes."""
    length = len(password) if declared is None else declared
    return struct.pack("<I", length) + password + struct.pack("<qQ", timestamp, header_id) + tail


def seal_plaintext(key: bytes, env_hash: bytes, fields: CapsuleFields, pt: bytes) -> bytes:
    """The payload sealing `pt` under the AAD of `fields` (spec §7.2)."""
    aad = (
        _AAD_DOMAIN
        + struct.pack(
            "<BQBH", fields.version, fields.server_profile_id, fields.rtt_bucket, fields.path_hint
        )
        + env_hash
    )
    return AESGCM(key).encrypt(fields.client_nonce, pt, aad)
