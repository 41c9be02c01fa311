"""Key ring rotation at the server (spec §6): previous keys accepted until the window
closes, counted in `ihp_keyring_previous_key_success_total`, one decrypt count per request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ihp_client import build_capsule_for_password, parse_profile
from ihp_ref import InMemoryKeyProvider, capsule_to_http
from ihp_server import PrometheusMetricsSink, create_app
from ihp_server.testing import (
    TEST_EXPORTER_HEX,
    ManualClock,
    asgi_test_client,
    env_hash_for_tests,
    settings_for_tests,
)

OLD = bytes(range(32))
NEW = bytes(range(32, 64))
NOW = 1_800_000_000
EXPORTER = bytes.fromhex(TEST_EXPORTER_HEX)


def ring_file(tmp_path: Path, closes_at: int) -> Path:
    (tmp_path / "old.hex").write_text(OLD.hex())
    (tmp_path / "new.hex").write_text(NEW.hex())
    path = tmp_path / "keyring.toml"
    path.write_text(f'current = "file:{tmp_path}/new.hex"\n[[previous]]\n'
                    f'source = "file:{tmp_path}/old.hex"\nwindow_closes_at = {closes_at}\n')
    return path


def client_for(path: Path, clock: ManualClock) -> tuple[Any, PrometheusMetricsSink]:
    metrics = PrometheusMetricsSink()
    settings = settings_for_tests(master_key_hex=None, keyring=str(path))
    app = create_app(settings, env_hash_for_tests(), metrics=metrics, clock=clock)
    return asgi_test_client(app), metrics


def post(client: Any, key: bytes, now: int, **kwargs: Any) -> int:
    profile = parse_profile(client.get("/ihp/profile").content)
    built = build_capsule_for_password(profile, InMemoryKeyProvider(key), EXPORTER, b"pw",
                                       rtt_bucket=1, now=now, **kwargs)
    return client.post("/ihp/auth", json=capsule_to_http(built.capsule)).status_code


def value(metrics: PrometheusMetricsSink, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels or None) or 0.0


def test_previous_key_is_accepted_inside_its_window_and_counted_separately(
        tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    client, metrics = client_for(ring_file(tmp_path, NOW + 100), clock)
    assert post(client, NEW, NOW) == 200
    assert post(client, OLD, NOW) == 200
    assert value(metrics, "ihp_keyring_previous_key_success_total") == 1
    # each request is one decryption attempt, however many keys were tried
    assert value(metrics, "ihp_decrypt_total") == 2
    assert value(metrics, "ihp_decrypt_failure_total", code="AeadTagInvalid") == 0
    assert "ihp_keyring_previous_keys_open 1.0" in client.get("/metrics").text


def test_previous_key_is_rejected_once_the_window_closes(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    client, metrics = client_for(ring_file(tmp_path, NOW + 100), clock)
    clock.now = NOW + 100  # closes_at itself is still open (KeyRing: now <= closes_at)
    assert post(client, OLD, NOW + 100) == 200
    clock.now = NOW + 101
    assert post(client, OLD, NOW + 101) == 401
    assert post(client, NEW, NOW + 101) == 200
    assert value(metrics, "ihp_decrypt_failure_total", code="AeadTagInvalid") == 1
    assert "ihp_keyring_previous_keys_open 0.0" in client.get("/metrics").text


def test_a_stale_capsule_under_the_previous_key_reports_the_stale_cause(
        tmp_path: Path) -> None:
    client, metrics = client_for(ring_file(tmp_path, NOW + 100), ManualClock(NOW))
    assert post(client, OLD, NOW - 1000) == 401
    assert value(metrics, "ihp_decrypt_drift_rejected_total") == 1
    assert value(metrics, "ihp_decrypt_failure_total", code="AeadTagInvalid") == 0
