"""`ihp-conformance http`: black-box conformance of a running IHP server (profile IHP-HTTP).

Like h2spec for HTTP/2, it needs only a URL and the shared secrets: the master key, and
either `--tls` (each capsule is bound to the TLS exporter of the connection that carries
it, spec §6) or `--tls-exporter-hex` (the server's plain-HTTP test mode). The server's
profile id and SEP hash are learned from `GET /ihp/profile` (spec §11).

The rule of every case is spec §11: a valid capsule → 200 and a session token that
verifies (§10); any authentication failure → 401 with one identical body; a body that is
not JSON, misses fields, has wrong types or out-of-range numbers → 400/413/415/422 (over
256 KiB → 413); never a 5xx. Cases are data: `CASES` below, one line each.
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import json
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from conformance.expectations import Expectations
from conformance.model import CaseResult, RunReport, Verdict
from conformance.reports import render_terminal, unwritable_report_path, write_report_files
from conformance.triage import triage
from ihp_client import HttpConnection, HttpResponse, ProfileError, ServerProfile, TlsOptions
from ihp_client import parse_profile as parse_server_profile
from ihp_ref import (
    I64_MAX,
    I64_MIN,
    U64_MAX,
    CapsuleTimestamp,
    ClientNonce,
    IhpConfig,
    IhpNetworkContext,
    InMemoryKeyProvider,
    MasterKeyProvider,
    PasswordMaterial,
    ServerProfileId,
    SessionKey,
    capsule_to_http,
    derive_profile_key,
    derive_session_key,
    encrypt_capsule,
    session_token,
)

__all__ = ["CASES", "HttpCase", "HttpSuiteOptions", "main", "run_http_suite"]

PROFILE = "IHP-HTTP"
UNAUTHORIZED_JSON = {"status": "error", "reason": "invalid_credentials"}  # spec §11
MALFORMED_STATUSES = frozenset({400, 413, 415, 422})  # spec §11
ANY_REJECTION = MALFORMED_STATUSES | {401}
_JSON_HEADERS = (("content-type", "application/json"),)
_TOKEN_CLOCK_SLACK = 30  # seconds of clock difference tolerated when checking tokens


@dataclass(frozen=True, slots=True)
class HttpSuiteOptions:
    base_url: str
    master: MasterKeyProvider = field(repr=False)
    tls: bool
    tls_options: TlsOptions = field(default_factory=TlsOptions)
    test_exporter_key: bytes | None = field(default=None, repr=False)
    allowed_versions: frozenset[int] = frozenset({1})
    max_drift: int = 300
    burst: int = 32
    timeout: float = 10.0


@dataclass(slots=True)
class _Sent:
    """One POST /ihp/auth exchange, with what is needed to verify a token."""

    response: HttpResponse
    session_key: SessionKey | None = None
    nonce: ClientNonce | None = None
    clock: tuple[int, int] = (0, 0)  # our clock before and after the exchange


class _Session:
    """What every case shares: options, the server's profile, collected 401 bodies."""

    def __init__(self, options: HttpSuiteOptions, profile: ServerProfile) -> None:
        self.options = options
        self.profile = profile
        self.unauthorized_bodies: list[tuple[str, bytes, str | None]] = []

    def connect(self) -> tuple[HttpConnection, bytes]:
        conn = HttpConnection(self.options.base_url, tls=self.options.tls_options,
                              timeout=self.options.timeout)
        exporter = conn.exporter_key() if self.options.tls else self.options.test_exporter_key
        if exporter is None:
            conn.close()
            raise ConnectionError("HTTPS gave no exporter key (is the URL https://?)")
        return conn, exporter

    def seal(self, exporter: bytes, *, password: bytes = b"ihp-conformance password",
             nonce: bytes | None = None, header_id: int = 7, timestamp: int | None = None,
             version: int = 1, profile_id: int | None = None, rtt_bucket: int = 3,
             path_hint: int = 120) -> tuple[dict[str, Any], SessionKey, ClientNonce]:
        """A capsule as the client helper builds it, in the HTTP form (spec §9.3)."""
        profile_id_value = ServerProfileId(self.profile.server_profile_id.value
                                           if profile_id is None else profile_id)
        client_nonce = ClientNonce(secrets.token_bytes(12) if nonce is None else nonce)
        network = IhpNetworkContext(rtt_bucket, path_hint)
        env_hash = self.profile.server_env_hash
        with derive_profile_key(self.options.master, profile_id_value, env_hash) as pkey:
            skey = derive_session_key(pkey, exporter, client_nonce, network, profile_id_value)
        capsule = encrypt_capsule(
            version, IhpConfig(allowed_versions=frozenset({version})), header_id,
            client_nonce, profile_id_value, network, env_hash, skey, PasswordMaterial(password),
            CapsuleTimestamp(int(time.time()) if timestamp is None else timestamp))
        return capsule_to_http(capsule), skey, client_nonce


