"""Metric events of spec §16 through a small sink interface.

The core only reports events; exporters (Prometheus in `ihp_server`) live outside it.
Labels hold versions and telemetry codes only, never key, nonce or password material.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "DECRYPT_FAILURE",
    "DECRYPT_SUCCESS",
    "DECRYPT_TOTAL",
    "DECRYPT_VERSION_REJECTED",
    "DRIFT_REJECTED",
    "DRIFT_SECONDS",
    "ENCRYPT_FAILURE",
    "ENCRYPT_SUCCESS",
    "ENCRYPT_TOTAL",
    "ENCRYPT_VERSION_REJECTED",
    "HEADER_MISMATCH",
    "METRIC_NAMES",
    "NOOP_METRICS",
    "REPLAY_CAPACITY_EXHAUSTED",
    "MetricSpec",
    "MetricsSink",
    "NoopMetrics",
    "RecordingMetrics",
]

ENCRYPT_TOTAL = "ihp.encrypt.total"
DECRYPT_TOTAL = "ihp.decrypt.total"
ENCRYPT_SUCCESS = "ihp.encrypt.success"
DECRYPT_SUCCESS = "ihp.decrypt.success"
ENCRYPT_FAILURE = "ihp.encrypt.failure"
DECRYPT_FAILURE = "ihp.decrypt.failure"
ENCRYPT_VERSION_REJECTED = "ihp.encrypt.version_rejected"
DECRYPT_VERSION_REJECTED = "ihp.decrypt.version_rejected"
HEADER_MISMATCH = "ihp.decrypt.header_mismatch"
DRIFT_REJECTED = "ihp.decrypt.drift_rejected"
DRIFT_SECONDS = "ihp.drift.seconds"
REPLAY_CAPACITY_EXHAUSTED = "ihp.replay.capacity_exhausted"


@dataclass(frozen=True, slots=True)
class MetricSpec:
    kind: str  # "counter" or "histogram"
    labels: tuple[str, ...]
    description: str


# spec §16, as data: exporters and docs read this one table.
METRIC_NAMES: dict[str, MetricSpec] = {
    ENCRYPT_TOTAL: MetricSpec("counter", (), "every encryption attempt"),
    DECRYPT_TOTAL: MetricSpec("counter", (), "every decryption attempt"),
    ENCRYPT_SUCCESS: MetricSpec("counter", ("version",), "successful encryptions"),
    DECRYPT_SUCCESS: MetricSpec("counter", ("version",), "successful decryptions"),
    ENCRYPT_FAILURE: MetricSpec("counter", ("code",), "failed encryptions, by telemetry code"),
    DECRYPT_FAILURE: MetricSpec("counter", ("code",), "failed decryptions, by telemetry code"),
    ENCRYPT_VERSION_REJECTED: MetricSpec("counter", (), "encryptions with InvalidVersion"),
    DECRYPT_VERSION_REJECTED: MetricSpec("counter", (), "decryptions with InvalidVersion"),
    HEADER_MISMATCH: MetricSpec("counter", (), "decryptions with HeaderIdMismatch"),
    DRIFT_REJECTED: MetricSpec("counter", (), "decryptions with StaleTimestamp"),
    DRIFT_SECONDS: MetricSpec("histogram", (), "|now - timestamp| of successful decryptions"),
    REPLAY_CAPACITY_EXHAUSTED: MetricSpec("counter", (), "replay guard full, failed closed"),
}


class MetricsSink(Protocol):
    def increment(self, name: str, labels: Mapping[str, str] | None = None) -> None: ...

    def observe(self, name: str, value: float) -> None: ...


class NoopMetrics:
    """The default sink: does nothing."""

    __slots__ = ()

    def increment(self, name: str, labels: Mapping[str, str] | None = None) -> None:
        pass

    def observe(self, name: str, value: float) -> None:
        pass


NOOP_METRICS = NoopMetrics()


class RecordingMetrics:
    """An in-memory sink for tests: counts by (name, sorted labels), keeps observations."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
        self.observations: dict[str, list[float]] = {}

    def increment(self, name: str, labels: Mapping[str, str] | None = None) -> None:
        self.counts[(name, tuple(sorted((labels or {}).items())))] += 1

    def observe(self, name: str, value: float) -> None:
        self.observations.setdefault(name, []).append(value)

    def count(self, name: str, **labels: str) -> int:
        return self.counts[(name, tuple(sorted(labels.items())))]

    def total(self, name: str) -> int:
        """The count of `name` over every label set."""
        return sum(n for (metric, _), n in self.counts.items() if metric == name)
