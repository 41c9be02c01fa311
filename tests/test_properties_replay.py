"""The replay guard as a state machine (spec §13, §7.5 step 9), against a model.

Rules checked on every step: a replayed capsule is `NonceReuse`; the same (profile id,
nonce) with another payload is `NonceCollision`; a full guard fails closed with
`NonceReuse` and counts `ihp.replay.capacity_exhausted`; an entry lives until its
capsule's timestamp plus the drift window; failed decryptions (tampered, stale) never
touch the guard (the later outcomes show it). Profiles: IHP_HYPOTHESIS_PROFILE=ci (default) or nightly.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

import ihp_ref
from ihp_fuzz.harness import golden

DRIFT = 300
CAPACITY = 4
NONCES = [bytes([n]) * 12 for n in (1, 2, 3)]
PASSWORDS = [b"alpha", b"beta"]
START = 1_700_000_000
KEY = ihp_ref.SessionKey(golden.independent_session_key())
ENV = ihp_ref.ServerEnvHash(golden.GOLDEN_ENV_HASH)
CONFIG = ihp_ref.IhpConfig(max_timestamp_drift=DRIFT)


def _seal(profile_id: int, nonce: bytes, password: bytes, timestamp: int) -> ihp_ref.IhpCapsule:
    return ihp_ref.encrypt_capsule(
        1, CONFIG, 7, ihp_ref.ClientNonce(nonce), ihp_ref.ServerProfileId(profile_id),
        ihp_ref.IhpNetworkContext(5, 120), ENV, KEY, ihp_ref.PasswordMaterial(password),
        ihp_ref.CapsuleTimestamp(timestamp))


class ReplayGuardMachine(RuleBasedStateMachine):
    capsules = Bundle("capsules")

    def __init__(self) -> None:
        super().__init__()
        self.metrics = ihp_ref.RecordingMetrics()
        self.guard = ihp_ref.ReplayGuard(capacity=CAPACITY, metrics=self.metrics)
        self.now = START
        self.entries: dict[tuple[int, bytes], tuple[bytes, int]] = {}  # the model
        self.exhausted = 0

    def _expected(self, capsule: ihp_ref.IhpCapsule, timestamp: int) -> str | None:
        if abs(self.now - timestamp) > DRIFT:
            return "StaleTimestamp"  # step 8 comes before the guard: never touches it
        self.entries = {k: v for k, v in self.entries.items() if v[1] >= self.now}
        key = (capsule.server_profile_id.value, capsule.client_nonce.value)
        digest = hashlib.sha256(capsule.payload).digest()
        if key in self.entries:
            return "NonceReuse" if self.entries[key][0] == digest else "NonceCollision"
        if len(self.entries) >= CAPACITY:
            self.exhausted += 1
            return "NonceReuse"
        self.entries[key] = (digest, timestamp + DRIFT)
        return None

    def _decrypt(self, capsule: ihp_ref.IhpCapsule) -> str | None:
        try:
            ihp_ref.decrypt_capsule(capsule, ENV, KEY, ihp_ref.CapsuleTimestamp(self.now),
                                    CONFIG, self.guard)
        except ihp_ref.IhpError as error:
            return error.code.value
        return None

    @rule(target=capsules, profile_id=st.sampled_from([1, 2]), nonce=st.sampled_from(NONCES),
          password=st.sampled_from(PASSWORDS), offset=st.integers(-DRIFT - 2, DRIFT + 2))
    def submit_new(self, profile_id: int, nonce: bytes, password: bytes,
                   offset: int) -> tuple[ihp_ref.IhpCapsule, int]:
        capsule = _seal(profile_id, nonce, password, self.now + offset)
        expected = self._expected(capsule, self.now + offset)
        assert self._decrypt(capsule) == expected
        return capsule, self.now + offset

    @rule(sealed=capsules)
    def replay(self, sealed: tuple[ihp_ref.IhpCapsule, int]) -> None:
        capsule, timestamp = sealed
        expected = self._expected(capsule, timestamp)
        assert self._decrypt(capsule) == expected

    @rule(sealed=capsules, index=st.integers(0, 10_000))
    def tampered_never_touches_the_guard(self, sealed: tuple[ihp_ref.IhpCapsule, int],
                                         index: int) -> None:
        capsule, _ = sealed
        payload = bytearray(capsule.payload)
        payload[index % len(payload)] ^= 1
        tampered = ihp_ref.IhpCapsule(capsule.version, capsule.header_id, capsule.client_nonce,
                                      capsule.server_profile_id, capsule.network_context,
                                      bytes(payload))
        assert self._decrypt(tampered) == "InvalidAeadTag"  # the model records nothing

    @rule(seconds=st.integers(0, 2 * DRIFT))
    def advance_time(self, seconds: int) -> None:
        self.now += seconds

    @invariant()
    def capacity_exhaustion_is_counted(self) -> None:
        # (how many entries the guard holds is its own business: only outcomes and
        # metrics are compared, so a guard that forgets dead entries lazily is fine)
        assert self.metrics.total("ihp.replay.capacity_exhausted") == self.exhausted


TestReplayGuardMachine = ReplayGuardMachine.TestCase


def test_a_replay_is_never_accepted_even_after_the_drift_was_raised() -> None:
    # the runbook's drift tuning raises the drift on a running server: an entry recorded
    # under the short window must still catch the replay under the longer one
    short, longer = ihp_ref.IhpConfig(max_timestamp_drift=10), CONFIG
    guard = ihp_ref.ReplayGuard()
    capsule = _seal(1, NONCES[0], PASSWORDS[0], START)
    ihp_ref.decrypt_capsule(capsule, ENV, KEY, ihp_ref.CapsuleTimestamp(START), short, guard)
    with pytest.raises(ihp_ref.IhpError) as caught:
        ihp_ref.decrypt_capsule(capsule, ENV, KEY, ihp_ref.CapsuleTimestamp(START + 20), longer,
                                guard)
    assert caught.value.code is ihp_ref.ErrorCode.NONCE_REUSE
