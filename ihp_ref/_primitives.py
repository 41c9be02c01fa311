"""Cryptographic primitives of spec §2: HKDF-SHA256, AES-256-GCM, BLAKE3."""

from __future__ import annotations

from blake3 import blake3 as _blake3
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ._constants import KEY_BYTES

__all__ = ["InvalidTag", "aead_open", "aead_seal", "blake3_256", "hkdf_sha256"]

_ZERO_SALT = bytes(32)  # RFC 5869 §2.2: an absent salt is HashLen zero bytes
_SHA256 = SHA256()  # an immutable algorithm descriptor: made once


def hkdf_sha256(salt: bytes | None, ikm: bytes | bytearray, info: bytes) -> bytes:
    """HKDF-SHA256, 32-byte output (spec §2)."""
    kdf = HKDF(_SHA256, KEY_BYTES, _ZERO_SALT if salt is None else salt, info)
    return kdf.derive(ikm)


def aead_seal(key: bytes, nonce: bytes, aad: bytes, plaintext: bytes) -> bytes:
    """AES-256-GCM: ciphertext ‖ 16-byte tag (spec §2 SEAL)."""
    return AESGCM(key).encrypt(nonce, plaintext, aad)


def aead_open(key: bytes, nonce: bytes, aad: bytes, ciphertext: bytes) -> bytes:
    """AES-256-GCM decryption (spec §2 OPEN); raises `InvalidTag` on any failure."""
    return AESGCM(key).decrypt(nonce, ciphertext, aad)


def blake3_256(message: bytes) -> bytes:
    """BLAKE3 default hash mode, 32-byte output (spec §2)."""
    return _blake3(message).digest()
