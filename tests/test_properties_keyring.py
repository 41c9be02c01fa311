"""Key-ring rotation as a state machine (spec §6 rotation, §13), against a model.

A server that tries `ring.decryption_providers(now)` in order opens a capsule sealed
under an old master key while that key's transition window is open (`now <= closes_at`),
never after; encryption always uses the current key; a replay is `NonceReuse` and a
reused nonce with another payload `NonceCollision`, whichever key sealed them.
Profiles: IHP_HYPOTHESIS_PROFILE=ci (default) or nightly.
"""

from __future__ import annotations

import hashlib

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

import ihp_ref

ENV = ihp_ref.ServerEnvHash(b"\x42" * 32)
PROFILE_ID = ihp_ref.ServerProfileId(1)
NETWORK = ihp_ref.IhpNetworkContext(5, 120)
EXPORTER = b"tls exporter key material"
CONFIG = ihp_ref.IhpConfig(max_timestamp_drift=604_800)  # steps stay far inside it
NONCES = [bytes([n]) * 12 for n in (1, 2, 3)]
START = 1_700_000_000


def _session_key(provider: ihp_ref.MasterKeyProvider, nonce: bytes) -> ihp_ref.SessionKey:
    profile_key = ihp_ref.derive_profile_key(provider, PROFILE_ID, ENV)
    return ihp_ref.derive_session_key(profile_key, EXPORTER, ihp_ref.ClientNonce(nonce),
                                      NETWORK, PROFILE_ID)


class KeyRingMachine(RuleBasedStateMachine):
    sealed = Bundle("sealed")

    def __init__(self) -> None:
        super().__init__()
        self.generation = 0
        self.ring = ihp_ref.KeyRing(self._provider())
        self.windows: dict[int, int | None] = {0: None}  # generation → closes_at (None: current)
        self.now = START
        self.guard = ihp_ref.ReplayGuard()
        self.accepted: dict[bytes, bytes] = {}  # nonce → payload digest (the model's guard)

    def _provider(self) -> ihp_ref.InMemoryKeyProvider:
        return ihp_ref.InMemoryKeyProvider(hashlib.sha256(b"k%d" % self.generation).digest())

    @rule(window=st.integers(0, 2_000))
    def rotate(self, window: int) -> None:
        self.windows[self.generation] = self.now + window
        self.generation += 1
        self.windows[self.generation] = None
        self.ring = self.ring.rotated(self._provider(), self.now + window)

    @rule(target=sealed, nonce=st.sampled_from(NONCES), password=st.sampled_from([b"a", b"b"]))
    def encrypt_under_current_key(self, nonce: bytes,
                                  password: bytes) -> tuple[ihp_ref.IhpCapsule, int]:
        key = _session_key(self.ring.current, nonce)
        capsule = ihp_ref.encrypt_capsule(
            1, CONFIG, 9, ihp_ref.ClientNonce(nonce), PROFILE_ID, NETWORK, ENV, key,
            ihp_ref.PasswordMaterial(password), ihp_ref.CapsuleTimestamp(START))
        return capsule, self.generation

    @rule(seconds=st.integers(0, 1_500))
    def advance_time(self, seconds: int) -> None:
        self.now += seconds

    def _expected(self, capsule: ihp_ref.IhpCapsule, generation: int) -> str | None:
        closes_at = self.windows[generation]
        if closes_at is not None and self.now > closes_at:
            return "InvalidAeadTag"  # window closed: no provider opens it
        nonce, digest = capsule.client_nonce.value, hashlib.sha256(capsule.payload).digest()
        if nonce in self.accepted:
            return "NonceReuse" if self.accepted[nonce] == digest else "NonceCollision"
        self.accepted[nonce] = digest
        return None

    def _server_decrypt(self, capsule: ihp_ref.IhpCapsule) -> str | None:
        """What a server does with a ring: try the open providers in order."""
        for provider in self.ring.decryption_providers(self.now):
            try:
                ihp_ref.decrypt_capsule(capsule, ENV,
                                        _session_key(provider, capsule.client_nonce.value),
                                        ihp_ref.CapsuleTimestamp(self.now), CONFIG, self.guard)
            except ihp_ref.IhpError as error:
                if error.code is ihp_ref.ErrorCode.INVALID_AEAD_TAG:
                    continue  # another key's capsule: try the next provider
                return error.code.value
            return None
        return "InvalidAeadTag"

    @rule(item=sealed)
    def open_with_the_ring(self, item: tuple[ihp_ref.IhpCapsule, int]) -> None:
        capsule, generation = item
        expected = self._expected(capsule, generation)
        assert self._server_decrypt(capsule) == expected

    @invariant()
    def current_first_then_open_windows(self) -> None:
        providers = self.ring.decryption_providers(self.now)
        assert providers[0] is self.ring.current
        still_open = [g for g, closes in self.windows.items()
                      if closes is not None and self.now <= closes]
        assert len(providers) == 1 + len(still_open)


TestKeyRingMachine = KeyRingMachine.TestCase
