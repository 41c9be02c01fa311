"""The POST /ihp/auth decision (spec §11), without I/O: the body's bytes, the connection's
exporter key and the server's clock reading in; one `AuthOutcome` out.

`Authenticator.decide` owns the whole decision, in one pass:

1. decode the body once with the reference's decoder (`parse_http_body`, then the
   server's own profile id, then `capsule_from_http`);
2. spec §7.5 steps 1–3, which need no key, once;
3. for each open key, current first, then the previous ones whose window is open (spec §6
   rotation): derive K_session and try step 4. A tag that does not verify only says "not
   this key"; the first key that opens the capsule decides (steps 5–9 and the token);
4. count the attempt once (spec §16: one `ihp.decrypt.total` per request, never one per
   key tried).

Spans (`_tracing`): `ihp.auth.decode` around step 1, and for each key tried
`ihp.auth.derive_session_key` and `ihp.auth.decrypt`, then `ihp.auth.replay_guard`.

The app only maps outcomes to responses and log events.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ihp_ref import (
    CapsuleTimestamp,
    ErrorCode,
    IhpCapsule,
    IhpConfig,
    IhpError,
    KeyRing,
    MetricsSink,
    ProfileKey,
    ReplayGuard,
    ServerEnvHash,
    ServerProfileId,
    capsule_from_http,
    check_before_opening,
    check_plaintext,
    count_decryption,
    count_failed_attempt,
    derive_profile_key,
    derive_session_key,
    open_payload,
    parse_http_body,
    session_token,
)

from ._metrics import PREVIOUS_KEY_SUCCESS
from ._tracing import (
    ATTR_ERROR_CODE,
    ATTR_KEY_SLOT,
    SPAN_DECODE,
    SPAN_DECRYPT,
    SPAN_DERIVE_SESSION_KEY,
    SPAN_REPLAY_GUARD,
    Spans,
    key_slot_name,
)

__all__ = ["Answer", "AuthOutcome", "Authenticator"]


class Answer(enum.Enum):
    """How the app answers: the status and, for an error, the body's `reason`."""

    OK = (200, "ok")
    INVALID_CREDENTIALS = (401, "invalid_credentials")  # spec §11: one body for every cause
    MALFORMED_JSON = (400, "malformed_json")
    NOT_AN_OBJECT = (422, "not_an_object")
    BAD_SERVER_PROFILE_ID = (422, "bad_server_profile_id")
    INVALID_CAPSULE_FORM = (422, "invalid_capsule_form")

    @property
    def status(self) -> int:
        return self.value[0]

    @property
    def reason(self) -> str:
        return self.value[1]


@dataclass(frozen=True, slots=True)
class AuthOutcome:
    """`token` only on success; `code` (a spec §8 error code) on a counted failure;
    `stage` names where a 401 was decided ("server_profile_id", "decrypt", or
    "tls_exporter" when the connection has no exporter key)."""

    answer: Answer
    token: str | None = field(default=None, repr=False)
    code: ErrorCode | None = None
    stage: str | None = None
    key_index: int | None = None  # 0: the current key; n: the n-th previous one
    version: int | None = None
    drift_seconds: int | None = None

    @property
    def ok(self) -> bool:
        return self.answer is Answer.OK

    @property
    def key_slot(self) -> str | None:
        """"current" or "previous" (the log's words)."""
        if self.key_index is None:
            return None
        return "current" if self.key_index == 0 else "previous"


