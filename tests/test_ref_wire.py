"""spec §9: the JSON, binary and HTTP forms and every decoding rule."""

from __future__ import annotations

import base64
import json
import re

import _independent as indep
import pytest
from _ref_support import GOLDEN, sealed
from hypothesis import given
from hypothesis import strategies as st

import ihp_ref as ihp
from ihp_ref import ErrorCode, IhpError

CAPSULE = sealed(GOLDEN)
CANONICAL = ihp.capsule_to_json(CAPSULE)


def _codec(fn: object) -> ErrorCode:
    with pytest.raises(IhpError) as info:
        fn()  # type: ignore[operator]
    return info.value.code


def _doc(**changes: object) -> str:
    obj = json.loads(CANONICAL)
    obj.update(changes)
    return json.dumps(obj)


# ------------------------------------------------------------------ JSON §9.1

def test_canonical_json_is_compact_and_ordered() -> None:
    keys = list(json.loads(CANONICAL))
    assert keys == ["version", "header_id", "client_nonce", "server_profile_id",
                    "network_context", "payload"]
    assert " " not in CANONICAL and json.dumps(json.loads(CANONICAL),
                                                            separators=(",", ":")) == CANONICAL


def test_json_accepts_whitespace_unknown_keys_and_any_key_order() -> None:
    obj = json.loads(CANONICAL)
    shuffled = {"unknown": {"nested": [1, {"x": None}]}, **dict(reversed(list(obj.items())))}
    assert ihp.capsule_from_json(json.dumps(shuffled, indent=4)) == CAPSULE


@pytest.mark.parametrize("value", ["1.5", "1e3", "-0.0", "9" * 5000, "[1.5, {\"a\": 2e-3}]"])
def test_json_ignores_any_json_number_inside_unknown_keys(value: str) -> None:
    assert ihp.capsule_from_json(CANONICAL[:-1] + ',"unknown":' + value + "}") == CAPSULE


def _outcome(document: str) -> object:
    try:
        return ihp.capsule_from_json(document)
    except IhpError as error:
        return error.code


_U64_EDGES = st.sampled_from([0, 1, 9, 10, 255, 256, 65_535, 65_536, 2**63, 2**64 - 1, 2**64,
                              10**20, 10**21])
_ELEMENTS = st.lists(st.integers(0, 300) | st.sampled_from([255, 256, 999, 1000]), max_size=20)


@given(version=st.integers(0, 300), header_id=_U64_EDGES | st.integers(0, 2**64),
       nonce=st.lists(st.integers(0, 260), min_size=10, max_size=14),
       profile_id=_U64_EDGES, rtt=st.integers(0, 260), path=st.integers(0, 70_000),
       payload=_ELEMENTS)
def test_json_canonical_fast_path_agrees_with_the_general_decoder(
        version: int, header_id: int, nonce: list[int], profile_id: int, rtt: int, path: int,
        payload: list[int]) -> None:
    # written by the stdlib encoder, not by ihp_ref; a leading space is still the same JSON
    # document but not the canonical text, so it takes the general decoder
    text = json.dumps({"version": version, "header_id": header_id, "client_nonce": nonce,
                       "server_profile_id": profile_id,
                       "network_context": {"rtt_bucket": rtt, "path_hint": path},
                       "payload": payload}, separators=(",", ":"))
    assert _outcome(text) == _outcome(" " + text)
    in_range = (version <= 255 and header_id < 2**64 and len(nonce) == 12
                and max(nonce + payload, default=0) <= 255 and profile_id < 2**64
                and rtt <= 255 and path <= 65_535)
    assert isinstance(_outcome(text), ihp.IhpCapsule) == in_range


@pytest.mark.parametrize("number", ["01", "00", "-0", "-1", "", "256", "1" * 21, "0" * 21,
                                    "1.0", "1e2", "\u0661", "٣", "-", "--1", "1-2",
                                    "0-", "1,,2", ",", "1,", "9" * 5000])
