#!/usr/bin/env python3
"""server_body: the reference server's own handling of `POST /ihp/auth` (spec §11, §16).

Rule: the Starlette app of `ihp_server`, driven in-process through ASGI, answers every
request once, with 200, 400, 401, 413, 415 or 422: never 500, never an exception out of
the app, never an exception it catches itself (`internal_error`). The status and what
the decryption metrics count are an outcome an independent model of §11 allows
(`ihp_fuzz/harness/server_model.py`): Content-Length not a number → 400, over 256 KiB →
413; a body over 256 KiB → 413; a media type other than application/json → 415; not
UTF-8 JSON → 400; not an object or a non-string profile id → 422; another profile id →
401; a form `capsule_from_http` must reject → 422, counted as a failed decryption (step
0); otherwise 200 exactly when the capsule decrypts under the test key at the server's
clock (§7.5), else 401 counted with the model's code. Every 401 carries the same bytes
and headers: the spec's one `invalid_credentials` body. A 200 carries the §10 token of
the server's clock, and the same request again gets 401 (`NonceReuse`). The response is
counted once under its status, and the request leaves exactly one structured log event
that matches the answer, with public fields only.

Input: ``u8(flags) ‖ u8(content type) ‖ u8(parameter) ‖ u8(split) ‖ body``
(`ihp_fuzz/harness/asgi.py`): Content-Length absent, right, another number or not a
number; a Content-Type from a table; padding to either side of 256 KiB; the body in one
or two `http.request` messages.

A body that is not UTF-8 JSON (RFC 8259 §8.1; spec §9.1 "valid UTF-8 JSON") must get 400
even where `json.loads(bytes)` would read it as UTF-16 or UTF-32 (`non-utf8-json-read`):
this harness found the server doing that (`b"1\\x00"` got 422, a UTF-16 capsule 200).
"""

import asyncio
import json
import logging
import sys
from typing import Any

import atheris

with atheris.instrument_imports(include=["ihp_server", "ihp_ref"]):
    import ihp_ref
    from ihp_server import _app, testing
    from ihp_server._logging import LOGGER_NAME, log_event
    from ihp_server._metrics import PrometheusMetricsSink

from ihp_fuzz.harness import asgi, reference, server_model
from ihp_fuzz.harness.findings import require

__all__ = ["TestOneInput", "main"]

# spec §11: the body of every authentication failure, whatever the cause
INVALID_CREDENTIALS = b'{"status":"error","reason":"invalid_credentials"}'
STATUSES = frozenset({200, 400, 401, 413, 415, 422})
REPLAYED = server_model.Expected(frozenset({(401, "NonceReuse")}))
EVENTS = {200: "auth_ok", 401: "auth_rejected"}  # any other status: request_rejected
# spec §16: the counter each of these failures adds to `ihp.decrypt.failure`
FAILURE_COUNTERS = {"ihp.decrypt.version_rejected": "VersionUnsupported",
                    "ihp.decrypt.header_mismatch": "HeaderIdMismatch",
                    "ihp.decrypt.drift_rejected": "TimestampStale"}


