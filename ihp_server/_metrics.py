"""Prometheus exporter for ihp_ref's `MetricsSink` (spec §16).

Names: dots become underscores; counters get `_total` (so `ihp.decrypt.total` is exposed
as `ihp_decrypt_total`, `ihp.decrypt.failure` as `ihp_decrypt_failure_total`). Label values
are telemetry codes and versions only; anything else is refused, so no secret can become
a label by mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase

from ihp_ref import ERROR_TABLE, METRIC_NAMES

from ._connections import CLOSE_REASONS

__all__ = [
    "CONNECTIONS_CLOSED",
    "CONNECTIONS_OPEN",
    "DRIFT_BUCKETS",
    "PREVIOUS_KEY_SUCCESS",
    "SERVER_METRICS",
    "PrometheusMetricsSink",
    "prometheus_name",
]

# seconds; the default drift is 300 and the cap 604,800 (spec §3)
DRIFT_BUCKETS = (0.0, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 3600.0, 86400.0,
                 604800.0)

# Server-level metrics beyond spec §16 (dotted like the spec's): name -> (kind, labels, help)
PREVIOUS_KEY_SUCCESS = "ihp.keyring.previous_key_success"
CONNECTIONS_CLOSED = "ihp.server.connections_closed"
CONNECTIONS_OPEN = "ihp.server.connections_open"
SERVER_METRICS: dict[str, tuple[str, tuple[str, ...], str]] = {
    PREVIOUS_KEY_SUCCESS: ("counter", (), "capsules accepted under a previous master key "
                           "during its transition window (spec §6 rotation)"),
    "ihp.keyring.previous_keys_open": ("gauge", (), "previous master keys whose window is open"),
    "ihp.http.responses": ("counter", ("endpoint", "status"), "HTTP responses by status"),
    "ihp.http.internal_errors": ("counter", ("endpoint",),
                                 "unexpected exceptions (answered fail-closed, never 5xx)"),
    "ihp.server.test_mode": ("gauge", (), "1 when a fixed test TLS exporter key is in use"),
    CONNECTIONS_CLOSED: ("counter", ("reason",), "connections the HTTPS front-end closed "
                         "because a limit bit: a phase deadline, shed (oldest connection "
                         "without a complete request, to admit a new one) or refused "
                         "(every slot busy)"),
    CONNECTIONS_OPEN: ("gauge", (), "connections the HTTPS front-end holds a slot for"),
}

_ALLOWED_LABEL_VALUES: dict[str, frozenset[str] | None] = {
    "code": frozenset(telemetry for telemetry, _ in ERROR_TABLE.values()),
    "version": frozenset(str(v) for v in range(256)),
    "endpoint": frozenset({"profile", "auth", "metrics", "healthz", "other"}),
    "status": frozenset(str(v) for v in range(100, 600)),
    "reason": frozenset(CLOSE_REASONS),
}


def prometheus_name(dotted: str) -> str:
    """`ihp.decrypt.failure` → `ihp_decrypt_failure` (prometheus_client adds `_total`)."""
    return dotted.replace(".", "_")


class PrometheusMetricsSink:
    """A `MetricsSink` backed by its own `CollectorRegistry` (one per server)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self._metrics: dict[str, MetricWrapperBase] = {}
        for name, spec in METRIC_NAMES.items():
            self._register(name, spec.kind, tuple(spec.labels), spec.description)
        for name, (kind, labels, help_text) in SERVER_METRICS.items():
            self._register(name, kind, labels, help_text)
        self._precreate_series()

    def _precreate_series(self) -> None:
        """Zero-valued series for every known label value, so /metrics shows each metric
        of spec §16 from the start and alert expressions never divide by an absent series."""
        for name, metric in self._metrics.items():
            names = tuple(metric._labelnames)
            if names == ("version",):
                for version in ("1", "2"):
                    metric.labels(version=version)
            elif names == ("code",) and name in METRIC_NAMES:
                for code in sorted(_ALLOWED_LABEL_VALUES["code"] or ()):
                    metric.labels(code=code)
            elif names in (("endpoint",), ("reason",)):
                for value in sorted(_ALLOWED_LABEL_VALUES[names[0]] or ()):
                    metric.labels(**{names[0]: value})

    def _register(self, name: str, kind: str, labels: tuple[str, ...], help_text: str) -> None:
        exposed = prometheus_name(name)
        metric: MetricWrapperBase
        if kind == "counter":
            metric = Counter(exposed, help_text, labels, registry=self.registry)
        elif kind == "histogram":
            metric = Histogram(exposed, help_text, labels, registry=self.registry,
                               buckets=DRIFT_BUCKETS)
        else:
            metric = Gauge(exposed, help_text, labels, registry=self.registry)
        self._metrics[name] = metric

    def _child(self, name: str, labels: Mapping[str, str] | None) -> MetricWrapperBase:
        metric = self._metrics[name]  # an unknown name is a programming error: KeyError
        wanted = tuple(metric._labelnames)
        given = dict(labels or {})
        if tuple(sorted(given)) != tuple(sorted(wanted)):
            raise ValueError(f"metric {name} takes labels {wanted}")
        for label, value in given.items():
            allowed = _ALLOWED_LABEL_VALUES.get(label)
            if allowed is not None and value not in allowed:
                raise ValueError(f"metric {name}: label {label} value not allowed")
        return metric.labels(**given) if wanted else metric

    def increment(self, name: str, labels: Mapping[str, str] | None = None) -> None:
        self._child(name, labels).inc()  # type: ignore[attr-defined]

    def observe(self, name: str, value: float) -> None:
        self._child(name, None).observe(value)  # type: ignore[attr-defined]

    def set_gauge(self, name: str, value: float) -> None:
        self._child(name, None).set(value)  # type: ignore[attr-defined]

    def set_gauge_function(self, name: str, read: Callable[[], float]) -> None:
        """The gauge `name` reads `read()` at each scrape: free on the hot path."""
        self._child(name, None).set_function(read)  # type: ignore[attr-defined]

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def __repr__(self) -> str:
        return f"PrometheusMetricsSink({len(self._metrics)} metrics)"
