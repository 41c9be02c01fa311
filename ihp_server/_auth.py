"""The POST /ihp/auth decision (spec §11), without I/O: a parsed JSON body, the
connection's exporter key and the server's clock reading in; an outcome out.

Rotation (spec §6): the key ring's open keys are tried current-first. Metric events of
each attempt are buffered and only the attempt that decides the outcome is reported, so
one request is one `ihp.decrypt.total` (never one per key tried).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ihp_ref import (
    CapsuleTimestamp,
    ErrorCode,
    IhpCapsule,
    IhpConfig,
    IhpError,
    KeyRing,
    MasterKeyProvider,
    MetricsSink,
    ProfileKey,
    ReplayGuard,
    ServerEnvHash,
    ServerProfileId,
    SessionKey,
    count_failed_attempt,
    decrypt_capsule,
    derive_profile_key,
    derive_session_key,
    session_token,
)

from ._metrics import PREVIOUS_KEY_SUCCESS

__all__ = ["AuthOutcome", "Authenticator"]


@dataclass(frozen=True, slots=True)
class AuthOutcome:
    """`token` only on success; `code` (a spec §8 error code) only on failure."""

    token: str | None = field(default=None, repr=False)
    code: ErrorCode | None = None
    key_slot: str | None = None  # "current" or "previous"
    version: int | None = None
    drift_seconds: int | None = None

    @property
    def ok(self) -> bool:
        return self.token is not None


class _BufferedMetrics:
    """Holds one decryption attempt's metric events until we know it is the one to report."""

    __slots__ = ("events",)

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any]] = []

    def increment(self, name: str, labels: Mapping[str, str] | None = None) -> None:
        self.events.append(("increment", name, dict(labels) if labels else None))

    def observe(self, name: str, value: float) -> None:
        self.events.append(("observe", name, value))

    def replay_into(self, sink: MetricsSink) -> None:
        for kind, name, arg in self.events:
            if kind == "increment":
                sink.increment(name, arg)
            else:
                sink.observe(name, arg)


class Authenticator:
    """Holds the server's profile id, env hash, key ring, config and replay guard."""

    def __init__(self, *, server_profile_id: int, env_hash: ServerEnvHash, keyring: KeyRing,
                 config: IhpConfig, replay_guard: ReplayGuard | None,
                 metrics: MetricsSink) -> None:
        self.server_profile_id = ServerProfileId(server_profile_id)
        self.profile_id_text = str(server_profile_id)
        self.env_hash = env_hash
        self.config = config
        self.replay_guard = replay_guard
        self.metrics = metrics
        self._keys: tuple[KeyRing, list[tuple[MasterKeyProvider, ProfileKey]]]
        self.set_keyring(keyring)

    def set_keyring(self, keyring: KeyRing) -> None:
        """Derive each K_profile once (a provider may be an HSM round trip). Swapped in
        one assignment, so a reload (SIGHUP) never races a request."""
        providers = [keyring.current, *(p for p, _ in keyring.previous)]
        keys = [(p, derive_profile_key(p, self.server_profile_id, self.env_hash))
                for p in providers]
        self._keys = (keyring, keys)

    @property
    def keyring(self) -> KeyRing:
        return self._keys[0]

    def profile_id_matches(self, body: Mapping[str, Any]) -> bool:
        """spec §11: exactly our decimal id, no leading zeros, signs or spaces."""
        value = body.get("server_profile_id")
        return isinstance(value, str) and value == self.profile_id_text

    def reject_profile_id(self) -> AuthOutcome:
        # Counted as a failed decryption attempt so the failure-ratio alert sees it.
        count_failed_attempt(self.metrics, "decrypt", ErrorCode.CODEC)
        return AuthOutcome(code=ErrorCode.CODEC)

    def authenticate(self, capsule: IhpCapsule, exporter_key: bytes, now: int) -> AuthOutcome:
        """Try each open key, current first; report the attempt that decides."""
        keyring, profile_keys = self._keys
        providers = keyring.decryption_providers(now)
        decisive: tuple[_BufferedMetrics, IhpError] | None = None
        for index, provider in enumerate(providers):
            buffer = _BufferedMetrics()
            try:
                profile_key = next(k for p, k in profile_keys if p is provider)
                outcome = self._attempt(capsule, profile_key, exporter_key, now, buffer)
            except IhpError as error:
                # An AEAD failure under one key says nothing; any later check failing
                # means this key opened the capsule, so its error is the real cause.
                if decisive is None or (decisive[1].code is ErrorCode.INVALID_AEAD_TAG
                                        and error.code is not ErrorCode.INVALID_AEAD_TAG):
                    decisive = (buffer, error)
                if error.code is not ErrorCode.INVALID_AEAD_TAG:
                    break
                continue
            buffer.replay_into(self.metrics)
            if index > 0:
                self.metrics.increment(PREVIOUS_KEY_SUCCESS)
                return _with_slot(outcome, "previous")
            return outcome
        assert decisive is not None  # the current key is always tried
        decisive[0].replay_into(self.metrics)
        return AuthOutcome(code=decisive[1].code, version=capsule.version)

    def _attempt(self, capsule: IhpCapsule, profile_key: ProfileKey, exporter_key: bytes,
                 now: int, buffer: _BufferedMetrics) -> AuthOutcome:
        try:
            session_key = derive_session_key(profile_key, exporter_key,
                                             capsule.client_nonce, capsule.network_context,
                                             self.server_profile_id)
        except IhpError:
            # A zero path hint fails derivation; run decryption's own ordered checks
            # (version before path hint, spec §7.5) so the code and metrics are the spec's.
            session_key = SessionKey(bytes(32))
        with session_key:
            plain = decrypt_capsule(capsule, self.env_hash, session_key, CapsuleTimestamp(now),
                                    self.config, self.replay_guard, metrics=buffer)
            token = session_token(session_key, capsule.client_nonce, CapsuleTimestamp(now))
        timestamp = plain.timestamp.seconds
        return AuthOutcome(token=token, key_slot="current", version=capsule.version,
                           drift_seconds=abs(now - timestamp))


def _with_slot(outcome: AuthOutcome, slot: str) -> AuthOutcome:
    return AuthOutcome(token=outcome.token, code=outcome.code, key_slot=slot,
                       version=outcome.version, drift_seconds=outcome.drift_seconds)
