"""Wire forms of a capsule (spec §9): JSON (golden fixtures), binary (bincode-1), HTTP.

Every decoder either returns an `IhpCapsule` or raises `IhpError`; nothing else escapes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
from collections.abc import Mapping
from typing import Any

from ._capsule import IhpCapsule, _decoded_capsule
from ._constants import (
    MAX_BINARY_PAYLOAD_BYTES,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    NONCE_LEN,
    U8_MAX,
    U16_MAX,
    U64_MAX,
)
from ._errors import ErrorCode, IhpError
from ._values import ClientNonce, IhpNetworkContext, ServerProfileId

__all__ = [
    "capsule_from_binary",
    "capsule_from_http",
    "capsule_from_json",
    "capsule_to_binary",
    "capsule_to_http",
    "capsule_to_json",
    "parse_decimal_u64",
]


class _Reject(Exception):
    """Raised inside the JSON parser's hooks; turned into `Codec`."""


def _codec() -> IhpError:
    return IhpError(ErrorCode.CODEC)


# ---------------------------------------------------------------- JSON (spec §9.1)

# A string may run to the end of the text: an unterminated string (invalid JSON anyway)
# then never makes the regex retry from every later quote (that would be quadratic).
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_AS_PARENS = str.maketrans("[{]}", "(())")


def _too_deep(text: str) -> bool:
    """Nesting deeper than 64 levels, found before parsing so that the parser never
    recurses that far (spec §9.1: never a crash or a recursion error).

    C-speed throughout: drop strings, keep the brackets, then peel the innermost pairs
    with `str.replace`, one level a pass, at most 64 passes. A balanced document (the only
    kind that parses) deeper than 64 levels still has a pair left after 64 passes; an
    unbalanced one is rejected by the parser whatever this returns.
    """
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False  # cannot be deeper than the number of openers
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text)).translate(_AS_PARENS)
    for _ in range(MAX_JSON_DEPTH):
        peeled = brackets.replace("()", "")
        if len(peeled) == len(brackets):
            return False
        brackets = peeled
    return "()" in brackets


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):  # spec §9.1: duplicate keys are rejected
        raise _Reject
    return obj


class _NonInteger:
    """What a JSON number with a fraction or an exponent, or an integer too long for
    Python to convert, decodes to: legal in an unknown key's value (ignored), never an
    integer field's value."""

    __slots__ = ()


_NON_INTEGER = _NonInteger()


def _non_integer(_: str) -> _NonInteger:
    return _NON_INTEGER


def _integer_or_marker(digits: str) -> int | _NonInteger:
    # a field holds at most a u64 (20 digits); longer ones only matter as "not in range".
    # "-0" is not an unsigned integer: serde_json reads it as the float -0.0.
    if len(digits) > 40 or digits == "-0":
        return _NON_INTEGER
    return int(digits)


def _reject_constant(_: str) -> Any:
    raise _Reject  # NaN, Infinity, -Infinity: not JSON at all


def _document_text(document: str | bytes) -> str:
    """The document as text: at most 1 MiB of UTF-8 (spec §9.1)."""
    if isinstance(document, bytes | bytearray | memoryview):
        if len(document) > MAX_JSON_BYTES:
            raise _codec()
        try:
            text = bytes(document).decode("utf-8")
        except UnicodeDecodeError:
            raise _codec() from None
    elif isinstance(document, str):
        text = document
        if len(text) > MAX_JSON_BYTES:
            raise _codec()
        try:  # the document MUST be valid UTF-8: a lone surrogate is not
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError:
            raise _codec() from None
        if size > MAX_JSON_BYTES:
            raise _codec()
    else:
        raise TypeError("a JSON capsule is str or bytes")
    return text