class _Recorder(PrometheusMetricsSink):
    """The server's real sink, keeping this request's increments."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[str, dict[str, str]]] = []

    def increment(self, name: str, labels: Any = None) -> None:
        self.records.append((name, dict(labels or {})))
        super().increment(name, labels)


_EVENTS: list[tuple[str, dict[str, Any], str | None]] = []  # this request's log events


def _recording_log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    error = sys.exc_info()[0]
    _EVENTS.append((event, fields, error.__name__ if error else None))
    log_event(event, level, **fields)


def _test_server() -> tuple[Any, Any]:
    settings = testing.settings_for_tests()
    env_hash = testing.env_hash_for_tests()
    model = (server_model.MASTER_KEY, server_model.EXPORTER_KEY, server_model.SEP,
             server_model.ENV_HASH, str(server_model.PROFILE_ID),
             reference.ref_config(server_model.CONFIG), 0)
    actual = (bytes.fromhex(testing.TEST_MASTER_KEY_HEX),
              bytes.fromhex(testing.TEST_EXPORTER_HEX), tuple(testing.TEST_SEP),
              env_hash.value, str(settings.server_profile_id), settings.config,
              len(settings.keyring.previous))
    if model != actual:
        raise RuntimeError("the test server is not the one ihp_fuzz/harness/server_model.py "
                           "describes")
    return settings, env_hash


SETTINGS, _ENV_HASH = _test_server()
METRICS = _Recorder()
APP = _app.create_app(SETTINGS, _ENV_HASH, metrics=METRICS,
                      clock=testing.ManualClock(server_model.NOW))
AUTHENTICATOR = APP.state.ihp.authenticator
LOOP = asyncio.new_event_loop()  # one loop for the process: asyncio.run per input is slow
_app.log_event = _recording_log_event  # the app's events, then logged as before


def _post(request: asgi.AuthRequest) -> asgi.Reply:
    METRICS.records.clear()
    _EVENTS.clear()
    return LOOP.run_until_complete(asgi.exchange(APP, request))


# the headers of every 401: those of one the server gives for a foreign profile id
UNAUTHORIZED_HEADERS = sorted(_post(asgi.parse_request(
    asgi.encode_request(b'{"server_profile_id":"1"}'))).headers)


def _counted() -> str | None:
    """What the decryption metrics say of this request (None: not counted)."""
    records = [(name, labels) for name, labels in METRICS.records
               if name.startswith("ihp.decrypt.")]
    if not records:
        return None
    names = [name for name, _ in records]
    require(names.count("ihp.decrypt.total") == 1, "metrics-decrypt-total",
            f"{names.count('ihp.decrypt.total')} attempts counted for one request")
    failures = [labels.get("code") for name, labels in records
                if name == "ihp.decrypt.failure"]
    if "ihp.decrypt.success" in names:
        require(names.count("ihp.decrypt.success") == 1 and not failures,
                "metrics-decrypt-success", f"{names}")
        return "ok"
    require(len(failures) == 1, "metrics-decrypt-failure", f"failure labels {failures}")
    for counter, code in FAILURE_COUNTERS.items():
        require(names.count(counter) == (failures[0] == code), f"metrics-{counter}",
                f"failure {failures[0]}, {names.count(counter)} counted")
    return failures[0]


def _check_body(reply: asgi.Reply, expected: server_model.Expected) -> None:
    status = reply.status
    if status == 401:
        require(reply.body == INVALID_CREDENTIALS, "401-body-differs",
                f"{len(reply.body)} bytes")
        require(sorted(reply.headers) == UNAUTHORIZED_HEADERS, "401-headers-differ")
        return
    try:
        document = json.loads(reply.body)
    except ValueError:
        document = None
    if status == 200:
        assert expected.fields is not None  # the model allows a 200 only for a capsule
        require(document == {"status": "ok",
                             "session_token": server_model.session_token(expected.fields)},
                "200-token-differs", "not the spec §10 token at the server's clock")
        return
    require(isinstance(document, dict) and document.get("status") == "error"
            and isinstance(document.get("reason"), str), f"{status}-body-malformed")


def _check_log(status: int, reason: str | None) -> None:
    events = [event for event, _, _ in _EVENTS]
    want = EVENTS.get(status, "request_rejected")
    require(events == [want], f"log-{status}-{'+'.join(events) or 'nothing'}",
            f"want one {want}")
    fields = _EVENTS[0][1]
    if want == "request_rejected":
        require(fields.get("status") == status and fields.get("reason") == reason,
                "log-request-rejected-differs", f"{fields.get('status')}, {status}")
    for value in fields.values():
        require(value is None or type(value) is int or
                (type(value) is str and len(value) <= 64), "log-field-not-public",
                f"{type(value).__name__}")


def _check(reply: asgi.Reply, expected: server_model.Expected) -> None:
    internal = [error for event, _, error in _EVENTS if event == "internal_error"]
    require(not internal, f"internal-error-{internal[0] if internal else ''}",
            "the app caught an exception (answered 401)")
    require(not any(name == "ihp.http.internal_errors" for name, _ in METRICS.records),
            "internal-error-counted")
    status = reply.status
    require(status is not None and reply.complete and not reply.problems,
            "answer-incomplete", f"{reply.problems}")
    require(status in STATUSES, f"status-{status}")
    outcome = (status, _counted())
    if outcome not in expected.outcomes:
        if outcome in expected.non_utf8:
            require(False, "non-utf8-json-read", f"{outcome}: the body is not UTF-8 JSON")
        else:
            allowed = sorted({str(s) for s, _ in expected.outcomes})
            require(False, f"answer-{outcome[0]}-{outcome[1]}-want-{'|'.join(allowed)}",
                    f"allowed {sorted(expected.outcomes, key=str)}")
    responses = [labels for name, labels in METRICS.records if name == "ihp.http.responses"]
    require(responses == [{"endpoint": "auth", "status": str(status)}], "metrics-responses",
            f"{responses}")
    _check_body(reply, expected)
    reason = None
    if status not in EVENTS:
        reason = json.loads(reply.body)["reason"]
    _check_log(status, reason)


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    request = asgi.parse_request(data)
    expected = server_model.expected(request)
    reply = _post(request)
    try:
        _check(reply, expected)
        if reply.status == 200:  # spec §13: the same capsule again is a replay
            _check(_post(request), REPLAYED)
    finally:  # every input starts from an empty guard, even after a finding
        if len(AUTHENTICATOR.replay_guard):
            AUTHENTICATOR.replay_guard = ihp_ref.ReplayGuard(SETTINGS.replay_capacity,
                                                             metrics=METRICS)


def main() -> None:
    logging.getLogger(LOGGER_NAME).disabled = True  # events are checked, not printed
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
