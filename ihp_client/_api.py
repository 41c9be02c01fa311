"""The client helper of spec §12 over the HTTP binding of §11.

`fetch_profile`, `measure_rtt_bucket`, `build_capsule_for_password` (CSPRNG nonce and
header id), `send_capsule`, and `authenticate` which does all four on one connection, so
that the capsule is bound to the TLS exporter of the connection that carries it.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ihp_ref import (
    DEFAULT_PATH_HINT,
    RTT_SAMPLES,
    CapsuleTimestamp,
    ClientNonce,
    IhpCapsule,
    IhpConfig,
    IhpError,
    IhpNetworkContext,
    MasterKey,
    MasterKeyProvider,
    PasswordMaterial,
    ServerEnvHash,
    ServerProfileId,
    SessionKey,
    capsule_to_http_body,
    derive_profile_key,
    derive_session_key,
    encrypt_capsule,
    parse_decimal_u64,
    rtt_bucket_from_samples,
)

from ._http import HttpConnection, TlsOptions

__all__ = [
    "AuthResult",
    "BuiltCapsule",
    "ProfileError",
    "ServerProfile",
    "authenticate",
    "build_capsule_for_password",
    "fetch_profile",
    "measure_rtt_bucket",
    "parse_profile",
    "send_capsule",
]

_JSON = (("content-type", "application/json"),)


class ProfileError(ValueError):
    """`GET /ihp/profile` did not give a usable profile."""


@dataclass(frozen=True, slots=True)
class ServerProfile:
    version: int
    server_profile_id: ServerProfileId
    server_env_hash: ServerEnvHash
    note: str = ""


@dataclass(frozen=True, slots=True)
class BuiltCapsule:
    capsule: IhpCapsule
    session_key: SessionKey = field(repr=False)
    timestamp: int


@dataclass(frozen=True, slots=True)
class AuthResult:
    status: int
    session_token: str | None = field(default=None, repr=False)
    reason: str | None = None
    body: bytes = field(default=b"", repr=False)

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.session_token is not None


def parse_profile(body: bytes) -> ServerProfile:
    """spec §12: the id must be a decimal u64 string and the hash 32 bytes."""
    try:
        doc = json.loads(body)
        version = doc["version"]
        if type(version) is not int:
            raise ProfileError("profile version is not an integer")
        profile_id = ServerProfileId(parse_decimal_u64(doc["server_profile_id"]))
        env_hash = ServerEnvHash(base64.b64decode(doc["server_env_hash_b64"], validate=True))
        note = doc.get("note", "")
    except (ValueError, KeyError, TypeError, binascii.Error, IhpError) as exc:
        raise ProfileError(f"invalid server profile ({exc.__class__.__name__})") from None
    return ServerProfile(version, profile_id, env_hash, str(note))


def fetch_profile(conn: HttpConnection | str, *, tls: TlsOptions | None = None) -> ServerProfile:
    """`GET /ihp/profile`, parsed and validated (a URL opens a connection for it)."""
    if isinstance(conn, str):
        with HttpConnection(conn, tls=tls) as opened:
            return fetch_profile(opened)
    response = conn.request("GET", "/ihp/profile")
    if response.status != 200:
        raise ProfileError(f"GET /ihp/profile answered {response.status}")
    return parse_profile(response.body)


def measure_rtt_bucket(conn: HttpConnection, *, samples: int = RTT_SAMPLES,
                       clock: Callable[[], float] = time.perf_counter) -> int:
    """spec §12: `samples` timed `GET /ihp/profile`; bucket from the mean (half away
    from zero, clamped to 0..255) via `ihp_ref.rtt_bucket_from_samples`."""
    timings: list[float] = []
    for _ in range(samples):
        started = clock()
        conn.request("GET", "/ihp/profile")
        timings.append((clock() - started) * 1000.0)
    return rtt_bucket_from_samples(timings)


def build_capsule_for_password(
    profile: ServerProfile, master: MasterKeyProvider | MasterKey, exporter_key: bytes,
    password: bytes, *, rtt_bucket: int, path_hint: int = DEFAULT_PATH_HINT,
    now: int | None = None, version: int | None = None, config: IhpConfig | None = None,
) -> BuiltCapsule:
    """spec §12: random 12-byte nonce and random u64 header id from the CSPRNG, path hint
    120 unless overridden, default config, the profile's protocol version."""
    version = profile.version if version is None else version
    config = IhpConfig(allowed_versions=frozenset({version})) if config is None else config
    nonce = ClientNonce(secrets.token_bytes(12))
    header_id = secrets.randbits(64)
    timestamp = int(time.time()) if now is None else now
    network = IhpNetworkContext(rtt_bucket, path_hint)
    with derive_profile_key(master, profile.server_profile_id,
                            profile.server_env_hash) as profile_key:
        session_key = derive_session_key(profile_key, exporter_key, nonce, network,
                                         profile.server_profile_id)
    capsule = encrypt_capsule(version, config, header_id, nonce, profile.server_profile_id,
                              network, profile.server_env_hash, session_key,
                              PasswordMaterial(password), CapsuleTimestamp(timestamp))
    return BuiltCapsule(capsule, session_key, timestamp)


def send_capsule(conn: HttpConnection, capsule: IhpCapsule) -> AuthResult:
    """`POST /ihp/auth` with the HTTP form (spec §9.3)."""
    response = conn.request("POST", "/ihp/auth", capsule_to_http_body(capsule), _JSON)
    token = reason = None
    try:
        doc = json.loads(response.body)
        if isinstance(doc, dict):
            token = doc.get("session_token") if response.status == 200 else None
            reason = doc.get("reason")
    except ValueError:
        reason = "unparseable response"
    return AuthResult(response.status, token if isinstance(token, str) else None,
                      reason if isinstance(reason, str) else None, response.body)


def authenticate(base_url: str, master: MasterKeyProvider | MasterKey, password: bytes, *,
                 tls: TlsOptions | None = None, test_exporter_key: bytes | None = None,
                 rtt_bucket: int | None = None, path_hint: int = DEFAULT_PATH_HINT,
                 timeout: float = 10.0) -> AuthResult:
    """Profile, RTT bucket, capsule and POST, all on one connection. Over HTTPS the
    capsule binds to that connection's exporter; plain HTTP needs the test key."""
    with HttpConnection(base_url, tls=tls, timeout=timeout) as conn:
        exporter = conn.exporter_key()
        if exporter is None:
            if test_exporter_key is None:
                raise ValueError("plain HTTP is test mode: give the server's test exporter key")
            exporter = test_exporter_key
        profile = fetch_profile(conn)
        bucket = measure_rtt_bucket(conn) if rtt_bucket is None else rtt_bucket
        built = build_capsule_for_password(profile, master, exporter, password,
                                           rtt_bucket=bucket, path_hint=path_hint)
        return send_capsule(conn, built.capsule)
