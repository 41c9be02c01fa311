"""The capsule: associated data, plaintext, encryption and decryption (spec §7)."""

from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidTag

from ._config import IhpConfig, validate
from ._constants import AAD_DOMAIN, I64_MIN, U8_MAX, U64_MAX
from ._counting import decrypt_counted, encrypt_counted
from ._errors import ErrorCode, IhpError
from ._metrics import NOOP_METRICS, MetricsSink
from ._replay import ReplayGuard
from ._values import (
    CapsuleTimestamp,
    ClientNonce,
    IhpNetworkContext,
    PasswordMaterial,
    ServerEnvHash,
    ServerProfileId,
    SessionKey,
    check_bytes,
    check_int,
)

__all__ = [
    "IhpCapsule",
    "IhpPlaintext",
    "associated_data",
    "check_before_opening",
    "check_plaintext",
    "decrypt_capsule",
    "encode_plaintext",
    "encrypt_capsule",
    "open_payload",
]

# AAD_DOMAIN ‖ u8 version ‖ u64 profile id ‖ u8 rtt ‖ u16 path ‖ env hash (62 bytes)
_AAD = struct.Struct(f"<{len(AAD_DOMAIN)}sBQBH32s")
_LENGTH = struct.Struct("<I")
_TRAILER = struct.Struct("<qQ")  # i64 timestamp ‖ u64 header id
_HEADER_ID = struct.Struct("<Q")
_TAG_LEN = 16
_MIN_PLAINTEXT = 4 + _TRAILER.size  # 20 bytes (spec §7.5 step 5)


@dataclass(frozen=True, slots=True)
class IhpCapsule:
    """A capsule as it travels (spec §7.1). `payload` is `len(plaintext) + 16` bytes."""

    version: int
    header_id: int
    client_nonce: ClientNonce
    server_profile_id: ServerProfileId
    network_context: IhpNetworkContext
    payload: bytes

    def __post_init__(self) -> None:
        check_int(self.version, 0, U8_MAX, ErrorCode.CODEC, "version")
        check_int(self.header_id, 0, U64_MAX, ErrorCode.CODEC, "header_id")
        if not isinstance(self.client_nonce, ClientNonce):
            raise TypeError("client_nonce must be a ClientNonce")
        if not isinstance(self.server_profile_id, ServerProfileId):
            raise TypeError("server_profile_id must be a ServerProfileId")
        if not isinstance(self.network_context, IhpNetworkContext):
            raise TypeError("network_context must be an IhpNetworkContext")
        object.__setattr__(self, "payload", check_bytes(self.payload, "payload"))

    def __repr__(self) -> str:  # the nonce is secret-adjacent (spec §6): never shown
        return (
            f"IhpCapsule(version={self.version}, header_id={self.header_id}, "
            f"server_profile_id={self.server_profile_id.value}, "
            f"network_context={self.network_context}, payload=<{len(self.payload)} bytes>)"
        )


def _decoded_capsule(
    version: int, header_id: int, nonce: bytes, server_profile_id: int, rtt_bucket: int,
    path_hint: int, payload: bytes,
) -> IhpCapsule:
    """A capsule from fields a wire decoder has already checked (spec §9: each integer
    within its type, a 12-byte nonce, `bytes` throughout). Made without re-running the
    typed constructors' checks: decoding is the fuzzers' and the server's hot path."""
    nonce_value = _new(ClientNonce)
    _set(nonce_value, "value", nonce)
    profile_id = _new(ServerProfileId)
    _set(profile_id, "value", server_profile_id)
    network = _new(IhpNetworkContext)
    _set(network, "rtt_bucket", rtt_bucket)
    _set(network, "path_hint", path_hint)
    capsule = _new(IhpCapsule)
    _set(capsule, "version", version)
    _set(capsule, "header_id", header_id)
    _set(capsule, "client_nonce", nonce_value)
    _set(capsule, "server_profile_id", profile_id)
    _set(capsule, "network_context", network)
    _set(capsule, "payload", payload)
    return capsule


class IhpPlaintext(NamedTuple):
    """What a successful decryption gives back (spec §7.5). A tuple: cheap to make on
    the hot path, immutable, and its password field redacts itself in `repr`."""

    password: PasswordMaterial
    timestamp: CapsuleTimestamp
    header_id: int