@pytest.mark.parametrize("where", range(7))
def test_json_non_canonical_numbers_get_the_general_decoders_verdict(number: str,
                                                                     where: int) -> None:
    # the where-th number of the golden canonical text (version, header id, the first nonce
    # byte, profile id, rtt, path hint, the first payload byte) written in a form the canonical text never uses
    spans = [m.span() for m in re.finditer(r"[0-9]+", CANONICAL)]
    starts = [0, 1, 2, 14, 15, 16, 17]  # those numbers' places among all the numbers
    start, end = spans[starts[where]]
    text = CANONICAL[:start] + number + CANONICAL[end:]
    assert _outcome(text) == _outcome(" " + text)


def test_json_accepts_bytes_input() -> None:
    assert ihp.capsule_from_json(CANONICAL.encode()) == CAPSULE


@pytest.mark.parametrize("document", [
    "", "null", "[]", '"x"', "{", CANONICAL + "x", CANONICAL[:-1],
    _doc(version=1.0), _doc(version=1e0), _doc(version="1"), _doc(version=True),
    _doc(version=256), _doc(version=-1), _doc(header_id=2**64), _doc(server_profile_id=-1),
    _doc(client_nonce=[1] * 11), _doc(client_nonce=[1] * 13), _doc(client_nonce=[256] * 12),
    _doc(client_nonce=[True] * 12), _doc(client_nonce="AQEBAQEBAQEBAQEB"),
    _doc(payload=[-1]), _doc(payload=[1.5]), _doc(payload=None),
    _doc(payload=["7"]), _doc(payload=[1.0]), _doc(payload=[False]), _doc(payload=[[1]]),
    _doc(client_nonce=["1"] * 12), _doc(version=[1]), _doc(header_id={"a": 1}),
    _doc(payload=[1, 2, 10**30]), _doc(payload=[1, 2, 255, 256]),
    _doc(network_context={"rtt_bucket": 256, "path_hint": 120}),
    _doc(network_context={"rtt_bucket": 5, "path_hint": 65_536}),
    _doc(network_context={"rtt_bucket": 5}), _doc(network_context=[5, 120]),
    CANONICAL.replace('"version":1', '"version":NaN'),
    CANONICAL.replace('"version":1', '"version":Infinity'),
    CANONICAL.replace('"version":1', '"version":1,"version":1'),
    CANONICAL.replace('"rtt_bucket":5', '"rtt_bucket":5,"rtt_bucket":5'),
    CANONICAL.replace('"header_id":44', '"header_id":' + "9" * 5000),
    "\ufeff" + CANONICAL,
])
def test_json_decoding_rules_reject_with_codec(document: str) -> None:
    assert _codec(lambda: ihp.capsule_from_json(document)) is ErrorCode.CODEC


@pytest.mark.parametrize("key", ["version", "header_id", "client_nonce", "server_profile_id",
                                 "network_context", "payload"])
def test_json_every_field_is_required(key: str) -> None:
    obj = json.loads(CANONICAL)
    del obj[key]
    assert _codec(lambda: ihp.capsule_from_json(json.dumps(obj))) is ErrorCode.CODEC


def test_json_nesting_up_to_64_levels_is_accepted_and_65_rejected() -> None:
    def nested(depth: int) -> str:  # the capsule object itself is level 1
        inner = "[" * (depth - 1) + "]" * (depth - 1)
        return CANONICAL[:-1] + ',"extra":' + inner + "}"
    assert ihp.capsule_from_json(nested(64)) == CAPSULE
    assert _codec(lambda: ihp.capsule_from_json(nested(65))) is ErrorCode.CODEC


def test_json_very_deep_nesting_is_codec_not_recursion_error() -> None:
    assert _codec(lambda: ihp.capsule_from_json("[" * 200_000)) is ErrorCode.CODEC


def test_json_many_brackets_only_inside_strings_are_no_nesting_at_all() -> None:
    document = CANONICAL[:-1] + ',"x":"' + "[" * 70 + "{" * 70 + '"}'
    assert ihp.capsule_from_json(document) == CAPSULE
    assert _codec(lambda: ihp.capsule_from_json('"' + "[" * 70 + '"')) is ErrorCode.CODEC


