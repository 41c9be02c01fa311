"""Wire forms of a capsule (spec §9): JSON (golden fixtures) and binary (bincode-1); the
HTTP binding's form (§9.3) is `_http`.

Every decoder either returns an `IhpCapsule` or raises `IhpError`; nothing else escapes.
"""

from __future__ import annotations

import json
import re
import struct
from itertools import accumulate
from operator import itemgetter
from typing import Any

from ._capsule import IhpCapsule, _decoded_capsule
from ._constants import (
    MAX_BINARY_PAYLOAD_BYTES,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    NONCE_LEN,
)
from ._errors import ErrorCode, IhpError

__all__ = [
    "capsule_from_binary",
    "capsule_from_json",
    "capsule_to_binary",
    "capsule_to_json",
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
_NESTING = {"[": 1, "{": 1, "]": -1, "}": -1}
_FIELDS = itemgetter("version", "header_id", "client_nonce", "server_profile_id",
                     "network_context", "payload")
_NETWORK_FIELDS = itemgetter("rtt_bucket", "path_hint")
# version (u8), header id (u64), profile id (u64), rtt bucket (u8), path hint (u16): packing
# them checks every range at once, in C (Python comparisons are what a fuzzer's tracing
# pays for one by one)
_FIELD_WIDTHS = struct.Struct("<BQQBH")
_BYTE_VALUE = {str(value): value for value in range(256)}  # only "0".."255", as written
_BYTE_TEXT = tuple(str(value) for value in range(256))


def _too_deep(text: str) -> bool:
    """Nesting deeper than 64 levels, found before parsing so that the parser never
    recurses that far (spec §9.1: never a crash or a recursion error).

    C-speed throughout (no Python step per character, which also keeps the fuzzers'
    tracing out of it): drop strings, keep the brackets, and take the highest running sum
    of +1 per opener and -1 per closer. An unbalanced document is the parser's to reject.
    """
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False  # cannot be deeper than the number of openers
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_NESTING.__getitem__, brackets)), default=0) > MAX_JSON_DEPTH


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):  # spec §9.1: duplicate keys are rejected
        raise _Reject
    return obj


class _IntegerToken(str):
    """A JSON integer as written, when the document holds a `-0` or an integer too long
    for `int()` (the parser's `parse_int`; made in C, no Python call per number). Kept as
    text so that those are judged where they are used: as an integer field, `Codec` (`-0`
    is not an unsigned integer: serde_json reads it as the float -0.0); inside an unknown
    key, ignored."""

    __slots__ = ()


class _OtherNumber(str):
    """A JSON number with a fraction or an exponent: never an integer field's value."""

    __slots__ = ()


_ONLY_INTS = frozenset({int})
_ONLY_INTEGER_TOKENS = frozenset({_IntegerToken})


def _reject_constant(_: str) -> Any:
    raise _Reject  # NaN, Infinity, -Infinity: not JSON at all


# integers as Python ints (C's fast path); and integers as tokens, for the rare documents
# the first cannot read exactly
_DECODER = json.JSONDecoder(object_pairs_hook=_object_without_duplicates,
                            parse_float=_OtherNumber, parse_constant=_reject_constant)
_TOKEN_DECODER = json.JSONDecoder(object_pairs_hook=_object_without_duplicates,
                                  parse_int=_IntegerToken, parse_float=_OtherNumber,
                                  parse_constant=_reject_constant)
_BYTES_LIKE = (bytes, bytearray, memoryview)


