"""ihp_server: the IHP v1 HTTP binding (spec §11) around the sans-I/O core in `ihp_ref`.

Starlette app (`create_app`), HTTPS front-end with TLS exporter binding
(`ihp_server.https`), Prometheus exporter for `MetricsSink`, settings and key ring files.
"""

from ._app import INVALID_CREDENTIALS_BODY, MAX_BODY_BYTES, TLS_EXPORTER_EXTENSION, create_app
from ._auth import Authenticator, AuthOutcome
from ._certs import ThrowawayCertificate, make_throwaway_certificate
from ._keyring_file import KeyRingFile, emergency_rotation, planned_rotation
from ._keysource import KeySource, KeySourceError, decode_key_text, key_id
from ._metrics import PREVIOUS_KEY_SUCCESS, PrometheusMetricsSink, prometheus_name
from ._settings import SETTINGS, ServerSettings, SettingsError, load_settings
from ._tls import EXPORTER_CONTEXT, EXPORTER_LABEL, EXPORTER_LENGTH, export_ihp_key

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
