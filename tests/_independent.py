"""A second code path for the reference's known answers: PyCryptodome's HKDF and
AES-GCM and byte layouts written here from the spec text, sharing no code with ihp_ref."""

from __future__ import annotations

import struct

from blake3 import blake3
from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF

__all__ = ["binary_form", "hkdf", "profile_key", "seal", "sep_hash", "session_key"]


def hkdf(salt: bytes | None, ikm: bytes, info: bytes) -> bytes:
    return HKDF(ikm, 32, salt if salt is not None else bytes(32), SHA256, context=info)


def sep_hash(cpu: str, nic: str, os_: str, build: str, quote: bytes | None) -> bytes:
    q = b"\x00" if quote is None else b"\x01" + quote
    parts = [cpu.encode(), nic.encode(), os_.encode(), build.encode()]
    return blake3(b"".join(p + b"\x00" for p in parts) + q).digest()


def profile_key(master: bytes, env_hash: bytes) -> bytes:
    return hkdf(env_hash, master, b"IHP_PROFILE_KEY:v1")


def session_key(k_profile: bytes, exporter: bytes, nonce: bytes, rtt: int, path: int,
                profile_id: int) -> bytes:
    info = b"IHP_SESSION_KEY:v1" + nonce + bytes([rtt]) + path.to_bytes(2, "little") \
        + profile_id.to_bytes(8, "little")
    return hkdf(k_profile, exporter, info)


def seal(key: bytes, nonce: bytes, version: int, profile_id: int, rtt: int, path: int,
         env_hash: bytes, password: bytes, timestamp: int, header_id: int) -> bytes:
    aad = (b"IHP_CAPSULE_AAD:v1" + bytes([version]) + profile_id.to_bytes(8, "little")
           + bytes([rtt]) + path.to_bytes(2, "little") + env_hash)
    plaintext = (len(password).to_bytes(4, "little") + password
                 + timestamp.to_bytes(8, "little", signed=True) + header_id.to_bytes(8, "little"))
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
    cipher.update(aad)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext)
    return ciphertext + tag


def binary_form(version: int, header_id: int, nonce: bytes, profile_id: int, rtt: int,
                path: int, payload: bytes) -> bytes:
    return struct.pack("<BQ", version, header_id) + nonce + struct.pack(
        "<QBHQ", profile_id, rtt, path, len(payload)) + payload