def _document_text(document: str | bytes) -> str:
    """The document as text: at most 1 MiB of UTF-8 (spec §9.1)."""
    if isinstance(document, _BYTES_LIKE):
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
    if "-0" not in text:  # no integer can read as 0 while being written -0
        try:
            return _DECODER.decode(text)
        except (_Reject, json.JSONDecodeError, RecursionError):
            raise _codec() from None
        except ValueError:  # an integer past int()'s digit limit: valid JSON, look again
            pass
    try:
        return _TOKEN_DECODER.decode(text)
    except (_Reject, ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise _codec() from None


def _json_int(value: object) -> int:
    """An integer field read as a token (a document with a `-0` or an integer too long for
    `int()`): without a sign (so not `-0`) and of at most 20 digits, or `Codec`. Its range
    is checked with the others (`_FIELD_WIDTHS`)."""
    if type(value) is not _IntegerToken or value[0] == "-" or len(value) > 20:
        raise _codec()
    return int(value)


def _json_bytes(value: object) -> bytes:
    """A JSON array of integers 0..=255, checked element by element in C: ints through
    `bytes()` (bools, which it would take as 0 and 1, are kept out by the type check);
    integer tokens through `_BYTE_VALUE`, which holds exactly "0".."255"."""
    if type(value) is not list:
        raise _codec()
    try:
        if _ONLY_INTS.issuperset(map(type, value)):
            return bytes(value)  # ValueError outside 0..=255
        if _ONLY_INTEGER_TOKENS.issuperset(map(type, value)):
            return bytes(map(_BYTE_VALUE.__getitem__, value))  # KeyError: "-0", "256", …
    except (ValueError, KeyError):
        pass
    raise _codec()


# The canonical layout: what `capsule_to_json` writes, what every golden fixture and most
# traffic looks like, and what most fuzzer mutations of them still are. Matched whole:
# the keys in order, no whitespace, no other keys. Integer fields as JSON writes them (no
# sign, no leading zero, ASCII digits only: `\d` would also match other scripts' digits,
# which `int` reads) of at most 20 digits (a u64); the arrays' elements anything made of
# digits, minus signs and commas.
_UINT = r"(0|[1-9][0-9]{0,19})"
_CANONICAL = re.compile(
    r'\{"version":' + _UINT + r',"header_id":' + _UINT + r',"client_nonce":\[([-0-9,]*)\],'
    r'"server_profile_id":' + _UINT + r',"network_context":\{"rtt_bucket":' + _UINT
    + r',"path_hint":' + _UINT + r'\},"payload":\[([-0-9,]*)\]\}')




def _canonical(text: str) -> IhpCapsule | None:
    """The verdict on a document in the canonical layout; None for any other layout (the
    general decoder's to judge). In this layout nothing is left to parse: an array element
    other than "0".."255" as JSON writes them is a negative number (`-0` included), a
    number past 255, or not JSON at all ("", "01", "1-2"): `Codec` every way, as for an
    integer field or a nonce out of range."""
    match = _CANONICAL.fullmatch(text)
    if match is None:
        return None
    version, header_id, nonce, profile_id, rtt, path, payload = match.groups()
    fields = (int(version), int(header_id), int(profile_id), int(rtt), int(path))
    try:
        _FIELD_WIDTHS.pack(*fields)  # each integer within its type, checked in C
        nonce_bytes = bytes(map(_BYTE_VALUE.__getitem__, nonce.split(",")))
        payload_bytes = bytes(map(_BYTE_VALUE.__getitem__, payload.split(","))) if payload else b""
    except (struct.error, KeyError):
        raise _codec() from None
    if len(nonce_bytes) != NONCE_LEN:
        raise _codec()
    return _decoded_capsule(fields[0], fields[1], nonce_bytes, fields[2], fields[3], fields[4],
                            payload_bytes)


def capsule_from_json(document: str | bytes) -> IhpCapsule:
    """Decode the JSON form (spec §9.1). Any failure → `Codec`."""
    text = _document_text(document)
    canonical = _canonical(text)
    if canonical is not None:
        return canonical
    obj = _parse(text)
    if type(obj) is not dict:
        raise _codec()
    try:  # every field at once, in C (KeyError: one is missing)
        version, header_id, nonce, profile_id, network, payload = _FIELDS(obj)
        if type(network) is not dict:
            raise _codec()
        rtt_bucket, path_hint = _NETWORK_FIELDS(network)
    except KeyError:
        raise _codec() from None
    integers: tuple[int, ...] = (version, header_id, profile_id, rtt_bucket, path_hint)
    if not _ONLY_INTS.issuperset(map(type, integers)):  # bools, floats, strings, tokens
        integers = tuple(map(_json_int, integers))
    try:
        _FIELD_WIDTHS.pack(*integers)  # each integer within its type (negative ones too)
    except struct.error:
        raise _codec() from None
    nonce_bytes = _json_bytes(nonce)
    if len(nonce_bytes) != NONCE_LEN:
        raise _codec()
    return _decoded_capsule(integers[0], integers[1], nonce_bytes, integers[2], integers[3],
                            integers[4], _json_bytes(payload))


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
