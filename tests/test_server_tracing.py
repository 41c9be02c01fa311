"""OpenTelemetry spans of POST /ihp/auth (issue 14, docs/RUNBOOK.md "Tracing"): one
`ihp.auth` tree per request with the contract's children and attributes, and no key,
nonce, password, payload, token or exporter bytes anywhere in a span (spec §6, §16),
checked with the SDK's in-memory exporter as test_server_secrets.py checks logs and
metrics."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _independent as indep
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from test_http_suite import run_suite
from test_server_rotation import NEW, NOW, OLD, ring_file
from test_server_secrets import PASSWORD, encodings

from ihp_client import BuiltCapsule, build_capsule_for_password, parse_profile
from ihp_ref import (
    I64_MIN,
    InMemoryKeyProvider,
    capsule_to_http,
    derive_profile_key,
)
from ihp_server import PrometheusMetricsSink, create_app
from ihp_server._tracing import SPAN_NAMES, configure_tracing
from ihp_server.testing import (
    TEST_EXPORTER_HEX,
    TEST_MASTER_KEY_HEX,
    ManualClock,
    asgi_test_client,
    env_hash_for_tests,
    plain_server,
    settings_for_tests,
)

EXPORTER = bytes.fromhex(TEST_EXPORTER_HEX)
DECODE, DERIVE, DECRYPT, REPLAY = ("ihp.auth.decode", "ihp.auth.derive_session_key",
                                   "ihp.auth.decrypt", "ihp.auth.replay_guard")
JSON = {"content-type": "application/json"}


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


def provider_for(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
def rotated(tmp_path: Path, exporter: InMemorySpanExporter) -> Any:
    """A server whose current key is NEW and whose previous key (window open) is OLD."""
    ring = ring_file(tmp_path, NOW + 100)
    settings = settings_for_tests(master_key_hex=None, keyring=str(ring))
    app = create_app(settings, env_hash_for_tests(), clock=ManualClock(NOW),
                     tracer_provider=provider_for(exporter))
    return asgi_test_client(app)


@dataclass
class Sent:
    """One request: what the root span must say, and the children in order."""

    status: int
    outcome: str
    code: str | None
    children: list[tuple[str, str | None]]  # (span name, ihp.key_slot)
    key_slot: str | None = None


def _build(client: Any, key: bytes, **kwargs: Any) -> BuiltCapsule:
    profile = parse_profile(client.get("/ihp/profile").content)
    return build_capsule_for_password(profile, InMemoryKeyProvider(key), EXPORTER, PASSWORD,
                                      rtt_bucket=3, now=kwargs.pop("now", NOW), **kwargs)


def _resealed(built: BuiltCapsule, password: bytes, timestamp: int) -> dict[str, Any]:
    """The capsule's HTTP form resealed under its own session key with another password
    or timestamp (by the independent sealer: the reference refuses such inputs)."""
    capsule = built.capsule
    network = capsule.network_context
    payload = indep.seal(built.session_key.value, capsule.client_nonce.value, capsule.version,
                         capsule.server_profile_id.value, network.rtt_bucket,
                         network.path_hint, env_hash_for_tests().value, password, timestamp,
                         capsule.header_id)
    return dict(capsule_to_http(capsule), payload_b64=base64.b64encode(payload).decode())


def exercise(client: Any) -> tuple[list[Sent], list[bytes]]:
    """Every spec §8 failure HTTP can provoke, bad bodies, HTTP limits, and a success under
    each key of a rotated server; returns what each request must leave and the secrets."""
    sent: list[Sent] = []
    secrets: list[bytes] = []

    def post(body: Any, expect: Sent, **kwargs: Any) -> None:
        if isinstance(body, bytes):
            response = client.post("/ihp/auth", content=body, headers=kwargs.get("headers", JSON))
        else:
            response = client.post("/ihp/auth", json=body)
        assert response.status_code == expect.status, response.content
        if response.status_code == 200:
            secrets.append(response.json()["session_token"].encode())
        sent.append(expect)

    current = [(DERIVE, "current"), (DECRYPT, "current")]
    both = [*current, (DERIVE, "previous-1"), (DECRYPT, "previous-1")]
    new = _build(client, NEW)
    old = _build(client, OLD)
    for built in (new, old):
        secrets += [built.capsule.client_nonce.value, built.capsule.payload,
                    built.session_key.value]
    post(capsule_to_http(new.capsule), Sent(200, "ok", None, [(DECODE, None), *current, (REPLAY, None)], "current"))
    post(capsule_to_http(old.capsule), Sent(200, "ok", None, [(DECODE, None), *both, (REPLAY, None)], "previous-1"))
    post(capsule_to_http(old.capsule), Sent(401, "invalid_credentials", "NonceReuse", [(DECODE, None), *both, (REPLAY, None)]))
    collision = _resealed(old, b"other", NOW)
    post(collision, Sent(401, "invalid_credentials", "NonceCollision", [(DECODE, None), *both, (REPLAY, None)]))
    fresh = _build(client, OLD)
    secrets += [fresh.capsule.client_nonce.value, fresh.session_key.value]
    form = capsule_to_http(fresh.capsule)
    post(dict(form, header_id=form["header_id"] ^ 1), Sent(401, "invalid_credentials", "HeaderIdMismatch", [(DECODE, None), *both]))
    post(_resealed(fresh, PASSWORD, I64_MIN),
         Sent(401, "invalid_credentials", "InvalidTimestamp", [(DECODE, None), *both]))
    over_limit = b"p" * (65536 + 1)  # spec §7.5 step 5: declared length > max_payload_bytes
    post(_resealed(fresh, over_limit, NOW), Sent(401, "invalid_credentials", "Codec", [(DECODE, None), *both]))
    stale = _build(client, OLD, now=NOW - 301)
    secrets += [stale.capsule.client_nonce.value, stale.session_key.value]
    post(capsule_to_http(stale.capsule), Sent(401, "invalid_credentials", "StaleTimestamp", [(DECODE, None), *both]))
    tampered = dict(form, payload_b64=base64.b64encode(bytes(len(fresh.capsule.payload))).decode())
    post(tampered, Sent(401, "invalid_credentials", "InvalidAeadTag", [(DECODE, None), *both]))
    post(dict(form, version=2), Sent(401, "invalid_credentials", "InvalidVersion", [(DECODE, None)]))
    post(dict(form, network_context={"rtt_bucket": 3, "path_hint": 0}), Sent(401, "invalid_credentials", "Codec", [(DECODE, None)]))
    post(dict(form, server_profile_id="042"), Sent(401, "invalid_credentials", "Codec", [(DECODE, None)]))
    post(dict(form, client_nonce_b64=base64.b64encode(bytes(11)).decode()), Sent(422, "bad_request", "InvalidNonceLength", [(DECODE, None)]))
    post(dict(form, header_id="1"), Sent(422, "bad_request", "Codec", [(DECODE, None)]))
    post(dict(form, server_profile_id=42), Sent(422, "bad_request", None, [(DECODE, None)]))
    post(b'{"password":"' + PASSWORD + b'"', Sent(400, "bad_request", None, [(DECODE, None)]))
    post(json.dumps(form).encode("utf-16"), Sent(400, "bad_request", None, [(DECODE, None)]))
    post(b"[1]", Sent(422, "bad_request", None, [(DECODE, None)]))
    post(json.dumps(form).encode(), Sent(415, "unsupported_media_type", None, []), headers={"content-type": "text/plain"})
    post(b"{" + b" " * (256 * 1024) + b"}", Sent(413, "too_large", None, []))
    post(json.dumps(form).encode(), Sent(400, "bad_request", None, []), headers={**JSON, "content-length": "x"})
    profile_keys = [derive_profile_key(InMemoryKeyProvider(key), fresh.capsule.server_profile_id,
                                       env_hash_for_tests()).value for key in (OLD, NEW)]
    return sent, [OLD, NEW, EXPORTER, PASSWORD, *profile_keys, *secrets]


def trees(spans: tuple[ReadableSpan, ...]) -> list[tuple[ReadableSpan, list[ReadableSpan]]]:
    """(root, children in start order) per trace, in the order the requests were made;
    every trace has exactly one `ihp.auth` root and only direct children of it."""
    by_trace: dict[int, list[ReadableSpan]] = {}
    for span in spans:
        assert span.context is not None
        by_trace.setdefault(span.context.trace_id, []).append(span)
    result = []
    for members in by_trace.values():
        roots = [span for span in members if span.parent is None]
        assert [root.name for root in roots] == ["ihp.auth"]
        root = roots[0]
        children = sorted((s for s in members if s is not root), key=lambda s: s.start_time or 0)
        for child in children:
            assert child.parent is not None and root.context is not None
            assert child.parent.span_id == root.context.span_id
            assert child.name in SPAN_NAMES[1:]
        result.append((root, children))
    return sorted(result, key=lambda tree: tree[0].start_time or 0)


def test_each_request_leaves_one_auth_tree_with_the_contract_attributes(
        rotated: Any, exporter: InMemorySpanExporter) -> None:
    sent, _ = exercise(rotated)
    found = trees(exporter.get_finished_spans())
    assert len(found) == len(sent)
    for (root, children), want in zip(found, sent, strict=True):
        attributes = dict(root.attributes or {})
        assert attributes["ihp.outcome"] == want.outcome
        assert attributes["http.response.status_code"] == want.status
        assert attributes.get("ihp.error_code") == want.code
        assert attributes.get("ihp.key_slot") == want.key_slot
        assert [(c.name, (c.attributes or {}).get("ihp.key_slot")) for c in children] == (
            want.children)
        if want.status == 200:
            assert attributes["ihp.version"] == 1 and attributes["ihp.drift_seconds"] == 0
        if want.code in ("NonceReuse", "NonceCollision"):  # the guard's span says so too
            assert (children[-1].attributes or {})["ihp.error_code"] == want.code
        decrypts = [c for c in children if c.name == DECRYPT]
        if want.status == 200 and want.key_slot == "previous-1":  # "not this key" first
            assert (decrypts[0].attributes or {})["ihp.error_code"] == "InvalidAeadTag"
            assert "ihp.error_code" not in (decrypts[1].attributes or {})


def test_no_span_carries_key_nonce_password_payload_token_or_exporter_bytes(
        rotated: Any, exporter: InMemorySpanExporter) -> None:
    _, secrets = exercise(rotated)
    spans = exporter.get_finished_spans()
    values: list[str] = []
    for span in spans:
        values.append(span.to_json())  # name, attributes, events, status, resource
        values += [str(value) for value in (span.attributes or {}).values()]
        for event in span.events:
            values += [event.name, *(str(v) for v in (event.attributes or {}).values())]
    assert len(spans) > 50  # it did trace
    for secret in secrets:
        for text in encodings(secret):
            assert not any(text in value for value in values)


def test_without_a_provider_the_app_makes_no_span_and_still_answers(
        exporter: InMemorySpanExporter) -> None:
    app = create_app(settings_for_tests(), env_hash_for_tests())
    assert not app.state.ihp.spans.on  # no global provider set in the test process
    client = asgi_test_client(app)
    profile = parse_profile(client.get("/ihp/profile").content)
    built = build_capsule_for_password(profile, InMemoryKeyProvider(
        bytes.fromhex(TEST_MASTER_KEY_HEX)), EXPORTER, PASSWORD, rtt_bucket=3)
    assert client.post("/ihp/auth", json=capsule_to_http(built.capsule)).status_code == 200


def _counters(metrics: PrometheusMetricsSink) -> list[str]:
    """The exposition without timestamps and without drift values (the suite's capsules
    are sealed at the wall clock, so their drift may differ by a second between runs)."""
    return [line for line in metrics.exposition().decode().splitlines()
            if not line.startswith("#") and "_created" not in line
            and not line.startswith(("ihp_drift_seconds_bucket", "ihp_drift_seconds_sum"))]


@pytest.mark.slow
def test_the_black_box_suite_leaves_one_tree_per_request_and_the_same_metrics(
        exporter: InMemorySpanExporter) -> None:
    runs: list[PrometheusMetricsSink] = []
    for provider in (provider_for(exporter), None):
        metrics = PrometheusMetricsSink()
        app = create_app(settings_for_tests(), env_hash_for_tests(), metrics=metrics,
                         tracer_provider=provider)
        with plain_server(app) as url:
            report = run_suite(url)
        assert report.exit_status() == 0
        runs.append(metrics)
    requests = sum(sample.value for family in runs[0].registry.collect()
                   if family.name == "ihp_http_responses"
                   for sample in family.samples
                   if sample.name.endswith("_total") and sample.labels["endpoint"] == "auth")
    assert requests > 60
    assert len(trees(exporter.get_finished_spans())) == requests
    assert _counters(runs[0]) == _counters(runs[1])


@pytest.mark.parametrize("environ", [
    {}, {"OTEL_TRACES_EXPORTER": "none"},
    {"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"},
])
def test_tracing_stays_off_unless_the_environment_names_an_exporter(
        environ: dict[str, str]) -> None:
    assert configure_tracing(environ) is None


def test_an_exporter_that_is_not_installed_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="no such span exporter"):
        configure_tracing({"OTEL_TRACES_EXPORTER": "no-such-exporter"})


def test_ihp_server_exports_spans_when_otel_traces_exporter_says_so() -> None:
    # a process of its own: the global tracer provider can be set once per process
    script = (
        "from ihp_server._tracing import configure_tracing\n"
        "from ihp_server import create_app\n"
        "from ihp_server.testing import asgi_test_client, env_hash_for_tests, settings_for_tests\n"
        "print(configure_tracing({'OTEL_TRACES_EXPORTER': 'console'}))\n"
        "client = asgi_test_client(create_app(settings_for_tests(), env_hash_for_tests()))\n"
        "client.post('/ihp/auth', content=b'[]', headers={'content-type': 'application/json'})\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)
    first, _, exported = done.stdout.partition("\n")
    assert first == "console"
    assert '"name": "ihp.auth"' in exported and '"ihp.outcome": "bad_request"' in exported
    assert '"service.name": "ihp-server"' in exported
