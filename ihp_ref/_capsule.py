"""The capsule: associated data, plaintext, encryption and decryption (spec §7)."""

from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, NamedTuple

from cryptography.exceptions import InvalidTag

from ._config import IhpConfig, validate
from ._constants import AAD_DOMAIN, I64_MIN, U8_MAX, U64_MAX
from ._errors import ErrorCode, IhpError
from ._metrics import (
    DECRYPT_FAILURE,
    DECRYPT_SUCCESS,
    DECRYPT_TOTAL,
    DECRYPT_VERSION_REJECTED,
    DRIFT_REJECTED,
    DRIFT_SECONDS,
    ENCRYPT_FAILURE,
    ENCRYPT_SUCCESS,
    ENCRYPT_TOTAL,
    ENCRYPT_VERSION_REJECTED,
    HEADER_MISMATCH,
    NOOP_METRICS,
    MetricsSink,
)
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
    "DECRYPTION_CHECKS",
    "ENCRYPTION_CHECKS",
    "IhpCapsule",
    "IhpPlaintext",
    "associated_data",
    "count_failed_attempt",
    "decrypt_capsule",
    "encode_plaintext",
    "encrypt_capsule",
]

# spec §7.4 and §7.5 as data: (step, rule, error code). The code below follows these
# tables in order: tests/test_ref_capsule.py breaks each coded check alone, then together
# with every later one, and expects the table's code both times.
ENCRYPTION_CHECKS: tuple[tuple[int, str, ErrorCode | None], ...] = (
    (0, "argument construction (nonce, key, timestamp, password, field types)", None),
    (1, "network context: path_hint = 0", ErrorCode.CODEC),
    (2, "validate(config)", ErrorCode.CONFIG),
    (3, "version not in allowed_versions", ErrorCode.INVALID_VERSION),
    (4, "len(password) > config.max_payload_bytes", ErrorCode.CODEC),
    (5, "payload = SEAL(K_session, client_nonce, AAD, plaintext)", None),
)
DECRYPTION_CHECKS: tuple[tuple[int, str, ErrorCode | None], ...] = (
    (0, "argument construction (key, now, env hash, capsule fields, nonce)", None),
    (1, "validate(config)", ErrorCode.CONFIG),
    (2, "version not in allowed_versions", ErrorCode.INVALID_VERSION),
    (3, "network context: path_hint = 0", ErrorCode.CODEC),
    (4, "OPEN(K_session, client_nonce, AAD, payload) fails", ErrorCode.INVALID_AEAD_TAG),
    (5, "plaintext length rules", ErrorCode.CODEC),
    (6, "embedded timestamp = I64_MIN", ErrorCode.INVALID_TIMESTAMP),
    (7, "embedded header id ≠ capsule header_id (constant time)", ErrorCode.HEADER_ID_MISMATCH),
    (8, "|now − timestamp| > max_timestamp_drift (exact)", ErrorCode.STALE_TIMESTAMP),
    (9, "replay guard: reuse / collision", ErrorCode.NONCE_REUSE),
)

