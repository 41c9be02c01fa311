"""Cryptographic primitives of spec §2: HKDF-SHA256 and BLAKE3.

AES-256-GCM (SEAL and OPEN) is the session key's own: `SessionKey.cipher()` (`_values.py`)
makes the context once per key, and `_capsule.py` calls it.
"""

from __future__ import annotations

from blake3 import blake3 as _blake3
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ._constants import KEY_BYTES

__all__ = ["blake3_256", "hkdf_sha256"]

_ZERO_SALT = bytes(32)  # RFC 5869 §2.2: an absent salt is HashLen zero bytes
_SHA256 = SHA256()  # an immutable algorithm descriptor: made once


def hkdf_sha256(salt: bytes | None, ikm: bytes | bytearray, info: bytes) -> bytes:
    """HKDF-SHA256, 32-byte output (spec §2)."""
    kdf = HKDF(_SHA256, KEY_BYTES, _ZERO_SALT if salt is None else salt, info)
    return kdf.derive(ikm)


def blake3_256(message: bytes) -> bytes:
    """BLAKE3 default hash mode, 32-byte output (spec §2)."""
    return _blake3(message).digest()