class Authenticator:
    """Holds the server's profile id, env hash, key ring, config and replay guard."""

    def __init__(self, *, server_profile_id: int, env_hash: ServerEnvHash, keyring: KeyRing,
                 config: IhpConfig, replay_guard: ReplayGuard | None,
                 metrics: MetricsSink, spans: Spans | None = None) -> None:
        self.server_profile_id = ServerProfileId(server_profile_id)
        self.profile_id_text = str(server_profile_id)
        self.env_hash = env_hash
        self.config = config
        self.replay_guard = replay_guard
        self.metrics = metrics
        self.spans = spans or Spans(None)
        self._keys: tuple[KeyRing, dict[int, tuple[int, ProfileKey]]]
        self.set_keyring(keyring)

    def set_keyring(self, keyring: KeyRing) -> None:
        """Derive each K_profile once (a provider may be an HSM round trip), keyed by
        provider with its index in the ring (0: current). Swapped in one assignment, so a
        reload (SIGHUP) never races a request."""
        providers = [keyring.current, *(provider for provider, _ in keyring.previous)]
        keys: dict[int, tuple[int, ProfileKey]] = {}
        for index, provider in enumerate(providers):
            if id(provider) not in keys:  # one provider twice in a ring: its first place
                keys[id(provider)] = (index, derive_profile_key(
                    provider, self.server_profile_id, self.env_hash))
        self._keys = (keyring, keys)

    @property
    def keyring(self) -> KeyRing:
        return self._keys[0]

    def profile_id_matches(self, value: str) -> bool:
        """spec §11: exactly our decimal id, no leading zeros, signs or spaces."""
        return value == self.profile_id_text

    def decide(self, body: bytes, exporter_key: bytes | None, now: int) -> AuthOutcome:
        """The answer to one `POST /ihp/auth` body at the server's clock reading `now`."""
        with self.spans.span(SPAN_DECODE):
            decoded = self._decode(body)
        if not isinstance(decoded, IhpCapsule):
            return decoded
        if exporter_key is None:  # HTTPS front-end missing: fail closed, uncounted
            return AuthOutcome(Answer.INVALID_CREDENTIALS, stage="tls_exporter")
        return self._counted(self._decrypt(decoded, exporter_key, now))

    def _decode(self, body: bytes) -> IhpCapsule | AuthOutcome:
        """The body's capsule, or the outcome of a body that holds none for us."""
        try:
            document = parse_http_body(body)
        except IhpError:
            return AuthOutcome(Answer.MALFORMED_JSON)
        if type(document) is not dict:
            return AuthOutcome(Answer.NOT_AN_OBJECT)
        profile_id = document.get("server_profile_id")
        if type(profile_id) is not str:
            return AuthOutcome(Answer.BAD_SERVER_PROFILE_ID)
        if not self.profile_id_matches(profile_id):
            # counted as a failed decryption attempt, so the failure-ratio alert sees it
            return self._counted(AuthOutcome(Answer.INVALID_CREDENTIALS, code=ErrorCode.CODEC,
                                             stage="server_profile_id"))
        try:
            return capsule_from_http(document)
        except IhpError as error:  # step 0 of the decryption: a failed attempt
            return self._counted(AuthOutcome(Answer.INVALID_CAPSULE_FORM, code=error.code))

    def _decrypt(self, capsule: IhpCapsule, exporter_key: bytes, now: int) -> AuthOutcome:
        """spec §7.5 under each open key; the first key that opens the capsule decides."""
        moment = CapsuleTimestamp(now)
        try:
            check_before_opening(capsule, self.config)  # steps 1–3: no key needed
            for index, profile_key in self._open_keys(now):
                outcome = self._try_key(capsule, index, profile_key, exporter_key, moment)
                if outcome is not None:
                    return outcome
            code = ErrorCode.INVALID_AEAD_TAG  # no open key verifies the tag
        except IhpError as error:
            code = error.code
        return AuthOutcome(Answer.INVALID_CREDENTIALS, code=code, stage="decrypt",
                           version=capsule.version)

    def _try_key(self, capsule: IhpCapsule, index: int, profile_key: ProfileKey,
                 exporter_key: bytes, moment: CapsuleTimestamp) -> AuthOutcome | None:
        """One open key: None when the capsule was not sealed under it (step 4), else
        the success; a later check's failure raises its `IhpError`."""
        slot = {ATTR_KEY_SLOT: key_slot_name(index)}
        with self.spans.span(SPAN_DERIVE_SESSION_KEY, slot):
            session_key = derive_session_key(profile_key, exporter_key, capsule.client_nonce,
                                             capsule.network_context, self.server_profile_id)
        with session_key:
            with self.spans.span(SPAN_DECRYPT, slot) as span:
                plaintext = open_payload(capsule, self.env_hash, session_key)  # step 4
                if plaintext is None:
                    span.set_attribute(ATTR_ERROR_CODE, ErrorCode.INVALID_AEAD_TAG.value)
                    return None
                opened = check_plaintext(capsule, plaintext, moment, self.config)  # 5–8
            timestamp = opened.timestamp.seconds
            with self.spans.span(SPAN_REPLAY_GUARD):
                self._check_replay(capsule, timestamp, moment.seconds)  # step 9
            token = session_token(session_key, capsule.client_nonce, moment)
        return AuthOutcome(Answer.OK, token=token, key_index=index, version=capsule.version,
                           drift_seconds=abs(moment.seconds - timestamp))

    def _open_keys(self, now: int) -> list[tuple[int, ProfileKey]]:
        """The current key, then each previous one whose window is open at `now`."""
        keyring, keys = self._keys
        return [keys[id(provider)] for provider in keyring.decryption_providers(now)]

    def _check_replay(self, capsule: IhpCapsule, timestamp: int, now: int) -> None:
        if self.replay_guard is not None:
            self.replay_guard.check_and_record(
                capsule.server_profile_id.value, capsule.client_nonce.value, capsule.payload,
                timestamp, now, self.config.max_timestamp_drift)

    def _counted(self, outcome: AuthOutcome) -> AuthOutcome:
        """spec §16: the request's one decryption attempt, counted once."""
        if outcome.ok:
            assert outcome.version is not None and outcome.drift_seconds is not None
            count_decryption(self.metrics, outcome.version, outcome.drift_seconds)
            if outcome.key_index:
                self.metrics.increment(PREVIOUS_KEY_SUCCESS)
        elif outcome.code is not None:
            count_failed_attempt(self.metrics, "decrypt", outcome.code)
        return outcome
