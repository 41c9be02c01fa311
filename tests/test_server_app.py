"""POST /ihp/auth and friends in-process (Starlette TestClient): spec §11, §13, §16."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from ihp_client import ServerProfile, build_capsule_for_password, parse_profile
from ihp_ref import (
    METRIC_NAMES,
    CapsuleTimestamp,
    InMemoryKeyProvider,
    capsule_to_http,
    session_token,
)
from ihp_server import INVALID_CREDENTIALS_BODY, PrometheusMetricsSink, create_app
from ihp_server.testing import (
    TEST_EXPORTER_HEX,
    TEST_MASTER_KEY_HEX,
    ManualClock,
    asgi_test_client,
    env_hash_for_tests,
    settings_for_tests,
)

MASTER = InMemoryKeyProvider(bytes.fromhex(TEST_MASTER_KEY_HEX))
EXPORTER = bytes.fromhex(TEST_EXPORTER_HEX)
NOW = 1_800_000_000


def make_client(clock: ManualClock | None = None, **flags: Any) -> tuple[Any,
                                                                         PrometheusMetricsSink]:
    metrics = PrometheusMetricsSink()
    app = create_app(settings_for_tests(**flags), env_hash_for_tests(), metrics=metrics,
                     clock=clock or ManualClock(NOW))
    return asgi_test_client(app), metrics


def profile_of(client: Any) -> ServerProfile:
    return parse_profile(client.get("/ihp/profile").content)


def form(client: Any, *, master: Any = MASTER, exporter: bytes = EXPORTER,
         password: bytes = b"correct horse", now: int = NOW, **kwargs: Any,
         ) -> tuple[dict[str, Any], Any]:
    built = build_capsule_for_password(profile_of(client), master, exporter, password,
                                       rtt_bucket=4, now=now, **kwargs)
    return capsule_to_http(built.capsule), built


def sample(metrics: PrometheusMetricsSink, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels or None)
    return 0.0 if value is None else value


def test_profile_document_has_the_spec_fields_and_the_servers_env_hash() -> None:
    client, _ = make_client()
    doc = client.get("/ihp/profile").json()
    assert doc["version"] == 1
    assert doc["server_profile_id"] == "42"
    assert base64.b64decode(doc["server_env_hash_b64"]) == env_hash_for_tests().value
    assert doc["expected_rtt_buckets"] == [0, 255]
    assert doc["supported_aead"] == ["AES256GCM"]
    assert "TEST MODE" in doc["note"]


def test_valid_capsule_gets_200_and_the_token_of_spec_10_at_the_server_clock() -> None:
    client, metrics = make_client()
    body, built = form(client, now=NOW - 10)
    response = client.post("/ihp/auth", json=body)
    assert response.status_code == 200
    expected = session_token(built.session_key, built.capsule.client_nonce,
                             CapsuleTimestamp(NOW))
    assert response.json() == {"status": "ok", "session_token": expected}
    assert sample(metrics, "ihp_decrypt_success_total", version="1") == 1
    assert sample(metrics, "ihp_drift_seconds_sum") == 10


def _flip_b64(value: str) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


TAMPERS = {
    "header_id": lambda f: f.update(header_id=f["header_id"] ^ 1),
    "nonce": lambda f: f.update(client_nonce_b64=_flip_b64(f["client_nonce_b64"])),
    "payload": lambda f: f.update(payload_b64=_flip_b64(f["payload_b64"])),
    "rtt_bucket": lambda f: f["network_context"].update(rtt_bucket=5),
    "path_hint": lambda f: f["network_context"].update(path_hint=121),
    "path_hint_zero": lambda f: f["network_context"].update(path_hint=0),
    "version_3": lambda f: f.update(version=3),
    "profile_id_leading_zero": lambda f: f.update(server_profile_id="042"),
    "profile_id_other": lambda f: f.update(server_profile_id="43"),
    "profile_id_space": lambda f: f.update(server_profile_id="42 "),
}


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_every_tampered_field_gets_the_one_401_body(name: str) -> None:
    client, metrics = make_client()
    body, _ = form(client)
    TAMPERS[name](body)
    response = client.post("/ihp/auth", json=body)
    assert response.status_code == 401
    assert response.content == INVALID_CREDENTIALS_BODY
    assert sample(metrics, "ihp_decrypt_total") == 1  # one attempt, counted once


@pytest.mark.parametrize(("offset", "accepted"), [(-300, True), (-301, False), (300, True),
                                                  (301, False)])
def test_drift_window_is_symmetric_and_inclusive(offset: int, accepted: bool) -> None:
    client, metrics = make_client()
    body, _ = form(client, now=NOW + offset)
    assert client.post("/ihp/auth", json=body).status_code == (200 if accepted else 401)
    assert sample(metrics, "ihp_decrypt_drift_rejected_total") == (0 if accepted else 1)


def test_replay_and_nonce_collision_are_rejected_and_told_apart_in_metrics() -> None:
    client, metrics = make_client()
    body, built = form(client)
    assert client.post("/ihp/auth", json=body).status_code == 200
    assert client.post("/ihp/auth", json=body).status_code == 401
    assert sample(metrics, "ihp_decrypt_failure_total", code="NonceReuse") == 1
    # same nonce and session key, other payload: a client nonce reuse (spec §13)
    from ihp_ref import IhpConfig, PasswordMaterial, encrypt_capsule

    capsule = built.capsule
    other = encrypt_capsule(1, IhpConfig(), capsule.header_id, capsule.client_nonce,
                            capsule.server_profile_id, capsule.network_context,
                            env_hash_for_tests(), built.session_key,
                            PasswordMaterial(b"another password"), CapsuleTimestamp(NOW))
    response = client.post("/ihp/auth", json=capsule_to_http(other))
    assert response.content == INVALID_CREDENTIALS_BODY
    assert sample(metrics, "ihp_decrypt_failure_total", code="NonceCollision") == 1


def test_version_2_follows_allowed_versions_not_a_pinned_version() -> None:
    allowing, _ = make_client(allowed_versions="1,2")
    body, _ = form(allowing, version=2)
    assert allowing.post("/ihp/auth", json=body).status_code == 200
    pinned, metrics = make_client()
    body, _ = form(pinned, version=2)
    assert pinned.post("/ihp/auth", json=body).status_code == 401
    assert sample(metrics, "ihp_decrypt_version_rejected_total") == 1


MALFORMED = {
    "not_json": (b"{nope", 400),
    "invalid_utf8": (b'{"a":"\xff"}', 400),
    "nan": (b'{"version":NaN}', 400),
    "duplicate_keys": (b'{"version":1,"version":1}', 400),
    "array": (b"[1,2]", 422),
    "deep": (b"[" * 50_000 + b"]" * 50_000, 400),
    "huge_int": (b'{"version":' + b"9" * 5000 + b"}", 400),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_bodies_get_4xx_never_5xx(name: str) -> None:
    client, metrics = make_client()
    raw, status = MALFORMED[name]
    response = client.post("/ihp/auth", content=raw,
                           headers={"content-type": "application/json"})
    assert response.status_code == status
    assert sample(metrics, "ihp_http_internal_errors_total", endpoint="auth") == 0


@pytest.mark.parametrize("edit", [
    lambda f: f.pop("payload_b64"),
    lambda f: f.update(version="1"),
    lambda f: f.update(version=True),
    lambda f: f.update(header_id=2**64),
    lambda f: f.update(header_id=-1),
    lambda f: f["network_context"].update(rtt_bucket=256),
    lambda f: f.update(client_nonce_b64="AAAA"),
    lambda f: f.update(server_profile_id=42),
    lambda f: f.update(network_context=None),
], ids=["missing", "version_str", "version_bool", "u64_overflow", "negative", "u8_overflow",
        "nonce_length", "profile_id_number", "context_null"])
def test_wrong_types_and_ranges_get_422(edit: Any) -> None:
    client, metrics = make_client()
    body, _ = form(client)
    edit(body)
    assert client.post("/ihp/auth", json=body).status_code == 422
    # a capsule form that does not decode is a failed attempt (step 0 of spec §7.5),
    # counted once (spec §16) with its telemetry code; a profile id that is not even a
    # string is refused before any capsule is read
    counted = 0 if isinstance(body.get("server_profile_id"), int) else 1
    assert sample(metrics, "ihp_decrypt_total") == counted
    failures = (sample(metrics, "ihp_decrypt_failure_total", code="CodecError")
                + sample(metrics, "ihp_decrypt_failure_total", code="ConfigRejected"))
    assert failures == counted


def test_body_over_256_kib_gets_413_and_other_media_types_415() -> None:
    client, _ = make_client()
    big = b'{"pad":"' + b"a" * (256 * 1024) + b'"}'
    assert client.post("/ihp/auth", content=big,
                       headers={"content-type": "application/json"}).status_code == 413
    body, _ = form(client)
    assert client.post("/ihp/auth", content=json.dumps(body),
                       headers={"content-type": "text/plain"}).status_code == 415


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-32-be"])
def test_bodies_that_are_not_utf8_get_400_even_when_they_are_json(encoding: str) -> None:
    # found by the server_body fuzzer: json.loads(bytes) reads UTF-16/32, and a valid
    # capsule sent as UTF-16 authenticated
    client, _ = make_client()
    body, _ = form(client)
    response = client.post("/ihp/auth", content=json.dumps(body).encode(encoding),
                           headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert client.post("/ihp/auth", content=b"1\x00",
                       headers={"content-type": "application/json"}).status_code == 400


def test_an_unexpected_exception_fails_closed_with_401_and_is_counted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    client, metrics = make_client()
    body, _ = form(client)

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("ihp_server._auth.Authenticator.decide", boom)
    response = client.post("/ihp/auth", json=body)
    assert response.status_code == 401
    assert response.content == INVALID_CREDENTIALS_BODY
    assert sample(metrics, "ihp_http_internal_errors_total", endpoint="auth") == 1


def test_metrics_endpoint_exposes_every_spec_16_metric_with_exporter_names() -> None:
    client, _ = make_client()
    good, _ = form(client)
    bad, _ = form(client)
    bad["header_id"] ^= 1
    client.post("/ihp/auth", json=good)
    client.post("/ihp/auth", json=bad)
    text = client.get("/metrics").text
    for dotted, spec in METRIC_NAMES.items():
        name = dotted.replace(".", "_")
        if spec.kind == "counter":
            name = name if name.endswith("_total") else name + "_total"
            assert f"\n{name}" in text or text.startswith(name), name
        else:
            assert f"\n{name}_bucket" in text, name
    assert "ihp_decrypt_total 2.0" in text
    assert "ihp_encrypt_total 0.0" in text
    assert 'ihp_decrypt_header_mismatch_total 1.0' in text
    assert 'ihp_http_responses_total{endpoint="auth",status="401"} 1.0' in text


def test_healthz_answers_ok() -> None:
    client, _ = make_client()
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/ihp/auth").status_code == 405