def associated_data(
    version: int, server_profile_id: int, network: IhpNetworkContext, env_hash: ServerEnvHash
) -> bytes:
    """AAD_DOMAIN ‖ u8(version) ‖ u64le(id) ‖ u8(rtt) ‖ u16le(path) ‖ env hash: 62 bytes."""
    return _AAD.pack(AAD_DOMAIN, version, server_profile_id, network.rtt_bucket,
                     network.path_hint, env_hash.value)


def encode_plaintext(password: bytes, timestamp: int, header_id: int) -> bytes:
    """u32le(len) ‖ password ‖ i64le(timestamp) ‖ u64le(header_id) (spec §7.3)."""
    return _LENGTH.pack(len(password)) + password + _TRAILER.pack(timestamp, header_id)


def encrypt_capsule(
    version: int,
    config: IhpConfig,
    header_id: int,
    client_nonce: ClientNonce,
    server_profile_id: ServerProfileId,
    network_context: IhpNetworkContext,
    env_hash: ServerEnvHash,
    session_key: SessionKey,
    password: PasswordMaterial,
    timestamp: CapsuleTimestamp,
    *,
    metrics: MetricsSink = NOOP_METRICS,
) -> IhpCapsule:
    """Seal a capsule (spec §7.4). Deterministic: same inputs, same bytes.

    A real metrics sink goes through `_counting.encrypt_counted` (spec §16), which calls
    back here with the no-op sink (as `decrypt_capsule` does).
    """
    if metrics is not NOOP_METRICS:
        return encrypt_counted(encrypt_capsule, metrics, version, config, header_id,
                               client_nonce, server_profile_id, network_context, env_hash,
                               session_key, password, timestamp)
    if not (
        isinstance(config, IhpConfig) and isinstance(client_nonce, ClientNonce)
        and isinstance(server_profile_id, ServerProfileId)
        and isinstance(network_context, IhpNetworkContext)
        and isinstance(env_hash, ServerEnvHash) and isinstance(session_key, SessionKey)
        and isinstance(password, PasswordMaterial) and isinstance(timestamp, CapsuleTimestamp)
    ):
        raise TypeError("encrypt_capsule takes the typed values of ihp_ref")
    # step 0: the plain-int fields are outside their types → Codec
    check_int(version, 0, U8_MAX, ErrorCode.CODEC, "version")
    check_int(header_id, 0, U64_MAX, ErrorCode.CODEC, "header_id")
    network_context.check()  # step 1
    validate(config)  # step 2
    if version not in config.allowed_versions:  # step 3
        raise IhpError(ErrorCode.INVALID_VERSION)
    if len(password.value) > config.max_payload_bytes:  # step 4
        raise IhpError(ErrorCode.CODEC)
    aad = associated_data(version, server_profile_id.value, network_context, env_hash)
    plaintext = encode_plaintext(password.value, timestamp.seconds, header_id)
    payload = session_key.cipher().encrypt(client_nonce.value, plaintext, aad)  # step 5
    return IhpCapsule(int(version), int(header_id), client_nonce, server_profile_id,
                      network_context, payload)


