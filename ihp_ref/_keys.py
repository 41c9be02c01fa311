"""Key providers and the key hierarchy (spec §6)."""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ._constants import LABEL_PROFILE, LABEL_SESSION
from ._primitives import hkdf_sha256
from ._values import (
    ClientNonce,
    IhpNetworkContext,
    MasterKey,
    ProfileKey,
    ServerEnvHash,
    ServerProfileId,
    SessionKey,
    check_bytes,
)

__all__ = [
    "InMemoryKeyProvider",
    "KeyRing",
    "MasterKeyProvider",
    "derive_profile_key",
    "derive_session_key",
]

_SESSION_CONTEXT = struct.Struct("<BHQ")  # u8(rtt_bucket) ‖ u16le(path_hint) ‖ u64le(id)


class MasterKeyProvider(Protocol):
    """A source of K_master: in memory, HSM/KMS-wrapped, or a ring (spec §6)."""

    def master_key(self) -> MasterKey:
        """A fresh copy per call; the caller may wipe it."""
        ...


class InMemoryKeyProvider:
    """K_master held in memory (32 bytes, else `KeyLength`)."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes | bytearray) -> None:
        self._key = MasterKey(key)

    @classmethod
    def from_hsm_wrapped(
        cls, wrapped: bytes, unwrap: Callable[[bytes], bytes | bytearray]
    ) -> InMemoryKeyProvider:
        """Unwrap once through the HSM/KMS callback; only the unwrapped key is held."""
        return cls(unwrap(wrapped))

    def master_key(self) -> MasterKey:
        return MasterKey(self._key._buffer)

    def __repr__(self) -> str:
        return "InMemoryKeyProvider(<redacted>)"


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The current master key and previous ones with the Unix second their transition
    window closes. Encryption uses `current`; decryption may try the open ones."""

    current: MasterKeyProvider
    previous: Sequence[tuple[MasterKeyProvider, int]] = ()

    def master_key(self) -> MasterKey:
        return self.current.master_key()

    def decryption_providers(self, now: int) -> list[MasterKeyProvider]:
        """The current provider, then each previous one whose window is open at `now`."""
        return [self.current, *(p for p, closes_at in self.previous if now <= closes_at)]

    def rotated(self, new_current: MasterKeyProvider, window_closes_at: int) -> KeyRing:
        """A planned rotation: the old current key stays open until `window_closes_at`."""
        return KeyRing(new_current, ((self.current, window_closes_at), *self.previous))


def derive_profile_key(
    master: MasterKeyProvider | MasterKey,
    server_profile_id: ServerProfileId,
    env_hash: ServerEnvHash,
) -> ProfileKey:
    """K_profile = HKDF(salt = ServerEnvHash, ikm = K_master, info = LABEL_PROFILE).

    `server_profile_id` is deliberately not an input (spec §6): two ids on one SEP and
    master key share a profile key; the id is bound into K_session and the AAD instead.
    """
    del server_profile_id
    key = master if isinstance(master, MasterKey) else master.master_key()
    return ProfileKey._derived(hkdf_sha256(env_hash.value, key._buffer, LABEL_PROFILE))


def derive_session_key(
    profile_key: ProfileKey,
    tls_exporter_key: bytes,
    client_nonce: ClientNonce,
    network_context: IhpNetworkContext,
    server_profile_id: ServerProfileId,
) -> SessionKey:
    """K_session = HKDF(salt = K_profile, ikm = tls_exporter_key, info = …) (spec §6).

    The network context is validated first (a zero path hint → `Codec`).
    """
    network_context.check()  # spec §7.1, checked before deriving (spec §6)
    exporter = check_bytes(tls_exporter_key, "tls_exporter_key")
    # info = LABEL_SESSION ‖ nonce(12) ‖ u8(rtt) ‖ u16le(path) ‖ u64le(profile id)
    info = LABEL_SESSION + client_nonce.value + _SESSION_CONTEXT.pack(
        network_context.rtt_bucket, network_context.path_hint, server_profile_id.value)
    return SessionKey._derived(hkdf_sha256(bytes(profile_key._buffer), exporter, info))
