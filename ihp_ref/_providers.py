"""Sources of K_master (spec §6): in memory, unwrapped once from an HSM/KMS, and the
ring a key rotation keeps (the runbook's planned rotation). No shim operation reaches this
module: a shim is handed keys; the key ring's tests and the HTTP suite pin it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ._values import MasterKey

__all__ = ["InMemoryKeyProvider", "KeyRing", "MasterKeyProvider"]


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
