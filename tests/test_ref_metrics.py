"""spec §16: metric events, one failure count per failure, labels free of secrets."""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from pathlib import Path

import pytest
from _ref_support import GOLDEN, sealed

import ihp_ref as ihp
from ihp_ref import CapsuleTimestamp, IhpConfig, IhpError

KEY = GOLDEN.session_key()
T0 = GOLDEN.timestamp


def _decrypt(metrics: ihp.RecordingMetrics, now: int = T0, **config: object) -> None:
    with contextlib.suppress(IhpError):  # the outcome is read from the metrics
        ihp.decrypt_capsule(sealed(GOLDEN), GOLDEN.env_hash, KEY, CapsuleTimestamp(now),
                            IhpConfig(**config), metrics=metrics)  # type: ignore[arg-type]


def test_success_counts_total_success_by_version_and_drift() -> None:
    metrics = ihp.RecordingMetrics()
    _decrypt(metrics, now=T0 + 7)
    assert metrics.count("ihp.decrypt.total") == 1
    assert metrics.count("ihp.decrypt.success", version="1") == 1
    assert metrics.observations["ihp.drift.seconds"] == [7]
    assert metrics.total("ihp.decrypt.failure") == 0


@pytest.mark.parametrize("now,config,code,extra", [
    (T0 + 301, {}, "TimestampStale", "ihp.decrypt.drift_rejected"),
    (T0, {"allowed_versions": frozenset({2})}, "VersionUnsupported",
     "ihp.decrypt.version_rejected"),
    (T0, {"max_payload_bytes": 0}, "ConfigRejected", None),
])
def test_each_failure_counts_once_with_its_telemetry_code(
    now: int, config: dict[str, object], code: str, extra: str | None
) -> None:
    metrics = ihp.RecordingMetrics()
    _decrypt(metrics, now, **config)
    assert metrics.count("ihp.decrypt.total") == 1
    assert metrics.total("ihp.decrypt.failure") == 1
    assert metrics.count("ihp.decrypt.failure", code=code) == 1
    if extra:
        assert metrics.count(extra) == 1


def test_encrypt_counts_total_success_and_version_rejection() -> None:
    metrics = ihp.RecordingMetrics()
    args = (IhpConfig(), 44, ihp.ClientNonce(GOLDEN.nonce), ihp.ServerProfileId(1),
            GOLDEN.network, GOLDEN.env_hash, KEY, ihp.PasswordMaterial(b"pw"),
            CapsuleTimestamp(T0))
    # counting changes nothing of the result: the same capsule as without a sink
    assert ihp.encrypt_capsule(1, *args, metrics=metrics) == ihp.encrypt_capsule(1, *args)
    with pytest.raises(IhpError):
        ihp.encrypt_capsule(2, *args, metrics=metrics)
    assert metrics.count("ihp.encrypt.total") == 2
    assert metrics.count("ihp.encrypt.success", version="1") == 1
    assert metrics.count("ihp.encrypt.failure", code="VersionUnsupported") == 1
    assert metrics.count("ihp.encrypt.version_rejected") == 1


def test_metric_table_names_every_spec_metric() -> None:
    assert set(ihp.METRIC_NAMES) == {
        "ihp.encrypt.total", "ihp.decrypt.total", "ihp.encrypt.success", "ihp.decrypt.success",
        "ihp.encrypt.failure", "ihp.decrypt.failure", "ihp.encrypt.version_rejected",
        "ihp.decrypt.version_rejected", "ihp.decrypt.header_mismatch",
        "ihp.decrypt.drift_rejected", "ihp.drift.seconds", "ihp.replay.capacity_exhausted"}


def test_labels_only_ever_hold_versions_and_telemetry_codes() -> None:
    metrics = ihp.RecordingMetrics()
    for now in (T0, T0 + 1_000):
        _decrypt(metrics, now)
    telemetry = {code.telemetry for code in ihp.ErrorCode}
    labels = [label for (_, label_set) in metrics.counts for label in label_set]
    assert labels, "the decryptions above must have produced labelled counts"
    for key, value in labels:
        assert key in {"code", "version"}
        assert value in telemetry if key == "code" else value.isdigit()


