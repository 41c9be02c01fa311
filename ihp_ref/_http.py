"""The HTTP binding's form of a capsule (spec §9.3, §11): the `POST /ihp/auth` body.

Every decoder either returns an `IhpCapsule` or raises `IhpError`; nothing else escapes.
No shim operation reaches this module: the IHP-HTTP profile tests it over HTTP.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

from ._capsule import IhpCapsule
from ._constants import U8_MAX, U16_MAX, U64_MAX
from ._values import ClientNonce, IhpNetworkContext, ServerProfileId
from ._wire import _codec, _object_without_duplicates, _Reject, _reject_constant

__all__ = [
    "capsule_from_http",
    "capsule_to_http",
    "capsule_to_http_body",
    "parse_decimal_u64",
    "parse_http_body",
]

_DECIMAL_U64 = re.compile(r"(?:0|[1-9][0-9]{0,19})\Z")


def parse_decimal_u64(text: object) -> int:
    """A canonical decimal u64: no sign, no leading zeros, no spaces (spec §11)."""
    if type(text) is not str or not _DECIMAL_U64.match(text):
        raise _codec()
    value = int(text)
    if value > U64_MAX:
        raise _codec()
    return value


def _b64(value: object) -> bytes:
    if type(value) is not str:
        raise _codec()
    try:
        encoded = value.encode("ascii")
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise _codec() from None
    # RFC 4648 §3.5 canonical form only ("QR==" is not "QQ=="), as the Rust base64 crate
    if base64.b64encode(raw) != encoded:
        raise _codec()
    return raw


# The HTTP body's JSON (spec §9.3, §11): numbers as Python reads them (a fraction or an
# exponent is a float, which no integer field takes), the JSON form's rules on duplicate
# keys and NaN; a body is at most 256 KiB (the server's limit), and a document nested past
# the parser's recursion limit is not JSON to it.
_HTTP_DECODER = json.JSONDecoder(object_pairs_hook=_object_without_duplicates,
                                 parse_constant=_reject_constant)


def parse_http_body(body: bytes) -> Any:
    """The JSON value of a `POST /ihp/auth` body, for `capsule_from_http`; `Codec` when
    it is not UTF-8 JSON (spec §9.1 "valid UTF-8 JSON", RFC 8259 §8.1: `json.loads(bytes)`
    would also read UTF-16 and UTF-32, and a UTF-16 capsule would authenticate) or has a
    duplicate key, `NaN` or `Infinity`."""
    try:
        return _HTTP_DECODER.decode(bytes(body).decode("utf-8"))
    except (_Reject, ValueError, RecursionError):  # incl. UnicodeDecodeError, digit limits
        raise _codec() from None


def capsule_from_http(body: Mapping[str, Any]) -> IhpCapsule:
    """Decode the `POST /ihp/auth` body (spec §9.3); a nonce of the wrong length is
    `InvalidNonceLength`, every other defect `Codec`."""
    if not isinstance(body, Mapping):
        raise _codec()
    network = _http_field(body, "network_context")
    if not isinstance(network, Mapping):
        raise _codec()
    version = _http_int(_http_field(body, "version"), U8_MAX)
    header_id = _http_int(_http_field(body, "header_id"), U64_MAX)
    profile_id = parse_decimal_u64(_http_field(body, "server_profile_id"))
    context = IhpNetworkContext(_http_int(_http_field(network, "rtt_bucket"), U8_MAX),
                                _http_int(_http_field(network, "path_hint"), U16_MAX))
    payload = _b64(_http_field(body, "payload_b64"))
    nonce = ClientNonce(_b64(_http_field(body, "client_nonce_b64")))
    return IhpCapsule(version, header_id, nonce, ServerProfileId(profile_id), context, payload)


def capsule_to_http(capsule: IhpCapsule) -> dict[str, Any]:
    """The `POST /ihp/auth` body for a capsule (spec §9.3)."""
    network = capsule.network_context
    return {
        "version": capsule.version,
        "header_id": capsule.header_id,
        "client_nonce_b64": base64.b64encode(capsule.client_nonce.value).decode("ascii"),
        "server_profile_id": str(capsule.server_profile_id.value),
        "network_context": {"rtt_bucket": network.rtt_bucket, "path_hint": network.path_hint},
        "payload_b64": base64.b64encode(capsule.payload).decode("ascii"),
    }


def capsule_to_http_body(capsule: IhpCapsule) -> bytes:
    """The `POST /ihp/auth` body's bytes: `capsule_to_http` as compact UTF-8 JSON."""
    return json.dumps(capsule_to_http(capsule), separators=(",", ":")).encode("utf-8")


def _http_field(obj: Mapping[str, Any], key: str) -> Any:
    try:
        return obj[key]
    except KeyError:
        raise _codec() from None


def _http_int(value: object, high: int) -> int:
    if type(value) is not int or not 0 <= value <= high:  # bools are not JSON integers
        raise _codec()
    return value