def _parse(text: str) -> Any:
    if _too_deep(text):
        raise _codec()
    if "-0" not in text:  # the fast path: no integer needs a closer look
        try:
            return json.loads(text, object_pairs_hook=_object_without_duplicates,
                              parse_float=_non_integer, parse_constant=_reject_constant)
        except (_Reject, json.JSONDecodeError, RecursionError):
            raise _codec() from None
        except ValueError:  # an integer past Python's digit limit: valid JSON, look again
            pass
    try:
        return json.loads(text, object_pairs_hook=_object_without_duplicates,
                          parse_float=_non_integer, parse_constant=_reject_constant,
                          parse_int=_integer_or_marker)
    except (_Reject, ValueError, RecursionError):
        raise _codec() from None


def _json_int(value: object, high: int) -> int:
    if type(value) is not int or not 0 <= value <= high:  # bools are not JSON integers
        raise _codec()
    return value


def _json_bytes(value: object, maybe_booleans: bool) -> bytes:
    """A JSON array of integers 0..=255. `bytes()` rejects every other element in C,
    except booleans (True is 1 to it): those are looked for only when the document holds
    a `true` or `false` literal at all."""
    if type(value) is not list:
        raise _codec()
    if maybe_booleans and not all(type(b) is int for b in value):
        raise _codec()
    try:
        return bytes(value)  # ValueError outside 0..=255, TypeError for non-integers
    except (ValueError, TypeError):
        raise _codec() from None


def _field(obj: Mapping[str, Any], key: str) -> Any:
    try:
        return obj[key]
    except KeyError:
        raise _codec() from None


# The canonical form (what `capsule_to_json` writes, and what every golden fixture and
# most traffic looks like), matched whole. Numbers as JSON writes them (no sign, no leading
# zero, ASCII digits only: `\d` would also match other scripts' digits, which `int` reads),
# at most 20 digits (a u64; longer ones are the general decoder's to judge).
_UINT = r"(0|[1-9][0-9]{0,19})"
_CANONICAL = re.compile(
    r'\{"version":' + _UINT + r',"header_id":' + _UINT + r',"client_nonce":\[([0-9,]*)\],'
    r'"server_profile_id":' + _UINT + r',"network_context":\{"rtt_bucket":' + _UINT
    + r',"path_hint":' + _UINT + r'\},"payload":\[([0-9,]*)\]\}')
_BYTE_VALUE = {str(value): value for value in range(256)}  # only "0".."255", as written
_BYTE_TEXT = tuple(str(value) for value in range(256))


def _canonical(text: str) -> IhpCapsule | None:
    """The capsule, if `text` is in the canonical form with every value in range; else
    None, and the general decoder decides. This path only ever accepts: a document it
    accepts is one the general decoder accepts, with the same fields."""
    match = _CANONICAL.fullmatch(text)
    if match is None:
        return None
    version, header_id, nonce, profile_id, rtt, path, payload = match.groups()
    try:  # KeyError: an element that is not "0".."255" as JSON writes it (or an empty one)
        nonce_bytes = bytes(map(_BYTE_VALUE.__getitem__, nonce.split(",")))
        payload_bytes = bytes(map(_BYTE_VALUE.__getitem__, payload.split(","))) if payload else b""
    except KeyError:
        return None
    fields = (int(version), int(header_id), int(profile_id), int(rtt), int(path))
    if (len(nonce_bytes) != NONCE_LEN or fields[0] > U8_MAX or fields[1] > U64_MAX
            or fields[2] > U64_MAX or fields[3] > U8_MAX or fields[4] > U16_MAX):
        return None
    return _decoded_capsule(fields[0], fields[1], nonce_bytes, fields[2], fields[3], fields[4],
                            payload_bytes)