def test_json_brackets_inside_strings_do_not_count_as_nesting() -> None:
    document = CANONICAL[:-1] + ',"extra":"' + "[{" * 100 + '\\"' + '"}'
    assert ihp.capsule_from_json(document) == CAPSULE


@pytest.mark.parametrize("field", ["version", "header_id", "server_profile_id"])
def test_json_minus_zero_is_not_an_unsigned_integer(field: str) -> None:
    document = CANONICAL.replace(f'"{field}":', f'"{field}":-0,"_was":', 1)
    assert _codec(lambda: ihp.capsule_from_json(document)) is ErrorCode.CODEC


def test_json_minus_zero_inside_unknown_keys_is_ignored() -> None:
    assert ihp.capsule_from_json(CANONICAL[:-1] + ',"unknown":[-0]}') == CAPSULE


def test_json_depth_scan_is_linear_on_unterminated_strings() -> None:
    # was quadratic: a 44 KB document took 11 s; this one (1 MiB) must come back at once.
    # Run in a thread so that a regression fails the test instead of hanging the suite.
    import threading
    document = "[]" * 40 + "{}" * 30 + '"' + '\\"' * 349_000
    outcome: list[ErrorCode] = []
    worker = threading.Thread(
        target=lambda: outcome.append(_codec(lambda: ihp.capsule_from_json(document))),
        daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert outcome == [ErrorCode.CODEC]


def test_json_over_one_mebibyte_is_codec() -> None:
    padding = " " * (1 << 20)
    assert _codec(lambda: ihp.capsule_from_json(CANONICAL + padding)) is ErrorCode.CODEC
    multibyte = CANONICAL[:-1] + ',"x":"' + "é" * (1 << 19) + '"}'  # < 1 Mi chars, > 1 MiB
    assert _codec(lambda: ihp.capsule_from_json(multibyte)) is ErrorCode.CODEC


@pytest.mark.parametrize("kind", [str, bytes, bytearray, memoryview])
def test_json_of_exactly_one_mebibyte_is_accepted_and_one_byte_more_is_codec(kind: type) -> None:
    # spec §9.1: at most 1 MiB, whichever type carries the document
    exact = CANONICAL + " " * ((1 << 20) - len(CANONICAL))

    def document(text: str) -> object:
        return text if kind is str else kind(text.encode())
    assert ihp.capsule_from_json(document(exact)) == CAPSULE  # type: ignore[arg-type]
    assert _codec(lambda: ihp.capsule_from_json(document(exact + " "))) is ErrorCode.CODEC  # type: ignore[arg-type]


@pytest.mark.parametrize("document", [None, 5, ["{}"], {"version": 1}])
def test_json_of_a_document_neither_text_nor_bytes_is_a_type_error(document: object) -> None:
    with pytest.raises(TypeError):
        ihp.capsule_from_json(document)  # type: ignore[arg-type]


def test_json_invalid_utf8_is_codec() -> None:
    assert _codec(lambda: ihp.capsule_from_json(b'{"x":"\xff"}')) is ErrorCode.CODEC
    # a text holding a lone surrogate has no UTF-8 form (spec §9.1: valid UTF-8 JSON)
    lone = CANONICAL[:-1] + ',"x":"\ud800"}'
    assert _codec(lambda: ihp.capsule_from_json(lone)) is ErrorCode.CODEC


# ------------------------------------------------------------------ binary §9.2

def test_binary_form_matches_the_independent_layout() -> None:
    expected = indep.binary_form(1, 44, GOLDEN.nonce, 1, 5, 120, CAPSULE.payload)
    assert ihp.capsule_to_binary(CAPSULE) == expected
    assert len(expected) == 40 + len(CAPSULE.payload)


def test_binary_round_trip() -> None:
    assert ihp.capsule_from_binary(ihp.capsule_to_binary(CAPSULE)) == CAPSULE


@pytest.mark.parametrize("mutate", [
    lambda b: b[:39], lambda b: b[:-1], lambda b: b + b"\x00", lambda b: b"",
    lambda b: b[:32] + (65_573).to_bytes(8, "little") + b[40:],
    lambda b: b[:32] + (2**64 - 1).to_bytes(8, "little") + b[40:],
])
def test_binary_decoding_rules_reject_with_codec(mutate: object) -> None:
    data = mutate(ihp.capsule_to_binary(CAPSULE))  # type: ignore[operator]
    assert _codec(lambda: ihp.capsule_from_binary(data)) is ErrorCode.CODEC


def test_binary_accepts_the_largest_payload_and_rejects_one_more() -> None:
    def form(length: int) -> bytes:
        return indep.binary_form(1, 1, bytes(12), 1, 1, 1, bytes(length))
    assert len(ihp.capsule_from_binary(form(65_572)).payload) == 65_572
    assert _codec(lambda: ihp.capsule_from_binary(form(65_573))) is ErrorCode.CODEC



def _near_canonical(text: str) -> list[str]:
    """Documents one slip away from canonical text, none of them JSON: a stray character
    at every place, and every integer field followed by a letter."""
    slips = [text[:i] + junk + text[i:] for i in range(len(text) + 1) for junk in "X+.-"]
    return [*slips, re.sub(r'(":)([0-9]+)', r"\1\2X", text)]


def test_json_a_slip_from_the_canonical_layout_is_codec() -> None:
    # the fast path must accept only what the general decoder accepts: JSON
    for text in _near_canonical(ihp.capsule_to_json(
            ihp.IhpCapsule(1, 44, CAPSULE.client_nonce, CAPSULE.server_profile_id,
                           ihp.IhpNetworkContext(5, 120), b"\x00\x01\xff"))):
        assert _outcome(text) is ErrorCode.CODEC, text

# ------------------------------------------------------------------ HTTP §9.3

def test_http_round_trip() -> None:
    body = ihp.capsule_to_http(CAPSULE)
    assert body["server_profile_id"] == "1"
    assert ihp.capsule_from_http(json.loads(json.dumps(body))) == CAPSULE


def test_http_nonce_of_wrong_length_is_invalid_nonce_length() -> None:
    body = ihp.capsule_to_http(CAPSULE) | {"client_nonce_b64": base64.b64encode(b"n" * 11).decode()}
    assert _codec(lambda: ihp.capsule_from_http(body)) is ErrorCode.INVALID_NONCE_LENGTH


@pytest.mark.parametrize("changes", [
    {"server_profile_id": "01"}, {"server_profile_id": "+1"}, {"server_profile_id": " 1"},
    {"server_profile_id": 1}, {"server_profile_id": str(2**64)}, {"payload_b64": "***"},
    {"payload_b64": "QQ"}, {"payload_b64": "QR=="}, {"payload_b64": "QQ==\n"},
    {"client_nonce_b64": 5}, {"version": "1"}, {"header_id": -1},
    {"network_context": None},
])
def test_http_form_rejects_malformed_fields_with_codec(changes: dict[str, object]) -> None:
    body = ihp.capsule_to_http(CAPSULE) | changes
    assert _codec(lambda: ihp.capsule_from_http(body)) is ErrorCode.CODEC


@pytest.mark.parametrize("text,value", [("0", 0), ("18446744073709551615", 2**64 - 1)])
def test_decimal_u64_accepts_canonical_extremes(text: str, value: int) -> None:
    assert ihp.parse_decimal_u64(text) == value


def test_http_body_round_trips_through_its_bytes() -> None:
    capsule = sealed(GOLDEN)
    body = ihp.capsule_to_http_body(capsule)
    assert ihp.capsule_from_http(ihp.parse_http_body(body)) == capsule


@pytest.mark.parametrize("body", [
    '{"a":1}'.encode("utf-16"), b"1\x00", b'{"a":1,"a":2}', b'{"a":NaN}', b'[Infinity]',
    b"\xef\xbb\xbf{}", b"{", b"\xff", b"[" * 100_000,
])
def test_parse_http_body_reads_only_utf8_json_without_duplicates_or_nan(body: bytes) -> None:
    with pytest.raises(IhpError) as caught:
        ihp.parse_http_body(body)
    assert caught.value.code is ErrorCode.CODEC


@pytest.mark.parametrize("text", [str(2**64), "99999999999999999999", "00", "-0", "+1",
                                  " 1", "1 ", "", "٣", "1e3", "123456789012345678901"])
def test_decimal_u64_rejects_everything_but_a_canonical_u64_with_codec(text: str) -> None:
    assert _codec(lambda: ihp.parse_decimal_u64(text)) is ErrorCode.CODEC


@pytest.mark.parametrize("value", [18, None, b"1", 1.0])
def test_decimal_u64_of_a_non_string_is_codec(value: object) -> None:
    assert _codec(lambda: ihp.parse_decimal_u64(value)) is ErrorCode.CODEC


@pytest.mark.parametrize("field,value", [("version", -1), ("version", 256), ("header_id", -1),
                                         ("header_id", 2**64)])
def test_http_integer_out_of_range_is_codec_before_the_nonce_is_read(field: str,
                                                                     value: int) -> None:
    body = ihp.capsule_to_http(CAPSULE) | {field: value, "client_nonce_b64": "AAAA"}
    assert _codec(lambda: ihp.capsule_from_http(body)) is ErrorCode.CODEC


def test_http_profile_id_past_u64_is_codec_before_the_nonce_is_read() -> None:
    # the id is decoded before the nonce, whose wrong length alone is InvalidNonceLength
    body = ihp.capsule_to_http(CAPSULE) | {"server_profile_id": str(2**64),
                                           "client_nonce_b64": "AAAA"}
    assert _codec(lambda: ihp.capsule_from_http(body)) is ErrorCode.CODEC
    body["server_profile_id"] = "1"
    assert _codec(lambda: ihp.capsule_from_http(body)) is ErrorCode.INVALID_NONCE_LENGTH


@pytest.mark.parametrize("field", ["header_id", "server_profile_id"])
def test_a_twenty_digit_u64_reads_exactly_in_a_document_holding_a_minus_zero(field: str) -> None:
    # "-0" anywhere sends the document to the token decoder (an unknown member here, which
    # §9.1 ignores); there a u64 has up to 20 digits, and 21 are out of range
    doc = json.loads(ihp.capsule_to_json(CAPSULE))
    for value, expected in ((2**64 - 1, 2**64 - 1), (10**19, 10**19), (2**64, None),
                            (10**20, None)):
        text = json.dumps({**doc, field: value, "note": -0}).replace('"note": 0', '"note": -0')
        assert "-0" in text
        if expected is None:
            assert _codec(lambda t=text: ihp.capsule_from_json(t)) is ErrorCode.CODEC
        else:
            capsule = ihp.capsule_from_json(text)
            got = capsule.header_id if field == "header_id" else capsule.server_profile_id.value
            assert got == expected


def test_http_integers_at_zero_are_accepted() -> None:
    capsule = ihp.IhpCapsule(0, 0, CAPSULE.client_nonce, CAPSULE.server_profile_id,
                             ihp.IhpNetworkContext(0, 0), CAPSULE.payload)
    assert ihp.capsule_from_http(ihp.capsule_to_http(capsule)) == capsule


def test_http_integers_at_their_types_maximum_are_accepted() -> None:
    capsule = ihp.IhpCapsule(255, 2**64 - 1, CAPSULE.client_nonce,
                             ihp.ServerProfileId(2**64 - 1), ihp.IhpNetworkContext(255, 65_535),
                             CAPSULE.payload)
    assert ihp.capsule_from_http(ihp.capsule_to_http(capsule)) == capsule


@pytest.mark.parametrize("body", [[], "body", None, 5, [("version", 1)]])
def test_http_body_that_is_not_an_object_is_codec(body: object) -> None:
    assert _codec(lambda: ihp.capsule_from_http(body)) is ErrorCode.CODEC  # type: ignore[arg-type]
