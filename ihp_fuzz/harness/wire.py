"""An independent model of the wire forms (spec §9.1 JSON, §9.2 binary).

Used by the decoder harnesses as their oracle and by the custom mutator to take a capsule
apart and put it back together. Shares no code with `ihp_ref`.
"""

from __future__ import annotations

import json
import re
import struct
from typing import Any

from ihp_fuzz.harness.model import U64_MAX, CapsuleFields

__all__ = [
    "BINARY_HEADER_BYTES",
    "JSON_MAX_BYTES",
    "JSON_MAX_DEPTH",
    "MAX_WIRE_PAYLOAD",
    "from_binary",
    "from_json",
    "no_duplicate_keys",
    "to_binary",
    "to_json",
]

BINARY_HEADER_BYTES = 40
MAX_WIRE_PAYLOAD = 4 + 65_536 + 8 + 8 + 16  # spec §9.2: 65,572
JSON_MAX_BYTES = 1 << 20  # spec §9.1: at most 1 MiB
JSON_MAX_DEPTH = 64  # spec §9.1; the top-level object is depth 1 (see FUZZING.md)

_HEADER = struct.Struct("<BQ12sQBHQ")
_FIELD_ORDER = ("version", "header_id", "client_nonce", "server_profile_id",
                "network_context", "payload")


def to_binary(fields: CapsuleFields) -> bytes:
    """Spec §9.2 encoding."""
    return _HEADER.pack(fields.version, fields.header_id, fields.client_nonce,
                        fields.server_profile_id, fields.rtt_bucket, fields.path_hint,
                        len(fields.payload)) + fields.payload


def from_binary(data: bytes) -> CapsuleFields | None:
    """Spec §9.2 decoding; None where the spec says `Codec`."""
    if len(data) < BINARY_HEADER_BYTES:
        return None
    version, header_id, nonce, profile_id, rtt, path, length = _HEADER.unpack_from(data)
    if length > MAX_WIRE_PAYLOAD or length != len(data) - BINARY_HEADER_BYTES:
        return None
    return CapsuleFields(version, header_id, nonce, profile_id, rtt, path,
                         bytes(data[BINARY_HEADER_BYTES:]))


def to_json(fields: CapsuleFields) -> str:
    """Spec §9.1 canonical encoding: compact, keys in spec order."""
    return json.dumps({
        "version": fields.version,
        "header_id": fields.header_id,
        "client_nonce": list(fields.client_nonce),
        "server_profile_id": fields.server_profile_id,
        "network_context": {"rtt_bucket": fields.rtt_bucket, "path_hint": fields.path_hint},
        "payload": list(fields.payload),
    }, separators=(",", ":"))


class _Reject(Exception):
    pass


def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`object_pairs_hook`: spec §9.1 "duplicate keys are rejected" (ValueError), in every
    object of the document, ignored values included (see FUZZING.md)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _reject_constant(_: str) -> Any:
    raise _Reject  # NaN, Infinity, -Infinity: not JSON


class _NotAnInteger:
    """A fraction, an exponent or a very long integer: legal JSON, so legal inside an
    ignored unknown key, never the value of an integer field."""


_NOT_AN_INTEGER = _NotAnInteger()


def _parse_int(digits: str) -> Any:
    # u64 needs 20 digits; longer numbers only matter as "out of range" (and Python
    # refuses to convert more than 4,300 digits). "-0" is not an unsigned integer: the
    # crate's serde_json reads it as the float -0.0 (the reference's reading of §9.1).
    if digits == "-0" or len(digits) > 30:
        return _NOT_AN_INTEGER
    return int(digits)


_DEPTH_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


def _depth_ok(text: str) -> bool:
    """Nesting of arrays/objects <= JSON_MAX_DEPTH, counted outside strings."""
    if text.count("[") + text.count("{") <= JSON_MAX_DEPTH:
        return True  # the depth cannot exceed the number of openers
    depth = 0
    for token in _DEPTH_TOKENS.findall(text):
        if token in ("[", "{"):
            depth += 1
            if depth > JSON_MAX_DEPTH:
                return False
        elif token in ("]", "}"):
            depth -= 1
    return True


_HOOKS: dict[str, Any] = {"object_pairs_hook": no_duplicate_keys,
                          "parse_constant": _reject_constant,
                          "parse_float": lambda _: _NOT_AN_INTEGER}
# made once: json.loads with hooks would build a decoder per call (the mutator calls this
# for every JSON input)
_DECODER = json.JSONDecoder(**_HOOKS)
_CHECKING_DECODER = json.JSONDecoder(parse_int=_parse_int, **_HOOKS)


def _load(text: str) -> Any:
    """json.loads with the model's number rules. The `parse_int` hook (a Python call per
    integer) runs only when an integer could need it: a `-0`, or one too long for int()."""
    if "-0" not in text:
        try:
            return _DECODER.decode(text)
        except json.JSONDecodeError:
            raise
        except ValueError:  # more than 4,300 digits: decode again with the hook
            pass
    return _CHECKING_DECODER.decode(text)


def _int(value: Any, high: int) -> int:
    if type(value) is not int or not 0 <= value <= high:
        raise _Reject
    return value


_INT_ONLY = frozenset({int})


def _byte_list(value: Any) -> bytes:
    if type(value) is not list or not _INT_ONLY.issuperset(map(type, value)):
        raise _Reject  # booleans are ints to bytes(): rejected by the exact type check
    return bytes(value)  # ValueError outside 0..=255


def from_json(data: bytes | str) -> CapsuleFields | None:
    """Spec §9.1 decoding; None where the spec says `Codec`."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        if len(text.encode("utf-8", "surrogatepass")) > JSON_MAX_BYTES or not _depth_ok(text):
            return None
        doc = _load(text)
        if type(doc) is not dict or type(doc.get("network_context")) is not dict:
            return None
        context = doc["network_context"]
        nonce = _byte_list(doc["client_nonce"])
        if len(nonce) != 12:
            return None
        return CapsuleFields(
            _int(doc["version"], 255), _int(doc["header_id"], U64_MAX), nonce,
            _int(doc["server_profile_id"], U64_MAX), _int(context["rtt_bucket"], 255),
            _int(context["path_hint"], 0xFFFF), _byte_list(doc["payload"]))
    except (_Reject, KeyError, ValueError, RecursionError):
        return None