def capsule_from_json(document: str | bytes) -> IhpCapsule:
    """Decode the JSON form (spec §9.1). Any failure → `Codec`."""
    text = _document_text(document)
    canonical = _canonical(text)
    if canonical is not None:
        return canonical
    obj = _parse(text)
    maybe_booleans = "true" in text or "false" in text
    if type(obj) is not dict:
        raise _codec()
    network = _field(obj, "network_context")
    if type(network) is not dict:
        raise _codec()
    nonce = _json_bytes(_field(obj, "client_nonce"), maybe_booleans)
    if len(nonce) != NONCE_LEN:
        raise _codec()
    return _decoded_capsule(
        _json_int(_field(obj, "version"), U8_MAX),
        _json_int(_field(obj, "header_id"), U64_MAX),
        nonce,
        _json_int(_field(obj, "server_profile_id"), U64_MAX),
        _json_int(_field(network, "rtt_bucket"), U8_MAX),
        _json_int(_field(network, "path_hint"), U16_MAX),
        _json_bytes(_field(obj, "payload"), maybe_booleans),
    )


def _decimals(data: bytes) -> str:
    return ",".join(map(_BYTE_TEXT.__getitem__, data))


def capsule_to_json(capsule: IhpCapsule) -> str:
    """The canonical JSON form: compact, keys in the spec's order (spec §9.1)."""
    network = capsule.network_context
    return (
        f'{{"version":{capsule.version},"header_id":{capsule.header_id},'
        f'"client_nonce":[{_decimals(capsule.client_nonce.value)}],'
        f'"server_profile_id":{capsule.server_profile_id.value},'
        f'"network_context":{{"rtt_bucket":{network.rtt_bucket},'
        f'"path_hint":{network.path_hint}}},'
        f'"payload":[{_decimals(capsule.payload)}]}}'
    )


# ---------------------------------------------------------------- binary (spec §9.2)

# u8 version ‖ u64 header id ‖ nonce(12) ‖ u64 profile id ‖ u8 rtt ‖ u16 path ‖ u64 length
_BINARY_HEAD = struct.Struct("<BQ12sQBHQ")


def capsule_to_binary(capsule: IhpCapsule) -> bytes:
    """The bincode-1 compatible form: 40 + len(payload) bytes (spec §9.2)."""
    network = capsule.network_context
    head = _BINARY_HEAD.pack(
        capsule.version, capsule.header_id, capsule.client_nonce.value,
        capsule.server_profile_id.value, network.rtt_bucket, network.path_hint,
        len(capsule.payload))
    return head + capsule.payload


def capsule_from_binary(data: bytes) -> IhpCapsule:
    """Decode the binary form. The length prefix is checked before anything is allocated;
    trailing bytes are rejected (the Rust crate ignores them, spec §15)."""
    data = bytes(data) if not isinstance(data, bytes) else data
    if len(data) < _BINARY_HEAD.size:
        raise _codec()
    version, header_id, nonce, profile_id, rtt, path, length = _BINARY_HEAD.unpack_from(data)
    remaining = len(data) - _BINARY_HEAD.size
    if length > MAX_BINARY_PAYLOAD_BYTES or length != remaining:
        raise _codec()
    return _decoded_capsule(version, header_id, nonce, profile_id, rtt, path,
                            data[_BINARY_HEAD.size:])


# ---------------------------------------------------------------- HTTP (spec §9.3)

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


def capsule_from_http(body: Mapping[str, Any]) -> IhpCapsule:
    """Decode the `POST /ihp/auth` body (spec §9.3); a nonce of the wrong length is
    `InvalidNonceLength`, every other defect `Codec`."""
    if not isinstance(body, Mapping):
        raise _codec()
    network = _field(body, "network_context")
    if not isinstance(network, Mapping):
        raise _codec()
    version = _json_int(_field(body, "version"), U8_MAX)
    header_id = _json_int(_field(body, "header_id"), U64_MAX)
    profile_id = parse_decimal_u64(_field(body, "server_profile_id"))
    context = IhpNetworkContext(_json_int(_field(network, "rtt_bucket"), U8_MAX),
                                _json_int(_field(network, "path_hint"), U16_MAX))
    payload = _b64(_field(body, "payload_b64"))
    nonce = ClientNonce(_b64(_field(body, "client_nonce_b64")))
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