def test_a_step0_failure_counted_by_an_adapter_counts_once() -> None:
    metrics = ihp.RecordingMetrics()
    try:
        ihp.ClientNonce(b"short")
    except IhpError as error:
        ihp.count_failed_attempt(metrics, "decrypt", error.code)
    assert metrics.count("ihp.decrypt.total") == 1
    assert metrics.count("ihp.decrypt.failure", code="ConfigRejected") == 1
    assert metrics.total("ihp.decrypt.failure") == 1


# spec §16, each counter's "increments when", per decryption outcome; telemetry codes from
# the §8 table as the spec writes them (tests/test_ref_errors.py checks that table)
_SPEC_EXTRA_COUNTER = {
    "StaleTimestamp": "ihp.decrypt.drift_rejected",
    "HeaderIdMismatch": "ihp.decrypt.header_mismatch",
    "InvalidVersion": "ihp.decrypt.version_rejected",
}
_TELEMETRY = {"InvalidAeadTag": "AeadTagInvalid", "StaleTimestamp": "TimestampStale",
              "HeaderIdMismatch": "HeaderIdMismatch", "InvalidVersion": "VersionUnsupported",
              "Config": "ConfigRejected", "Codec": "CodecError", "NonceReuse": "NonceReuse",
              "NonceCollision": "NonceCollision"}


def _outcome(name: str) -> tuple[ihp.IhpCapsule, int, IhpConfig, ihp.ReplayGuard | None]:
    """A decryption that ends in `name` (an error code, or "success")."""
    capsule, config = sealed(GOLDEN), IhpConfig()
    c = capsule
    if name == "InvalidAeadTag":
        capsule = ihp.IhpCapsule(c.version, c.header_id, c.client_nonce, c.server_profile_id,
                                 c.network_context, bytes([c.payload[0] ^ 1]) + c.payload[1:])
    elif name == "HeaderIdMismatch":  # the clear header id is outside the AAD
        capsule = ihp.IhpCapsule(c.version, c.header_id + 1, c.client_nonce,
                                 c.server_profile_id, c.network_context, c.payload)
    elif name == "InvalidVersion":
        config = IhpConfig(allowed_versions=frozenset({2}))
    elif name == "Config":
        config = IhpConfig(max_payload_bytes=0)
    elif name == "Codec":
        capsule = ihp.IhpCapsule(c.version, c.header_id, c.client_nonce, c.server_profile_id,
                                 ihp.IhpNetworkContext(5, 0), c.payload)
    guard = None
    if name in ("NonceReuse", "NonceCollision"):
        guard = ihp.ReplayGuard()
        first = c if name == "NonceReuse" else sealed(replace(GOLDEN, password=b"another"))
        ihp.decrypt_capsule(first, GOLDEN.env_hash, KEY, CapsuleTimestamp(T0), config, guard)
    now = T0 + 301 if name == "StaleTimestamp" else T0 + 2
    return capsule, now, config, guard


@pytest.mark.parametrize("outcome", ["success", *_TELEMETRY])
def test_each_decryption_outcome_moves_exactly_the_counters_the_spec_names(outcome: str) -> None:
    capsule, now, config, guard = _outcome(outcome)
    metrics = ihp.RecordingMetrics()
    try:
        ihp.decrypt_capsule(capsule, GOLDEN.env_hash, KEY, CapsuleTimestamp(now), config, guard,
                            metrics=metrics)
        code = "success"
    except IhpError as error:
        code = error.code.value
    assert code == outcome
    expected = {("ihp.decrypt.total", ()): 1}
    if outcome == "success":
        expected[("ihp.decrypt.success", (("version", "1"),))] = 1
        assert metrics.observations == {"ihp.drift.seconds": [2]}
    else:
        expected[("ihp.decrypt.failure", (("code", _TELEMETRY[outcome]),))] = 1
        if outcome in _SPEC_EXTRA_COUNTER:
            expected[(_SPEC_EXTRA_COUNTER[outcome], ())] = 1
        assert metrics.observations == {}
    assert dict(metrics.counts) == expected


