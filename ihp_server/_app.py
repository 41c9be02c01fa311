"""The Starlette application: GET /ihp/profile, POST /ihp/auth (spec §11), GET /metrics,
GET /healthz. Thin: parsing limits and status codes here, decisions in `Authenticator`.

The TLS exporter key of the client's connection arrives in the ASGI scope as
``scope["extensions"]["ihp.tls_exporter"]["key"]`` (set by `ihp_server.https`); in
plain-HTTP test mode the fixed test key is used instead.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ihp_ref import ReplayGuard, ServerEnvHash

from ._auth import Answer, Authenticator, AuthOutcome
from ._logging import log_event
from ._metrics import PrometheusMetricsSink
from ._settings import ServerSettings
from ._tracing import (
    ATTR_DRIFT_SECONDS,
    ATTR_ERROR_CODE,
    ATTR_KEY_SLOT,
    ATTR_OUTCOME,
    ATTR_STATUS_CODE,
    ATTR_VERSION,
    SPAN_AUTH,
    Spans,
    key_slot_name,
    outcome_word,
    spans_for,
)

__all__ = [
    "INVALID_CREDENTIALS_BODY",
    "MAX_BODY_BYTES",
    "TLS_EXPORTER_EXTENSION",
    "ExporterKey",
    "create_app",
]

MAX_BODY_BYTES = 256 * 1024  # spec §11: larger bodies → 413
TLS_EXPORTER_EXTENSION = "ihp.tls_exporter"
# spec §11: one body for every authentication failure, whatever the cause
INVALID_CREDENTIALS_BODY = b'{"status":"error","reason":"invalid_credentials"}'
_ENDPOINTS = {"/ihp/profile": "profile", "/ihp/auth": "auth", "/metrics": "metrics",
              "/healthz": "healthz"}


class ExporterKey:
    """TLS exported keying material of one connection; never shown in a repr."""

    __slots__ = ("value",)

    def __init__(self, value: bytes) -> None:
        self.value = bytes(value)

    def __repr__(self) -> str:
        return f"ExporterKey(<{len(self.value)} bytes>)"


class _Reject(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(slots=True)
class _State:
    authenticator: Authenticator
    metrics: PrometheusMetricsSink
    spans: Spans
    profile_body: bytes
    test_exporter: bytes | None
    clock: Callable[[], float]


def _error_json(status: int, reason: str) -> Response:
    body = json.dumps({"status": "error", "reason": reason}, separators=(",", ":"))
    return Response(body, status_code=status, media_type="application/json")


def _unauthorized() -> Response:
    return Response(INVALID_CREDENTIALS_BODY, status_code=401, media_type="application/json")


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise _Reject(400, "bad_content_length")
        if int(declared) > MAX_BODY_BYTES:
            raise _Reject(413, "body_too_large")
    media = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if media.lower() != "application/json":
        raise _Reject(415, "unsupported_media_type")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _Reject(413, "body_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


def _exporter_key(request: Request, state: _State) -> bytes | None:
    extension = request.scope.get("extensions", {}).get(TLS_EXPORTER_EXTENSION)
    if extension is not None:
        return bytes(extension["key"].value)
    return state.test_exporter


def _peer(request: Request) -> str:
    return request.client.host if request.client else "-"


async def _answer(request: Request, state: _State) -> tuple[Response, AuthOutcome | None]:
    """The response to a POST /ihp/auth, with the decided outcome when there is one."""
    try:
        body = await _read_body(request)
        outcome = state.authenticator.decide(body, _exporter_key(request, state),
                                             int(state.clock()))
        return _respond(request, outcome), outcome
    except _Reject as reject:  # the HTTP limits of `_read_body`
        return _rejected(request, reject.status, reject.reason), None
    except ClientDisconnect:  # the peer left mid-body: nobody to answer
        log_event("client_disconnected", logging.INFO, peer=_peer(request))
        return Response(status_code=400), None
    except Exception:  # a bug: fail closed, never a 5xx or a traceback to the peer
        log_event("internal_error", logging.ERROR, peer=_peer(request), exc_info=True)
        state.metrics.increment("ihp.http.internal_errors", {"endpoint": "auth"})
        trace.get_current_span().set_status(Status(StatusCode.ERROR, "internal_error"))
        return _unauthorized(), None


def _span_attributes(status: int, outcome: AuthOutcome | None) -> dict[str, str | int]:
    """The root span's attributes: public values only (docs/RUNBOOK.md "Tracing")."""
    attributes: dict[str, str | int] = {ATTR_OUTCOME: outcome_word(status),
                                        ATTR_STATUS_CODE: status}
    if outcome is None:
        return attributes
    if outcome.code is not None:
        attributes[ATTR_ERROR_CODE] = outcome.code.value
    if outcome.key_index is not None:
        attributes[ATTR_KEY_SLOT] = key_slot_name(outcome.key_index)
    if outcome.version is not None:
        attributes[ATTR_VERSION] = outcome.version
    if outcome.drift_seconds is not None:
        attributes[ATTR_DRIFT_SECONDS] = outcome.drift_seconds
    return attributes