def _post(conn: HttpConnection, body: bytes | dict[str, Any]) -> tuple[HttpResponse, int, int]:
    raw = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
    before = int(time.time())
    response = conn.request("POST", "/ihp/auth", raw, _JSON_HEADERS)
    return response, before, int(time.time())


def _send_form(session: _Session, mutate: Callable[[dict[str, Any]], object] | None = None,
               **seal_args: Any) -> _Sent:
    conn, exporter = session.connect()
    with conn:
        form, skey, nonce = session.seal(exporter, **seal_args)
        if mutate is not None:
            mutate(form)
        response, before, after = _post(conn, form)
    return _Sent(response, skey, nonce, (before, after))


def _send_raw(session: _Session, body: bytes) -> _Sent:
    conn, _ = session.connect()
    with conn:
        response, _, _ = _post(conn, body)
    return _Sent(response)


# --- judging ---------------------------------------------------------------------------

def _actual(sent: _Sent) -> dict[str, Any]:
    return {"status": sent.response.status,
            "body": sent.response.body[:200].decode("utf-8", "replace")}


def _token_verifies(sent: _Sent) -> bool:
    """spec §10: the token is HKDF of K_session at the server's acceptance second."""
    try:
        token = json.loads(sent.response.body).get("session_token")
    except (ValueError, AttributeError):
        return False
    if not isinstance(token, str) or sent.session_key is None or sent.nonce is None:
        return False
    low, high = sent.clock[0] - _TOKEN_CLOCK_SLACK, sent.clock[1] + _TOKEN_CLOCK_SLACK
    return any(token == session_token(sent.session_key, sent.nonce, CapsuleTimestamp(t))
               for t in range(low, high + 1))


def _judge_ok(session: _Session, sent: _Sent) -> str:
    if sent.response.status != 200:
        return f"expected 200, got {sent.response.status}"
    try:
        doc = json.loads(sent.response.body)
    except ValueError:
        return "200 body is not JSON"
    if not isinstance(doc, dict) or doc.get("status") != "ok":
        return '200 body lacks "status":"ok"'
    return "" if _token_verifies(sent) else "session_token does not verify (spec §10)"


def _judge_unauthorized(session: _Session, sent: _Sent, case_id: str) -> str:
    response = sent.response
    if response.status != 401:
        return f"expected 401, got {response.status}"
    session.unauthorized_bodies.append((case_id, response.body, response.header("content-type")))
    try:
        doc = json.loads(response.body)
    except ValueError:
        return "401 body is not JSON"
    return "" if doc == UNAUTHORIZED_JSON else f"401 body is not {UNAUTHORIZED_JSON}"


def _judge_status(sent: _Sent, allowed: frozenset[int]) -> str:
    status = sent.response.status
    return "" if status in allowed else f"expected one of {sorted(allowed)}, got {status}"


# --- the cases -------------------------------------------------------------------------

Runner = Callable[[_Session], tuple[list[_Sent], str]]


@dataclass(frozen=True, slots=True)
class HttpCase:
    case_id: str
    comment: str
    expected: str
    run: Runner
    applies: Callable[[HttpSuiteOptions], bool] = lambda options: True


def _expect_ok(**seal_args: Any) -> Runner:
    def run(session: _Session) -> tuple[list[_Sent], str]:
        sent = _send_form(session, **seal_args)
        return [sent], _judge_ok(session, sent)
    return run


