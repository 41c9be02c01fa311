"""No key, exporter, nonce, password, payload or token bytes in logs, reprs, errors or
metrics (spec §6, §16). Each check looks for every encoding we could plausibly leak."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from ihp_client import AuthResult, build_capsule_for_password, parse_profile
from ihp_ref import InMemoryKeyProvider, capsule_to_http
from ihp_server import KeySource, PrometheusMetricsSink, SettingsError, create_app
from ihp_server._app import ExporterKey
from ihp_server._auth import Answer, AuthOutcome
from ihp_server._logging import LOGGER_NAME, JsonFormatter
from ihp_server.testing import (
    TEST_EXPORTER_HEX,
    TEST_MASTER_KEY_HEX,
    asgi_test_client,
    env_hash_for_tests,
    settings_for_tests,
)

PASSWORD = b"hunter2-very-secret-password"


def encodings(secret: bytes) -> list[str]:
    return [secret.hex(), secret.hex().upper(), base64.b64encode(secret).decode(),
            base64.urlsafe_b64encode(secret).decode().rstrip("="), secret.decode("latin-1")]


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def exercise(client: Any) -> list[bytes]:
    """A valid login, a replay, a tamper, a malformed body; returns the secrets used."""
    profile = parse_profile(client.get("/ihp/profile").content)
    master = InMemoryKeyProvider(bytes.fromhex(TEST_MASTER_KEY_HEX))
    built = build_capsule_for_password(profile, master, bytes.fromhex(TEST_EXPORTER_HEX),
                                       PASSWORD, rtt_bucket=2)
    body = capsule_to_http(built.capsule)
    token = client.post("/ihp/auth", json=body).json()["session_token"]
    client.post("/ihp/auth", json=body)  # replay
    tampered = dict(body, header_id=body["header_id"] ^ 1)
    client.post("/ihp/auth", json=tampered)
    client.post("/ihp/auth", content=b'{"password":"' + PASSWORD + b'"',
                headers={"content-type": "application/json"})
    return [bytes.fromhex(TEST_MASTER_KEY_HEX), bytes.fromhex(TEST_EXPORTER_HEX), PASSWORD,
            built.capsule.client_nonce.value, built.capsule.payload,
            built.session_key.value, token.encode()]


def test_logs_and_metrics_carry_no_secret_material(log_text: io.StringIO) -> None:
    metrics = PrometheusMetricsSink()
    client = asgi_test_client(create_app(settings_for_tests(), env_hash_for_tests(), metrics=metrics))
    secrets = exercise(client)
    logs = log_text.getvalue()
    assert '"event":"auth_ok"' in logs and '"event":"auth_rejected"' in logs  # it did log
    exposition = client.get("/metrics").text
    for secret in secrets:
        for text in encodings(secret):
            assert text not in logs
            assert text not in exposition


def test_reprs_of_settings_outcomes_and_key_sources_hide_secrets() -> None:
    settings = settings_for_tests()
    outcome = AuthOutcome(Answer.OK, token="A" * 43, key_index=0, version=1)
    texts = [repr(settings), str(settings), repr(outcome), repr(ExporterKey(b"\x07" * 32)),
             repr(KeySource.parse("hex:" + TEST_MASTER_KEY_HEX)),
             repr(settings.keyring), repr(AuthResult(200, "B" * 43))]
    joined = "\n".join(texts)
    assert TEST_MASTER_KEY_HEX not in joined
    assert TEST_EXPORTER_HEX not in joined
    assert "A" * 43 not in joined and "B" * 43 not in joined
    assert "07" * 32 not in joined


@pytest.mark.parametrize("flags", [
    {"master_key_hex": "zz" + TEST_MASTER_KEY_HEX[2:]},
    {"master_key_hex": TEST_MASTER_KEY_HEX[:-2]},
    {"test_tls_exporter_hex": "xyz" + TEST_EXPORTER_HEX},
])
def test_configuration_errors_do_not_echo_the_secret(flags: dict[str, Any]) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_for_tests(**flags)
    message = str(caught.value)
    assert TEST_MASTER_KEY_HEX[4:40] not in message
    assert TEST_EXPORTER_HEX[4:] not in message


def test_metric_labels_refuse_values_outside_the_known_sets() -> None:
    metrics = PrometheusMetricsSink()
    with pytest.raises(ValueError):
        metrics.increment("ihp.decrypt.failure", {"code": PASSWORD.decode()})
    with pytest.raises(ValueError):
        metrics.increment("ihp.decrypt.success", {"version": "1", "nonce": "00"})