def _respond(request: Request, outcome: AuthOutcome) -> Response:
    """The response and the one log event for a decided outcome."""
    answer = outcome.answer
    if outcome.ok:
        log_event("auth_ok", peer=_peer(request), version=outcome.version,
                  key_slot=outcome.key_slot, drift_seconds=outcome.drift_seconds)
        body = json.dumps({"status": "ok", "session_token": outcome.token},
                          separators=(",", ":"))
        return Response(body, media_type="application/json")
    if answer is not Answer.INVALID_CREDENTIALS:
        return _rejected(request, answer.status, answer.reason)
    if outcome.stage == "tls_exporter":  # HTTPS front-end missing: say so in the log
        log_event("tls_exporter_missing", logging.ERROR, peer=_peer(request))
        return _unauthorized()
    code = outcome.code
    log_event("auth_rejected", logging.WARNING, peer=_peer(request), stage=outcome.stage,
              code=code.value if code else None, telemetry=code.telemetry if code else None,
              version=outcome.version)
    return _unauthorized()


def _rejected(request: Request, status: int, reason: str) -> Response:
    """A 4xx other than 401: the body and the log event name the reason."""
    log_event("request_rejected", logging.INFO, peer=_peer(request), status=status,
              reason=reason)
    return _error_json(status, reason)


def _make_handlers(state: _State) -> list[Route]:
    async def profile(request: Request) -> Response:
        return Response(state.profile_body, media_type="application/json")

    async def auth(request: Request) -> Response:
        with state.spans.span(SPAN_AUTH, kind=trace.SpanKind.SERVER) as span:
            response, outcome = await _answer(request, state)
            if state.spans.on:
                span.set_attributes(_span_attributes(response.status_code, outcome))
            return response

    async def metrics(request: Request) -> Response:
        open_keys = state.authenticator.keyring.decryption_providers(int(state.clock()))
        state.metrics.set_gauge("ihp.keyring.previous_keys_open", float(len(open_keys) - 1))
        return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return [
        Route("/ihp/profile", profile, methods=["GET"]),
        Route("/ihp/auth", auth, methods=["POST"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]


class _CountResponses:
    """ASGI middleware: `ihp_http_responses_total{endpoint,status}`."""

    def __init__(self, app: ASGIApp, metrics: PrometheusMetricsSink) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        endpoint = _ENDPOINTS.get(scope.get("path", ""), "other")

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.metrics.increment("ihp.http.responses",
                                       {"endpoint": endpoint, "status": str(message["status"])})
            await send(message)

        await self.app(scope, receive, counting_send)


def profile_document(server_profile_id: int, env_hash: ServerEnvHash, test_mode: bool) -> bytes:
    """spec §11: the body of GET /ihp/profile."""
    note = ("TEST MODE: plain HTTP with a fixed TLS exporter key; not for production"
            if test_mode else "IHP v1 reference server; session keys bind to the TLS exporter "
            "(EXPORTER-IHP-v1, empty context, 32 bytes)")
    return json.dumps({
        "version": 1,
        "server_profile_id": str(server_profile_id),
        "server_env_hash_b64": base64.b64encode(env_hash.value).decode("ascii"),
        "expected_rtt_buckets": [0, 255],
        "supported_aead": ["AES256GCM"],
        "note": note,
    }, separators=(",", ":")).encode("utf-8")


def create_app(settings: ServerSettings, env_hash: ServerEnvHash, *,
               metrics: PrometheusMetricsSink | None = None,
               clock: Callable[[], float] = time.time,
               tracer_provider: trace.TracerProvider | None = None) -> Starlette:
    """The ASGI app for `settings`. `env_hash` comes from host detection (spec §5).
    Spans go to `tracer_provider`, else to the global one if it has been set before
    this call (`configure_tracing`); else there are none."""
    metrics = metrics or PrometheusMetricsSink()
    spans = spans_for(tracer_provider)
    guard = ReplayGuard(capacity=settings.replay_capacity, metrics=metrics)
    authenticator = Authenticator(
        server_profile_id=settings.server_profile_id, env_hash=env_hash,
        keyring=settings.keyring, config=settings.config, replay_guard=guard, metrics=metrics,
        spans=spans)
    state = _State(authenticator, metrics, spans,
                   profile_document(settings.server_profile_id, env_hash, settings.test_mode),
                   settings.test_tls_exporter, clock)
    metrics.set_gauge("ihp.server.test_mode", 1.0 if settings.test_mode else 0.0)
    app = Starlette(routes=_make_handlers(state))
    app.state.ihp = state
    app.add_middleware(_CountResponses, metrics=metrics)
    return app