def _expect_401(mutate: Callable[[dict[str, Any]], object] | None = None, **seal_args: Any,
                ) -> Callable[[str], Runner]:
    def bind(case_id: str) -> Runner:
        def run(session: _Session) -> tuple[list[_Sent], str]:
            sent = _send_form(session, mutate, **seal_args)
            return [sent], _judge_unauthorized(session, sent, case_id)
        return run
    return bind


def _expect_status(body: Callable[[_Session], bytes], allowed: frozenset[int]) -> Runner:
    def run(session: _Session) -> tuple[list[_Sent], str]:
        sent = _send_raw(session, body(session))
        return [sent], _judge_status(sent, allowed)
    return run


def _form_bytes(edit: Callable[[dict[str, Any]], object]) -> Callable[[_Session], bytes]:
    def make(session: _Session) -> bytes:
        form = session.seal(session.options.test_exporter_key or bytes(32))[0]
        edit(form)
        return json.dumps(form, separators=(",", ":")).encode()
    return make


def _form_text(edit: Callable[[str], str]) -> Callable[[_Session], bytes]:
    def make(session: _Session) -> bytes:
        form = session.seal(session.options.test_exporter_key or bytes(32))[0]
        return edit(json.dumps(form, separators=(",", ":"))).encode()
    return make


def _set(key: str, value: object, sub: str | None = None) -> Callable[[dict[str, Any]], None]:
    def edit(form: dict[str, Any]) -> None:
        (form[sub] if sub else form)[key] = value
    return edit


def _delete(key: str, sub: str | None = None) -> Callable[[dict[str, Any]], None]:
    def edit(form: dict[str, Any]) -> None:
        del (form[sub] if sub else form)[key]
    return edit


def _b64_edit(key: str, change: Callable[[bytes], bytes]) -> Callable[[dict[str, Any]], None]:
    def edit(form: dict[str, Any]) -> None:
        form[key] = base64.b64encode(change(base64.b64decode(form[key]))).decode()
    return edit


def _flip_first(data: bytes) -> bytes:
    return bytes([data[0] ^ 0x01]) + data[1:]


def _flip_last(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x80])


def _bump(key: str, sub: str | None = None) -> Callable[[dict[str, Any]], None]:
    """+1: the sealed values (header id 7, rtt bucket 3, path hint 120) all have room."""
    def edit(form: dict[str, Any]) -> None:
        target = form[sub] if sub else form
        target[key] += 1
    return edit


def _profile_id_text(make: Callable[[str], str]) -> Callable[[dict[str, Any]], None]:
    def edit(form: dict[str, Any]) -> None:
        form["server_profile_id"] = make(form["server_profile_id"])
    return edit


def _other_profile_id(session: _Session) -> int:
    own = session.profile.server_profile_id.value
    return own + 1 if own < U64_MAX else own - 1


def _run_other_profile_id(case_id: str) -> Runner:
    def run(session: _Session) -> tuple[list[_Sent], str]:
        sent = _send_form(session, profile_id=_other_profile_id(session))
        return [sent], _judge_unauthorized(session, sent, case_id)
    return run


def _now() -> int:
    return int(time.time())


def _expect_401_at(offset: Callable[[int], int]) -> Callable[[str], Runner]:
    """A capsule whose timestamp is now + offset(max_drift)."""
    def bind(case_id: str) -> Runner:
        def run(session: _Session) -> tuple[list[_Sent], str]:
            sent = _send_form(session, timestamp=_now() + offset(session.options.max_drift))
            return [sent], _judge_unauthorized(session, sent, case_id)
        return run
    return bind


