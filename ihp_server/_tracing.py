"""OpenTelemetry spans of `POST /ihp/auth` (issue 14; docs/RUNBOOK.md "Tracing").

One root span `ihp.auth` per request, with children for body decoding, each key slot's
K_session derivation and decryption, and the replay guard. Attributes are public values
only (an outcome word, a status, a spec §8 code, a key slot, a version, a drift in
seconds): never a key, nonce, password, payload, token or exporter byte, and no
exception is recorded (its traceback could show local values).

Spans go through the OpenTelemetry API (a dependency of the `server` extra). The SDK and
the OTLP exporter are the optional `otel` extra; `ihp-server` sets them up from the
standard `OTEL_*` variables (`configure_tracing`). When no tracer provider is configured,
the app does not call the API at all (`Spans(None)`): tracing off costs two no-op method
calls per span.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from importlib.metadata import entry_points
from typing import Any

from opentelemetry import trace
from opentelemetry.util.types import AttributeValue

from ihp_ref import IhpError

__all__ = [
    "ATTR_DRIFT_SECONDS",
    "ATTR_ERROR_CODE",
    "ATTR_KEY_SLOT",
    "ATTR_OUTCOME",
    "ATTR_STATUS_CODE",
    "ATTR_VERSION",
    "SPAN_AUTH",
    "SPAN_DECODE",
    "SPAN_DECRYPT",
    "SPAN_DERIVE_SESSION_KEY",
    "SPAN_NAMES",
    "SPAN_REPLAY_GUARD",
    "Spans",
    "configure_tracing",
    "key_slot_name",
    "outcome_word",
    "spans_for",
]

# Names shared with the runbook's troubleshooting procedures: change them only together.
SPAN_AUTH = "ihp.auth"
SPAN_DECODE = "ihp.auth.decode"
SPAN_DERIVE_SESSION_KEY = "ihp.auth.derive_session_key"
SPAN_DECRYPT = "ihp.auth.decrypt"
SPAN_REPLAY_GUARD = "ihp.auth.replay_guard"
SPAN_NAMES = (SPAN_AUTH, SPAN_DECODE, SPAN_DERIVE_SESSION_KEY, SPAN_DECRYPT, SPAN_REPLAY_GUARD)

ATTR_OUTCOME = "ihp.outcome"
ATTR_STATUS_CODE = "http.response.status_code"  # OpenTelemetry semantic conventions
ATTR_ERROR_CODE = "ihp.error_code"
ATTR_KEY_SLOT = "ihp.key_slot"
ATTR_VERSION = "ihp.version"
ATTR_DRIFT_SECONDS = "ihp.drift_seconds"

_OUTCOMES = {200: "ok", 401: "invalid_credentials", 413: "too_large",
             415: "unsupported_media_type"}  # any other 4xx: "bad_request"


def outcome_word(status: int) -> str:
    """`ihp.outcome` for a response status."""
    return _OUTCOMES.get(status, "bad_request")


def key_slot_name(index: int) -> str:
    """`ihp.key_slot`: "current", or "previous-N" for the N-th previous key of the ring."""
    return "current" if index == 0 else f"previous-{index}"


class _Off:
    """Tracing off: a span and its context manager that do nothing."""

    __slots__ = ()

    def __enter__(self) -> _Off:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        pass

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        pass


_OFF = _Off()


class Spans:
    """Starts the app's spans with `tracer`, or none at all when it is None."""

    __slots__ = ("_tracer",)

    def __init__(self, tracer: trace.Tracer | None) -> None:
        self._tracer = tracer

    @property
    def on(self) -> bool:
        return self._tracer is not None

    def span(self, name: str, attributes: Mapping[str, AttributeValue] | None = None,
             kind: trace.SpanKind = trace.SpanKind.INTERNAL) -> Any:
        """A context manager giving the span (current while it runs). An `IhpError`
        passing through it leaves its spec §8 code as `ihp.error_code`."""
        if self._tracer is None:
            return _OFF
        return _span(self._tracer, name, attributes, kind)


@contextlib.contextmanager
def _span(tracer: trace.Tracer, name: str, attributes: Mapping[str, AttributeValue] | None,
          kind: trace.SpanKind) -> Iterator[trace.Span]:
    with tracer.start_as_current_span(name, kind=kind, attributes=attributes,
                                      record_exception=False,
                                      set_status_on_exception=False) as span:
        try:
            yield span
        except IhpError as error:
            span.set_attribute(ATTR_ERROR_CODE, error.code.value)
            raise


def spans_for(provider: trace.TracerProvider | None) -> Spans:
    """The app's spans: from `provider`, else from the global provider when one has been
    set (`configure_tracing`, or the host application's own SDK set-up); else off."""
    if provider is None:
        provider = trace.get_tracer_provider()
        if isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
            return Spans(None)
    return Spans(provider.get_tracer("ihp_server"))


def configure_tracing(environ: Mapping[str, str] = os.environ) -> str | None:
    """Set up the OpenTelemetry SDK as the global tracer provider when the environment
    asks for it: `OTEL_TRACES_EXPORTER` names an exporter ("otlp", "console", or any
    registered in the `opentelemetry_traces_exporter` entry point group) and
    `OTEL_SDK_DISABLED` is not "true" (both read from `environ`). Everything else
    (endpoint, headers, service name, resource attributes, sampler, batch sizes) the SDK
    reads from the process environment's own `OTEL_*` variables; the service name is
    "ihp-server" unless they name one. Returns the exporter's name, or None when tracing
    stays off. Raises `RuntimeError` when an exporter is asked for but the SDK or it is not
    installed."""
    name = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not name or name == "none" or environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise RuntimeError("OTEL_TRACES_EXPORTER is set but the OpenTelemetry SDK is not "
                           "installed (pip install 'ihp-conformance[otel]')") from None
    exporter_class = _exporter_class(name)
    resource = Resource.create()  # OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": "ihp-server"}))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter_class()))
    trace.set_tracer_provider(provider)
    return name


def _exporter_class(name: str) -> Any:
    # "otlp" is the protocol's generic name; the `otel` extra installs its HTTP exporter
    names = (name, "otlp_proto_http", "otlp_proto_grpc") if name == "otlp" else (name,)
    for candidate in names:
        found = entry_points(group="opentelemetry_traces_exporter", name=candidate)
        for entry in found:
            return entry.load()
    raise RuntimeError(f"OTEL_TRACES_EXPORTER={name}: no such span exporter is installed "
                       "(pip install 'ihp-conformance[otel]')")