# AAD_DOMAIN ‖ u8 version ‖ u64 profile id ‖ u8 rtt ‖ u16 path ‖ env hash (62 bytes)
_AAD = struct.Struct(f"<{len(AAD_DOMAIN)}sBQBH32s")
_LENGTH = struct.Struct("<I")
_TRAILER = struct.Struct("<qQ")  # i64 timestamp ‖ u64 header id
_HEADER_ID = struct.Struct("<Q")
_TAG_LEN = 16
_MIN_PLAINTEXT = 4 + _TRAILER.size  # 20 bytes (spec §7.5 step 5)
_VERSION_LABELS = tuple(MappingProxyType({"version": str(v)}) for v in range(U8_MAX + 1))
_CODE_LABELS = {code: MappingProxyType({"code": code.telemetry}) for code in ErrorCode}


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

    A real metrics sink goes through `_encrypt_counted`, which calls back here with the
    no-op sink (as `decrypt_capsule` does).
    """
    if metrics is not NOOP_METRICS:
        return _encrypt_counted(version, config, header_id, client_nonce, server_profile_id,
                                network_context, env_hash, session_key, password, timestamp,
                                metrics)
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


def _encrypt_counted(
    version: int, config: IhpConfig, header_id: int, client_nonce: ClientNonce,
    server_profile_id: ServerProfileId, network_context: IhpNetworkContext,
    env_hash: ServerEnvHash, session_key: SessionKey, password: PasswordMaterial,
    timestamp: CapsuleTimestamp, metrics: MetricsSink,
) -> IhpCapsule:
    metrics.increment(ENCRYPT_TOTAL)
    try:
        capsule = encrypt_capsule(version, config, header_id, client_nonce, server_profile_id,
                                  network_context, env_hash, session_key, password, timestamp)
    except IhpError as error:
        _count_failure(metrics, "encrypt", error.code)
        raise
    metrics.increment(ENCRYPT_SUCCESS, _VERSION_LABELS[capsule.version])
    return capsule


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
    """Open a capsule (spec §7.5): the checks of `DECRYPTION_CHECKS`, in order.

    This body is the server's hot path: written flat, with the helpers it would call
    (`associated_data`, the typed result) inlined. A real metrics sink goes through
    `_decrypt_counted`, which calls back here with the no-op sink.
    """
    if metrics is not NOOP_METRICS:
        return _decrypt_counted(capsule, env_hash, session_key, now, config, replay_guard,
                                metrics)
    # step 0: the typed values validated themselves when they were made
    if not (
        isinstance(capsule, IhpCapsule) and isinstance(env_hash, ServerEnvHash)
        and isinstance(session_key, SessionKey) and isinstance(now, CapsuleTimestamp)
        and isinstance(config, IhpConfig)
    ):
        raise TypeError("decrypt_capsule takes the typed values of ihp_ref")
    if not config._valid:  # step 1: validate(config), computed when the config was made
        raise IhpError(ErrorCode.CONFIG)
    version = capsule.version
    if version not in config.allowed_versions:  # step 2 (unknown versions included)
        raise IhpError(ErrorCode.INVALID_VERSION)
    network = capsule.network_context
    path_hint = network.path_hint
    if path_hint == 0:  # step 3
        raise IhpError(ErrorCode.CODEC)
    # associated_data(), inlined: this function is the server's hot path
    aad = _AAD.pack(AAD_DOMAIN, version, capsule.server_profile_id.value, network.rtt_bucket,
                    path_hint, env_hash.value)
    try:  # step 4
        cipher = session_key._cipher or session_key.cipher()
        plaintext = cipher.decrypt(capsule.client_nonce.value, capsule.payload, aad)
    except InvalidTag:
        raise IhpError(ErrorCode.INVALID_AEAD_TAG) from None
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
    if replay_guard is not None:  # step 9
        replay_guard.check_and_record(
            capsule.server_profile_id.value, capsule.client_nonce.value, capsule.payload,
            timestamp, now.seconds, config.max_timestamp_drift)
    # the result, made without re-validating what the checks above established
    password = _new(PasswordMaterial)
    _set(password, "value", plaintext[4:size - 16])
    stamp = _new(CapsuleTimestamp)
    _set(stamp, "seconds", timestamp)
    return _tuple_new(IhpPlaintext, (password, stamp, capsule.header_id))

def _decrypt_counted(
    capsule: IhpCapsule, env_hash: ServerEnvHash, session_key: SessionKey,
    now: CapsuleTimestamp, config: IhpConfig, replay_guard: ReplayGuard | None,
    metrics: MetricsSink,
) -> IhpPlaintext:
    metrics.increment(DECRYPT_TOTAL)
    try:
        plaintext = decrypt_capsule(capsule, env_hash, session_key, now, config, replay_guard)
    except IhpError as error:
        _count_failure(metrics, "decrypt", error.code)
        raise
    metrics.increment(DECRYPT_SUCCESS, _VERSION_LABELS[capsule.version])
    metrics.observe(DRIFT_SECONDS, abs(now.seconds - plaintext.timestamp.seconds))
    return plaintext


# spec §16: the counters a failure increments besides `.failure`, by operation and code
_FAILURE_COUNTERS: dict[tuple[str, ErrorCode], str] = {
    ("encrypt", ErrorCode.INVALID_VERSION): ENCRYPT_VERSION_REJECTED,
    ("decrypt", ErrorCode.INVALID_VERSION): DECRYPT_VERSION_REJECTED,
    ("decrypt", ErrorCode.HEADER_ID_MISMATCH): HEADER_MISMATCH,
    ("decrypt", ErrorCode.STALE_TIMESTAMP): DRIFT_REJECTED,
}
_FAILURE = {"encrypt": ENCRYPT_FAILURE, "decrypt": DECRYPT_FAILURE}
_TOTAL = {"encrypt": ENCRYPT_TOTAL, "decrypt": DECRYPT_TOTAL}


def _count_failure(metrics: MetricsSink, operation: str, code: ErrorCode) -> None:
    metrics.increment(_FAILURE[operation], _CODE_LABELS[code])
    extra = _FAILURE_COUNTERS.get((operation, code))
    if extra is not None:
        metrics.increment(extra)


def count_failed_attempt(
    metrics: MetricsSink, operation: Literal["encrypt", "decrypt"], code: ErrorCode
) -> None:
    """Count one attempt that failed before `encrypt_capsule` / `decrypt_capsule` could
    run: an adapter's step 0 (a typed value that could not be made, a wire form that did
    not decode). spec §16: every attempt counted, every failure exactly once."""
    metrics.increment(_TOTAL[operation])
    _count_failure(metrics, operation, code)


_new = object.__new__
_set = object.__setattr__
_tuple_new = tuple.__new__