def decrypt_capsule(
    capsule: IhpCapsule,
    env_hash: ServerEnvHash,
    session_key: SessionKey,
    now: CapsuleTimestamp,
    config: IhpConfig,
    replay_guard: ReplayGuard | None = None,
    *,
    metrics: MetricsSink = NOOP_METRICS,
) -> IhpPlaintext:
    """Open a capsule (spec §7.5): the checks of `_checks.DECRYPTION_CHECKS`, in order.

    The steps come in three groups, each a public function, so that a server trying
    several keys (spec §6 rotation) runs the key-independent ones once and learns "not
    this key" from step 4 without an exception: `check_before_opening` (steps 1–3),
    `open_payload` (step 4), `check_plaintext` (steps 5–8); step 9 is the replay guard.
    A real metrics sink goes through `_counting.decrypt_counted` (spec §16), which calls
    back here with the no-op sink.
    """
    if metrics is not NOOP_METRICS:
        return decrypt_counted(decrypt_capsule, metrics, capsule, env_hash, session_key, now,
                               config, replay_guard)
    # step 0: the typed values validated themselves when they were made
    if not (
        isinstance(capsule, IhpCapsule) and isinstance(env_hash, ServerEnvHash)
        and isinstance(session_key, SessionKey) and isinstance(now, CapsuleTimestamp)
        and isinstance(config, IhpConfig)
    ):
        raise TypeError("decrypt_capsule takes the typed values of ihp_ref")
    check_before_opening(capsule, config)  # steps 1–3
    plaintext = open_payload(capsule, env_hash, session_key)  # step 4
    if plaintext is None:
        raise IhpError(ErrorCode.INVALID_AEAD_TAG)
    opened = check_plaintext(capsule, plaintext, now, config)  # steps 5–8
    if replay_guard is not None:  # step 9
        replay_guard.check_and_record(
            capsule.server_profile_id.value, capsule.client_nonce.value, capsule.payload,
            opened.timestamp.seconds, now.seconds, config.max_timestamp_drift)
    return opened


def check_before_opening(capsule: IhpCapsule, config: IhpConfig) -> None:
    """spec §7.5 steps 1–3, the checks that need no key: a server trying several keys
    (spec §6 rotation) runs them once."""
    if not config._valid:  # step 1: validate(config), computed when the config was made
        raise IhpError(ErrorCode.CONFIG)
    if capsule.version not in config.allowed_versions:  # step 2 (unknown versions included)
        raise IhpError(ErrorCode.INVALID_VERSION)
    if capsule.network_context.path_hint == 0:  # step 3
        raise IhpError(ErrorCode.CODEC)


def open_payload(capsule: IhpCapsule, env_hash: ServerEnvHash,
                 session_key: SessionKey) -> bytes | None:
    """spec §7.5 step 4: the plaintext, or None when the AEAD tag does not verify under
    `session_key` (which, for a server trying several keys, only says "not this key")."""
    network = capsule.network_context
    # associated_data(), inlined: this function is the server's hot path
    aad = _AAD.pack(AAD_DOMAIN, capsule.version, capsule.server_profile_id.value,
                    network.rtt_bucket, network.path_hint, env_hash.value)
    cipher = session_key._cipher or session_key.cipher()
    try:
        return cipher.decrypt(capsule.client_nonce.value, capsule.payload, aad)
    except InvalidTag:
        return None


def check_plaintext(capsule: IhpCapsule, plaintext: bytes, now: CapsuleTimestamp,
                    config: IhpConfig) -> IhpPlaintext:
    """spec §7.5 steps 5–8 on an opened payload; step 9 (the replay guard) is the
    caller's, with the timestamp this returns."""
    size = len(plaintext)  # step 5: length rules
    if size < _MIN_PLAINTEXT:
        raise IhpError(ErrorCode.CODEC)
    declared = _LENGTH.unpack_from(plaintext)[0]
    if declared > config.max_payload_bytes or size != 4 + declared + 16:
        raise IhpError(ErrorCode.CODEC)
    timestamp = _TRAILER.unpack_from(plaintext, size - 16)[0]
    if timestamp == I64_MIN:  # step 6
        raise IhpError(ErrorCode.INVALID_TIMESTAMP)
    if not hmac.compare_digest(plaintext[-8:], _HEADER_ID.pack(capsule.header_id)):  # step 7
        raise IhpError(ErrorCode.HEADER_ID_MISMATCH)
    # step 8: Python ints are exact; the Rust crate's i64 `(now - ts).abs()` wraps (§15)
    if abs(now.seconds - timestamp) > config.max_timestamp_drift:
        raise IhpError(ErrorCode.STALE_TIMESTAMP)
    # the result, made without re-validating what the checks above established
    password = _new(PasswordMaterial)
    _set(password, "value", plaintext[4:size - 16])
    stamp = _new(CapsuleTimestamp)
    _set(stamp, "seconds", timestamp)
    return _tuple_new(IhpPlaintext, (password, stamp, capsule.header_id))


_new = object.__new__
_set = object.__setattr__
_tuple_new = tuple.__new__
