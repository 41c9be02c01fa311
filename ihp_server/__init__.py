"""ihp_server: the IHP v1 HTTP binding (spec §11) around the sans-I/O core in `ihp_ref`.

Starlette app (`create_app`), HTTPS front-end with TLS exporter binding
(`ihp_server.https`), Prometheus exporter for `MetricsSink`, settings and key ring files.

The names below are imported on first use (PEP 562): `ihp-server keygen`, `rotate` and
`check-config` then start without Starlette, Prometheus, OpenTelemetry and X.509 (a third
of the start-up time), which only serving and `make-test-cert` need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._app import INVALID_CREDENTIALS_BODY, MAX_BODY_BYTES, TLS_EXPORTER_EXTENSION, create_app
    from ._auth import Authenticator, AuthOutcome
    from ._certs import ThrowawayCertificate, make_throwaway_certificate
    from ._keyring_file import KeyRingFile, emergency_rotation, planned_rotation
    from ._keysource import KeySource, KeySourceError, decode_key_text, key_id
    from ._metrics import PREVIOUS_KEY_SUCCESS, PrometheusMetricsSink, prometheus_name
    from ._settings import SETTINGS, ServerSettings, SettingsError, load_settings
    from ._tls import EXPORTER_CONTEXT, EXPORTER_LABEL, EXPORTER_LENGTH, export_ihp_key

_MODULE_OF = {  # public name -> the private module defining it
    "EXPORTER_CONTEXT": "._tls",
    "EXPORTER_LABEL": "._tls",
    "EXPORTER_LENGTH": "._tls",
    "INVALID_CREDENTIALS_BODY": "._app",
    "MAX_BODY_BYTES": "._app",
    "PREVIOUS_KEY_SUCCESS": "._metrics",
    "SETTINGS": "._settings",
    "TLS_EXPORTER_EXTENSION": "._app",
    "AuthOutcome": "._auth",
    "Authenticator": "._auth",
    "KeyRingFile": "._keyring_file",
    "KeySource": "._keysource",
    "KeySourceError": "._keysource",
    "PrometheusMetricsSink": "._metrics",
    "ServerSettings": "._settings",
    "SettingsError": "._settings",
    "ThrowawayCertificate": "._certs",
    "create_app": "._app",
    "decode_key_text": "._keysource",
    "emergency_rotation": "._keyring_file",
    "export_ihp_key": "._tls",
    "key_id": "._keysource",
    "load_settings": "._settings",
    "make_throwaway_certificate": "._certs",
    "planned_rotation": "._keyring_file",
    "prometheus_name": "._metrics",
}

__all__ = [
    "EXPORTER_CONTEXT",
    "EXPORTER_LABEL",
    "EXPORTER_LENGTH",
    "INVALID_CREDENTIALS_BODY",
    "MAX_BODY_BYTES",
    "PREVIOUS_KEY_SUCCESS",
    "SETTINGS",
    "TLS_EXPORTER_EXTENSION",
    "AuthOutcome",
    "Authenticator",
    "KeyRingFile",
    "KeySource",
    "KeySourceError",
    "PrometheusMetricsSink",
    "ServerSettings",
    "SettingsError",
    "ThrowawayCertificate",
    "create_app",
    "decode_key_text",
    "emergency_rotation",
    "export_ihp_key",
    "key_id",
    "load_settings",
    "make_throwaway_certificate",
    "planned_rotation",
    "prometheus_name",
]


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # the next lookup does not come here
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
