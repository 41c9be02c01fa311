"""An independent model of the HTTP form of a capsule (spec §9.3, §11), for http_body.py.

Returns the fields, or the set of error codes the spec allows: `InvalidNonceLength` for a
nonce that is valid base64 of another length than 12, `Codec` for every other defect. When
a body has a bad nonce length *and* another defect, the spec does not order the two checks,
so either code is accepted.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from ihp_fuzz.harness.model import U64_MAX, CapsuleFields

__all__ = ["from_http", "to_http"]

_DECIMAL = re.compile(r"(?:0|[1-9][0-9]*)\Z")  # spec §11: no sign, no leading zeros, no spaces


def to_http(fields: CapsuleFields) -> dict[str, object]:
    """The §9.3 form of a capsule (canonical base64, padded)."""
    return {
        "version": fields.version, "header_id": fields.header_id,
        "client_nonce_b64": base64.b64encode(fields.client_nonce).decode(),
        "server_profile_id": str(fields.server_profile_id),
        "network_context": {"rtt_bucket": fields.rtt_bucket, "path_hint": fields.path_hint},
        "payload_b64": base64.b64encode(fields.payload).decode()}


def _int(value: Any, high: int) -> int | None:
    return value if type(value) is int and 0 <= value <= high else None


def _b64(value: Any) -> bytes | None:
    if type(value) is not str or not value.isascii():
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    # canonical RFC 4648 only: "AQH=" (non-zero padding bits) is not "AQE=" (§9.3 reading)
    return raw if base64.b64encode(raw).decode() == value else None


def _profile_id(value: Any) -> int | None:
    if type(value) is not str or not _DECIMAL.match(value) or int(value) > U64_MAX:
        return None
    return int(value)


def from_http(body: Any) -> CapsuleFields | frozenset[str]:
    """The capsule fields, or the error codes the spec allows for `body`."""
    if not isinstance(body, Mapping):
        return frozenset({"Codec"})
    network = body.get("network_context")
    network = network if isinstance(network, Mapping) else {}
    nonce = _b64(body.get("client_nonce_b64"))
    version, header_id = _int(body.get("version"), 255), _int(body.get("header_id"), U64_MAX)
    profile_id = _profile_id(body.get("server_profile_id"))
    rtt, path = _int(network.get("rtt_bucket"), 255), _int(network.get("path_hint"), 0xFFFF)
    payload = _b64(body.get("payload_b64"))
    bad_nonce_length = nonce is not None and len(nonce) != 12
    if (version is None or header_id is None or profile_id is None or rtt is None
            or path is None or payload is None or nonce is None):
        return frozenset({"Codec", "InvalidNonceLength"} if bad_nonce_length else {"Codec"})
    if bad_nonce_length:
        return frozenset({"InvalidNonceLength"})
    return CapsuleFields(version, header_id, nonce, profile_id, rtt, path, payload)
