"""ihp_client: the IHP v1 client helper (spec §12) over the HTTP binding (§11), with TLS
exporter binding via pyOpenSSL or the plain-HTTP test mode."""

from ._api import (
    AuthResult,
    BuiltCapsule,
    ProfileError,
    ServerProfile,
    authenticate,
    build_capsule_for_password,
    fetch_profile,
    measure_rtt_bucket,
    parse_profile,
    send_capsule,
)
from ._http import HttpConnection, HttpResponse, TlsOptions
from ._tls import EXPORTER_CONTEXT, EXPORTER_LABEL, EXPORTER_LENGTH, TlsVerificationError

__all__ = [
    "EXPORTER_CONTEXT",
    "EXPORTER_LABEL",
    "EXPORTER_LENGTH",
    "AuthResult",
    "BuiltCapsule",
    "HttpConnection",
    "HttpResponse",
    "ProfileError",
    "ServerProfile",
    "TlsOptions",
    "TlsVerificationError",
    "authenticate",
    "build_capsule_for_password",
    "fetch_profile",
    "measure_rtt_bucket",
    "parse_profile",
    "send_capsule",
]