def _within_drift(session: _Session) -> tuple[list[_Sent], str]:
    sent = _send_form(session, timestamp=_now() - session.options.max_drift // 2)
    return [sent], _judge_ok(session, sent)


def _replay_same(case_id: str) -> Runner:
    def run(session: _Session) -> tuple[list[_Sent], str]:
        conn, exporter = session.connect()
        with conn:
            form, skey, nonce = session.seal(exporter)
            first = _Sent(*_post_with_clock(conn, form, skey, nonce))
            second = _Sent(*_post_with_clock(conn, form, skey, nonce))
        problem = _judge_ok(session, first)
        if problem:
            return [first, second], f"first send: {problem}"
        problem = _judge_unauthorized(session, second, case_id)
        return [first, second], f"replay: {problem}" if problem else ""
    return run


def _nonce_collision(case_id: str) -> Runner:
    def run(session: _Session) -> tuple[list[_Sent], str]:
        nonce = secrets.token_bytes(12)
        conn, exporter = session.connect()
        with conn:
            form1, skey1, n1 = session.seal(exporter, nonce=nonce, password=b"first password")
            form2, skey2, n2 = session.seal(exporter, nonce=nonce, password=b"other password!")
            first = _Sent(*_post_with_clock(conn, form1, skey1, n1))
            second = _Sent(*_post_with_clock(conn, form2, skey2, n2))
        problem = _judge_ok(session, first)
        if problem:
            return [first, second], f"first send: {problem}"
        problem = _judge_unauthorized(session, second, case_id)
        return [first, second], f"same nonce, other payload: {problem}" if problem else ""
    return run


def _post_with_clock(conn: HttpConnection, form: dict[str, Any], skey: SessionKey,
                     nonce: ClientNonce) -> tuple[HttpResponse, SessionKey, ClientNonce,
                                                  tuple[int, int]]:
    response, before, after = _post(conn, form)
    return response, skey, nonce, (before, after)


def _keep_alive(session: _Session) -> tuple[list[_Sent], str]:
    conn, exporter = session.connect()
    sents: list[_Sent] = []
    with conn:
        for _ in range(3):
            form, skey, nonce = session.seal(exporter)
            sents.append(_Sent(*_post_with_clock(conn, form, skey, nonce)))
    problems = [p for p in (_judge_ok(session, s) for s in sents) if p]
    return sents, "; ".join(problems)


def _other_connection_exporter(case_id: str) -> Runner:
    """spec §6: a capsule bound to one TLS connection must not open on another."""
    def run(session: _Session) -> tuple[list[_Sent], str]:
        first, exporter = session.connect()
        second, _ = session.connect()
        with first, second:
            form, _, _ = session.seal(exporter)
            response, _, _ = _post(second, form)
        sent = _Sent(response)
        return [sent], _judge_unauthorized(session, sent, case_id)
    return run


def _wrong_exporter(case_id: str) -> Runner:
    def run(session: _Session) -> tuple[list[_Sent], str]:
        conn, exporter = session.connect()
        with conn:
            form, _, _ = session.seal(bytes(b ^ 0x5A for b in exporter))
            response, _, _ = _post(conn, form)
        sent = _Sent(response)
        return [sent], _judge_unauthorized(session, sent, case_id)
    return run


def _burst(session: _Session) -> tuple[list[_Sent], str]:
    with ThreadPoolExecutor(max_workers=session.options.burst) as pool:
        sents = list(pool.map(lambda _: _send_form(session), range(session.options.burst)))
    bad = [s.response.status for s in sents if _judge_ok(session, s)]
    return sents, f"{len(bad)} of {len(sents)} not 200 with a valid token: {bad[:10]}" if bad \
        else ""


def _identical_bodies(session: _Session) -> tuple[list[_Sent], str]:
    bodies = {(body, ctype) for _, body, ctype in session.unauthorized_bodies}
    if len(session.unauthorized_bodies) < 2:
        return [], "fewer than two 401 responses were collected"
    if len(bodies) != 1:
        return [], f"{len(bodies)} different 401 bodies/content types: {sorted(bodies)[:3]}"
    return [], ""


def _deep_json(session: _Session) -> bytes:
    return b'{"version":' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def _oversized(session: _Session) -> bytes:
    form = session.seal(session.options.test_exporter_key or bytes(32))[0]
    form["padding"] = "A" * (300 * 1024)
    return json.dumps(form).encode()


def _tls_only(options: HttpSuiteOptions) -> bool:
    return options.tls


def _v2_allowed(options: HttpSuiteOptions) -> bool:
    return 2 in options.allowed_versions


def _v2_disallowed(options: HttpSuiteOptions) -> bool:
    return 2 not in options.allowed_versions


_MAL = MALFORMED_STATUSES


def _cases() -> list[HttpCase]:
    u = "401 + identical body"
    m = "400/413/415/422"
    cases = [
        HttpCase("http/valid/basic", "a fresh capsule", "200 + token", _expect_ok()),
        HttpCase("http/valid/empty-password", "zero-length password", "200 + token",
                 _expect_ok(password=b"")),
        HttpCase("http/valid/max-password", "65,536-byte password (spec §3 cap)", "200 + token",
                 _expect_ok(password=b"p" * 65536)),
        HttpCase("http/valid/rtt-bucket-255", "largest RTT bucket", "200 + token",
                 _expect_ok(rtt_bucket=255)),
        HttpCase("http/valid/path-hint-65535", "largest path hint", "200 + token",
                 _expect_ok(path_hint=65535)),
        HttpCase("http/valid/within-drift", "timestamp max_drift/2 in the past", "200 + token",
                 _within_drift),
        HttpCase("http/valid/keep-alive", "three capsules on one connection", "200 ×3",
                 _keep_alive),
        HttpCase("http/valid/version-2", "version 2 when the server allows it", "200 + token",
                 _expect_ok(version=2), _v2_allowed),
        HttpCase("http/burst/concurrent-valid", "concurrent valid requests, one connection "
                 "each", "all 200", _burst),
    ]
    unauthorized: list[tuple[str, str, Callable[[str], Runner]]] = [
        ("tamper/header-id", "clear header_id ≠ the sealed one (HeaderIdMismatch)",
         _expect_401(_bump("header_id"))),
        ("tamper/client-nonce", "one nonce bit flipped", _expect_401(_b64_edit(
            "client_nonce_b64", _flip_first))),
        ("tamper/rtt-bucket", "rtt_bucket changed (AAD, K_session)",
         _expect_401(_bump("rtt_bucket", "network_context"))),
        ("tamper/path-hint", "path_hint changed (AAD, K_session)",
         _expect_401(_bump("path_hint", "network_context"))),
        ("tamper/path-hint-zero", "path_hint 0 (spec §7.1)",
         _expect_401(_set("path_hint", 0, "network_context"))),
        ("tamper/payload-first-byte", "ciphertext bit flipped",
         _expect_401(_b64_edit("payload_b64", _flip_first))),
        ("tamper/payload-tag", "tag bit flipped", _expect_401(_b64_edit("payload_b64",
                                                                         _flip_last))),
        ("tamper/payload-truncated", "last payload byte removed",
         _expect_401(_b64_edit("payload_b64", lambda b: b[:-1]))),
        ("tamper/payload-empty", "empty payload (shorter than a tag)",
         _expect_401(_set("payload_b64", ""))),
        ("tamper/version-1-as-2", "v1 capsule relabelled version 2",
         _expect_401(_set("version", 2))),
        ("version/unknown-3", "version 3", _expect_401(_set("version", 3))),
        ("version/zero", "version 0", _expect_401(_set("version", 0))),
        ("version/255", "version 255", _expect_401(_set("version", 255))),
        ("profile-id/leading-zero", "own id with a leading zero",
         _expect_401(_profile_id_text(lambda t: "0" + t))),
        ("profile-id/plus-sign", "own id with a + sign",
         _expect_401(_profile_id_text(lambda t: "+" + t))),
        ("profile-id/leading-space", "own id with a leading space",
         _expect_401(_profile_id_text(lambda t: " " + t))),
        ("profile-id/trailing-space", "own id with a trailing space",
         _expect_401(_profile_id_text(lambda t: t + " "))),
        ("profile-id/u64-overflow", "2^64 as a decimal string",
         _expect_401(_set("server_profile_id", str(U64_MAX + 1)))),
        ("time/stale", "timestamp max_drift + 60 s in the past",
         _expect_401_at(lambda drift: -drift - 60)),
        ("time/future", "timestamp max_drift + 60 s in the future",
         _expect_401_at(lambda drift: drift + 60)),
        ("time/extreme-past", "timestamp I64_MIN + 1 (crate DriftOverflow, spec §15)",
         _expect_401(timestamp=I64_MIN + 1)),
        ("time/extreme-future", "timestamp I64_MAX", _expect_401(timestamp=I64_MAX)),
    ]
    for name, comment, bind in unauthorized:
        cases.append(HttpCase(f"http/{name}", comment, u, bind(f"http/{name}")))
    cases += [
        HttpCase("http/profile-id/other-id", "capsule sealed for another profile id", u,
                 _run_other_profile_id("http/profile-id/other-id")),
        HttpCase("http/version/2-disallowed", "genuine version-2 capsule, server allows 1", u,
                 _expect_401(version=2)("http/version/2-disallowed"), _v2_disallowed),
        HttpCase("http/replay/same-capsule", "one capsule sent twice (spec §13)",
                 "200 then 401", _replay_same("http/replay/same-capsule")),
        HttpCase("http/replay/nonce-collision", "same nonce, other payload (spec §13)",
                 "200 then 401", _nonce_collision("http/replay/nonce-collision")),
        HttpCase("http/binding/wrong-exporter", "capsule bound to another exporter key", u,
                 _wrong_exporter("http/binding/wrong-exporter")),
        HttpCase("http/binding/other-tls-connection", "capsule bound to connection A, sent "
                 "on connection B (spec §6)", u,
                 _other_connection_exporter("http/binding/other-tls-connection"), _tls_only),
    ]
    malformed: list[tuple[str, str, Callable[[_Session], bytes], frozenset[int]]] = [
        ("body/not-json", "not JSON", lambda s: b"{version: 1,", _MAL),
        ("body/empty", "empty body", lambda s: b"", _MAL),
        ("body/array", "a JSON array", lambda s: b"[]", _MAL),
        ("body/string", "a JSON string", lambda s: b'"capsule"', _MAL),
        ("body/invalid-utf8", "invalid UTF-8", lambda s: b'{"version":"\xff\xfe"}', _MAL),
        ("body/nan", "NaN as version", _form_text(lambda t: t.replace('"version":1',
                                                                      '"version":NaN')), _MAL),
        ("body/deep-nesting", "100,000 nested arrays", _deep_json, _MAL),
        ("size/over-256-KiB", "300 KiB body", _oversized, frozenset({413})),
        ("type/version-string", 'version "1"', _form_bytes(_set("version", "1")), _MAL),
        ("type/version-float", "version 1.0", _form_text(lambda t: t.replace(
            '"version":1', '"version":1.0')), _MAL),
        ("type/version-bool", "version true", _form_bytes(_set("version", True)), _MAL),
        ("type/header-id-string", "header_id as a string",
         _form_bytes(_set("header_id", "7")), _MAL),
        ("type/profile-id-number", "server_profile_id as a JSON number",
         _form_bytes(lambda f: f.__setitem__("server_profile_id",
                                             int(f["server_profile_id"]))), _MAL),
        ("type/nonce-not-base64", "client_nonce_b64 not base64",
         _form_bytes(_set("client_nonce_b64", "!!!!")), _MAL),
        ("type/nonce-11-bytes", "client_nonce_b64 of 11 bytes",
         _form_bytes(_set("client_nonce_b64", base64.b64encode(bytes(11)).decode())),
         ANY_REJECTION),
        ("type/payload-not-base64", "payload_b64 not base64",
         _form_bytes(_set("payload_b64", "*not base64*")), _MAL),
        ("type/payload-array", "payload as an array", _form_bytes(_set("payload_b64", [1, 2])),
         _MAL),
        ("type/network-context-array", "network_context as an array",
         _form_bytes(_set("network_context", [3, 120])), _MAL),
        ("type/rtt-bucket-string", "rtt_bucket as a string",
         _form_bytes(_set("rtt_bucket", "3", "network_context")), _MAL),
        ("huge/header-id-2^64", "header_id 2^64", _form_bytes(_set("header_id", 2**64)), _MAL),
        ("huge/header-id-negative", "header_id -1", _form_bytes(_set("header_id", -1)), _MAL),
        ("huge/rtt-bucket-256", "rtt_bucket 256",
         _form_bytes(_set("rtt_bucket", 256, "network_context")), _MAL),
        ("huge/path-hint-65536", "path_hint 65536",
         _form_bytes(_set("path_hint", 65536, "network_context")), _MAL),
        ("huge/version-256", "version 256", _form_bytes(_set("version", 256)), _MAL),
        ("huge/exponent", "header_id 1e400", _form_text(lambda t: t.replace(
            '"header_id":7', '"header_id":1e400')), _MAL),
        ("huge/integer-5000-digits", "header_id with 5,000 digits", _form_text(
            lambda t: t.replace('"header_id":7', '"header_id":' + "9" * 5000)), _MAL),
    ]
    for field_name in ("version", "header_id", "client_nonce_b64", "server_profile_id",
                       "network_context", "payload_b64"):
        malformed.append((f"missing/{field_name}", f"no {field_name}",
                          _form_bytes(_delete(field_name)), _MAL))
    for sub_field in ("rtt_bucket", "path_hint"):
        malformed.append((f"missing/network_context.{sub_field}", f"no {sub_field}",
                          _form_bytes(_delete(sub_field, "network_context")), _MAL))
    for name, comment, body, allowed in malformed:
        expected = "413" if allowed == frozenset({413}) else (
            m if allowed == _MAL else "4xx")
        cases.append(HttpCase(f"http/{name}", comment, expected,
                              _expect_status(body, allowed)))
    cases.append(HttpCase("http/unauthorized/identical-bodies", "every 401 above has the "
                          "same bytes and content type", "1 distinct body", _identical_bodies))
    return cases


CASES: list[HttpCase] = _cases()


# --- running ---------------------------------------------------------------------------

def _profile_case(options: HttpSuiteOptions) -> tuple[CaseResult, ServerProfile | None]:
    started = time.monotonic()
    detail = ""
    profile = None
    actual: object = None
    try:
        with HttpConnection(options.base_url, tls=options.tls_options,
                            timeout=options.timeout) as conn:
            response = conn.request("GET", "/ihp/profile")
        actual = {"status": response.status, "body": response.body[:300].decode(
            "utf-8", "replace")}
        detail = _check_profile_document(response)
        if not detail:
            profile = parse_server_profile(response.body)
    except ProfileError as exc:
        detail = str(exc)
    except (OSError, ConnectionError) as exc:
        result = CaseResult("http/profile/document", "GET /ihp/profile", PROFILE,
                            Verdict.CRASH, comment="spec §11 profile document",
                            detail=f"{exc.__class__.__name__}: {exc}",
                            duration_s=time.monotonic() - started)
        return result, None
    verdict = Verdict.FAIL if detail else Verdict.PASS
    return CaseResult("http/profile/document", "GET /ihp/profile", PROFILE, verdict,
                      comment="spec §11 profile document", expected="200 + §11 fields",
                      actual=actual, detail=detail,
                      duration_s=time.monotonic() - started), profile


def _check_profile_document(response: HttpResponse) -> str:
    if response.status != 200:
        return f"expected 200, got {response.status}"
    try:
        doc = json.loads(response.body)
    except ValueError:
        return "not JSON"
    problems = []
    if doc.get("version") != 1 or type(doc.get("version")) is not int:
        problems.append("version is not 1")
    if not isinstance(doc.get("server_profile_id"), str):
        problems.append("server_profile_id is not a decimal string")
    if doc.get("expected_rtt_buckets") != [0, 255]:
        problems.append("expected_rtt_buckets is not [0, 255]")
    if doc.get("supported_aead") != ["AES256GCM"]:
        problems.append('supported_aead is not ["AES256GCM"]')
    if not isinstance(doc.get("note"), str):
        problems.append("note is not a string")
    return "; ".join(problems)


def _run_case(case: HttpCase, session: _Session) -> CaseResult:
    started = time.monotonic()
    operation = "POST /ihp/auth"
    try:
        sents, problem = case.run(session)
    except TimeoutError as exc:
        return CaseResult(case.case_id, operation, PROFILE, Verdict.TIMEOUT, comment=case.comment,
                          expected=case.expected, detail=str(exc),
                          duration_s=time.monotonic() - started)
    except (OSError, ConnectionError) as exc:
        return CaseResult(case.case_id, operation, PROFILE, Verdict.CRASH, comment=case.comment,
                          expected=case.expected, detail=f"{exc.__class__.__name__}: {exc}",
                          duration_s=time.monotonic() - started)
    five_xx = [s.response.status for s in sents if s.response.status >= 500]
    if five_xx and not problem:
        problem = f"5xx answered: {five_xx}"
    actual = [_actual(s) for s in sents[:3]]
    return CaseResult(case.case_id, operation, PROFILE,
                      Verdict.FAIL if problem else Verdict.PASS, comment=case.comment,
                      expected=case.expected, actual=actual[0] if len(actual) == 1 else actual,
                      detail=problem, duration_s=time.monotonic() - started)


def run_http_suite(options: HttpSuiteOptions, only: Sequence[str] = ()) -> RunReport:
    """Every applicable case against the server at `options.base_url`."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.monotonic()
    first, profile = _profile_case(options)
    results = [first]
    notes = [f"mode: {'TLS exporter binding' if options.tls else 'plain-HTTP test mode'}"]
    if profile is not None:
        session = _Session(options, profile)
        for case in CASES:
            if not case.applies(options):
                continue
            if only and not any(fnmatch.fnmatch(case.case_id, glob) for glob in only):
                continue
            results.append(_run_case(case, session))
    else:
        notes.append("no usable profile: the other cases were not run")
    results, deviations = triage(results, Expectations())
    return RunReport(implementation=options.base_url, seed=None, results=results,
                     deviations=deviations,
                     suite="http", profiles=(PROFILE,), started_at=started_at,
                     duration_s=time.monotonic() - clock, notes=notes,
                     command="ihp-conformance http")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ihp-conformance http",
                                     description="IHP-HTTP conformance of a running server")
    parser.add_argument("--base-url", required=True, help="e.g. https://ihp.example:8443")
    key = parser.add_mutually_exclusive_group(required=True)
    key.add_argument("--master-key-hex", help="K_master, 64 hex characters")
    key.add_argument("--master-key-file", help="file with K_master (hex or base64)")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--tls", action="store_true",
                      help="bind capsules to each connection's TLS exporter")
    mode.add_argument("--tls-exporter-hex", help="the server's fixed test exporter key")
    parser.add_argument("--cacert", help="CA bundle for --tls (default: system store)")
    parser.add_argument("--insecure", action="store_true", help="skip certificate checks")
    parser.add_argument("--allowed-versions", default="1",
                        help="versions the server allows (default 1)")
    parser.add_argument("--max-drift", type=int, default=300,
                        help="the server's max_timestamp_drift in seconds (default 300)")
    parser.add_argument("--burst", type=int, default=32, help="concurrent valid requests")
    parser.add_argument("--timeout", type=float, default=10.0, help="per request (s)")
    parser.add_argument("--only", action="append", default=[], metavar="GLOB",
                        help="run only cases whose id matches (repeatable)")
    parser.add_argument("--report-json", metavar="PATH")
    parser.add_argument("--junit", metavar="PATH")
    parser.add_argument("--html", metavar="PATH")
    return parser


def _options(args: argparse.Namespace) -> HttpSuiteOptions:
    from ihp_server import decode_key_text  # hex or base64, one parser

    if args.master_key_hex:
        key = decode_key_text(args.master_key_hex)
    else:
        with open(args.master_key_file, encoding="ascii") as handle:
            key = decode_key_text(handle.read())
    base_url = args.base_url
    if args.tls and not base_url.startswith("https://"):
        raise ValueError("--tls needs an https:// base URL")
    return HttpSuiteOptions(
        base_url=base_url, master=InMemoryKeyProvider(key), tls=args.tls,
        tls_options=TlsOptions(args.cacert, args.insecure),
        test_exporter_key=bytes.fromhex(args.tls_exporter_hex) if args.tls_exporter_hex
        else None,
        allowed_versions=frozenset(int(v) for v in args.allowed_versions.split(",") if v),
        max_drift=args.max_drift, burst=args.burst, timeout=args.timeout)


def main(argv: list[str]) -> int:
    """`ihp-conformance http …` (dispatched by `conformance.cli`)."""
    args = _parser().parse_args(argv)
    try:
        options = _options(args)
        problem = unwritable_report_path(args)
        if problem:
            raise ValueError(problem)
    except (ValueError, OSError) as exc:
        print(f"ihp-conformance http: error: {exc}", file=sys.stderr)
        return 2
    report = run_http_suite(options, args.only)
    print(render_terminal(report))
    try:
        write_report_files(report, args)
    except OSError as exc:
        print(f"ihp-conformance http: error: cannot write a report: {exc}", file=sys.stderr)
        return 2
    return report.exit_status()