def test_a_full_replay_guard_counts_capacity_exhausted_once_per_refusal() -> None:
    metrics = ihp.RecordingMetrics()
    guard = ihp.ReplayGuard(capacity=1, metrics=metrics)
    ihp.decrypt_capsule(sealed(GOLDEN), GOLDEN.env_hash, KEY, CapsuleTimestamp(T0), IhpConfig(),
                        guard)
    second = replace(GOLDEN, nonce=b"\x02" * 12)
    other, key = sealed(second), second.session_key()
    for _ in range(2):
        with pytest.raises(IhpError) as caught:
            ihp.decrypt_capsule(other, GOLDEN.env_hash, key, CapsuleTimestamp(T0), IhpConfig(),
                                guard)
        assert caught.value.code is ihp.ErrorCode.NONCE_REUSE
    assert dict(metrics.counts) == {("ihp.replay.capacity_exhausted", ()): 2}


def _spec_metric_table() -> dict[str, tuple[str, tuple[str, ...]]]:
    """metric name → (kind, label names), from the table of spec §16 (the project's copy)."""
    text = (Path(__file__).resolve().parents[1] / "spec" / "ihp-v1.md").read_text("utf-8")
    section = text.split("\n## 16.", 1)[1].split("\n## ", 1)[0]
    table: dict[str, tuple[str, tuple[str, ...]]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`ihp."):
            kind = cells[1].split(",")[0].strip()
            labels = tuple(re.findall(r"label `(\w+)`", cells[1]))
            for name in re.findall(r"`(ihp\.[\w.]+)`", cells[0]):
                table[name] = (kind, labels)
    return table


def test_metric_table_gives_each_metric_the_spec_kind_and_labels() -> None:
    spec = _spec_metric_table()
    assert len(spec) == 12
    assert {name: (m.kind, m.labels) for name, m in ihp.METRIC_NAMES.items()} == spec


@pytest.mark.parametrize("version", [0, 1, 2, 255])
def test_count_decryption_labels_any_u8_version(version: int) -> None:
    # spec §16: `ihp.decrypt.success` by `version`, a capsule's u8
    metrics = ihp.RecordingMetrics()
    ihp.count_decryption(metrics, version, 3)
    assert metrics.count("ihp.decrypt.success", version=str(version)) == 1
    assert metrics.count("ihp.decrypt.total") == 1
    assert metrics.observations["ihp.drift.seconds"] == [3]


@pytest.mark.parametrize("version", [-1, -256, 256, 1000, True, 1.0, "1"])
def test_count_decryption_refuses_a_version_outside_u8_and_counts_nothing(version: int) -> None:
    metrics = ihp.RecordingMetrics()
    with pytest.raises(ValueError, match="is not a u8"):
        ihp.count_decryption(metrics, version, 3)
    assert metrics.total("ihp.decrypt.success") == 0
    assert metrics.total("ihp.decrypt.total") == 0 and not metrics.observations


@pytest.mark.parametrize("operation", ["encrypt", "decrypt"])
def test_count_failed_attempt_counts_the_attempt_and_its_one_failure(operation: str) -> None:
    # spec §16: every attempt counted, every failure exactly once, with its telemetry code
    metrics = ihp.RecordingMetrics()
    ihp.count_failed_attempt(metrics, operation, ihp.ErrorCode.INVALID_VERSION)  # type: ignore[arg-type]
    assert metrics.count(f"ihp.{operation}.total") == 1
    code = ihp.ErrorCode.INVALID_VERSION.telemetry  # spec §8
    assert metrics.count(f"ihp.{operation}.failure", code=code) == 1
    assert metrics.count(f"ihp.{operation}.version_rejected") == 1
