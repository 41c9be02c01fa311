"""Spec §15 divergences as predicates over a shim request, and the questions the spec leaves
open (docs/INTERPRETATIONS.md).

Each divergence of the original Rust crate becomes one question about a request's inputs:
*could an implementation with this divergence give a different outcome here?* The answer is
computed from the arguments alone (shim-protocol encodings), so that vector cases,
generated cases and fuzz inputs carry the same flags and one expectations entry
(`{"flag": "JsonStructAsArray", ...}`) covers them all. A predicate may say yes where the
divergent implementation happens to agree (an expectations entry by flag then counts the
case as passing), never no where it could differ: `tests/test_divergences.py` runs one
mutant per row and checks that every case it fails carries the row's flag.

Predicates never raise: fuzz inputs reach them with arguments of any shape.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ._enc import I64_MAX, I64_MIN

__all__ = [
    "DIVERGENCES",
    "OPEN_QUESTIONS",
    "Divergence",
    "OpenQuestion",
    "divergence_flags",
    "explains",
    "flags_of_steps",
    "json_depth",
    "open_questions",
]

JSON_MAX_BYTES = 1 << 20  # spec §9.1
JSON_MAX_DEPTH = 64  # spec §9.1; the capsule object is level 1 (docs/INTERPRETATIONS.md)
BINARY_MAX_LENGTH = 65_572  # spec §9.2
_BINARY_HEADER = 40  # spec §9.2: the fixed fields and the u64 length prefix
_AAD_DOMAIN = b"IHP_CAPSULE_AAD:v1"  # spec §7.2

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")

Args = Mapping[str, Any]
Predicate = Callable[[str, Args], bool]


@dataclass(frozen=True, slots=True)
class Divergence:
    """One row of spec §15 that a shim request can exhibit: where (`applies`) and how
    (`outcomes`: the (expected, provided) outcome pairs it can cause, `"*"` for any;
    outcomes are spec §8 codes or `"success"`). A crash is possible for every row."""

    flag: str
    section: str  # where the spec states the rule the crate breaks
    title: str
    applies: Predicate
    outcomes: frozenset[tuple[str, str]]

    def explains(self, expected: str, provided: str) -> bool:
        """Can this divergence turn `expected` into `provided`?"""
        return any(want in ("*", expected) and got in ("*", provided)
                   for want, got in self.outcomes)  # fmt: skip


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    """A row of docs/INTERPRETATIONS.md whose vectors say "not tested": an implementation
    that answers such a request differently from the reference is never failed for it."""

    question_id: str
    title: str
    applies: Predicate


# ---------------------------------------------------------------- reading arguments


def _as_dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _hex_bytes(value: object) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def _int(value: object) -> int | None:
    """A shim integer: a JSON number or a decimal string."""
    if type(value) is int:
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit() and len(value) < 60:
        return int(value)
    return None


def _json_text(args: Args) -> str | None:
    text = args.get("json")
    return text if isinstance(text, str) else None


def _parse_lenient(text: str) -> object:
    """The document as a lenient decoder reads it (duplicate keys kept as pairs), or None."""
    try:
        return json.loads(text, object_pairs_hook=_Pairs)
    except (ValueError, RecursionError):
        return None


class _Pairs(tuple[tuple[str, Any], ...]):
    """A JSON object as its (key, value) pairs, duplicates kept (a tuple: never mistaken
    for a JSON array)."""


def _values_of(obj: object, key: str) -> list[object]:
    return [v for k, v in obj if k == key] if isinstance(obj, _Pairs) else []


# a JSON string: to its closing quote, or to the end of the text when unterminated
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*\\?(?:"|\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = str.maketrans({"[": "1", "{": "1", "]": "0", "}": "0"})


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text`, strings skipped; the outermost
    container is level 1. Works on any text, JSON or not (spec §9.1's rule is about depth
    whatever else is wrong with the document). Regular expressions, not a loop over the
    characters: depth bombs are hundreds of kilobytes and every run flags them."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)).translate(_DEPTH_STEP)
    depth = deepest = 0
    for run in re.finditer(r"1+|0+", brackets):  # runs of openings and closings
        size = run.end() - run.start()
        if brackets[run.start()] == "1":
            depth += size
            deepest = max(deepest, depth)
        else:
            depth -= size
    return deepest


# ---------------------------------------------------------------- the predicates


def _config_names_v2(config: object) -> bool:
    versions = _as_dict(config).get("allowed_versions")
    return isinstance(versions, list) and any(type(v) is int and v == 2 for v in versions)


def _capsule_version(value: object) -> int | None:
    return _int(_as_dict(value).get("version"))


def _v2_not_compiled(op: str, args: Args) -> bool:
    """A configuration or a capsule naming version 2 (spec §15 V2NotCompiled)."""
    if _config_names_v2(args.get("config")):
        return True
    if op == "encrypt_capsule":
        return _int(args.get("version")) == 2
    if op in ("decrypt_capsule", "capsule_to_json", "capsule_to_binary"):
        return _capsule_version(args.get("capsule")) == 2
    if op == "capsule_from_binary":
        data = _hex_bytes(args.get("hex"))
        return bool(data) and data[0] == 2  # type: ignore[index]
    if op == "capsule_from_json":
        text = _json_text(args)
        document = None if text is None else _parse_lenient(text)
        if isinstance(document, list):
            return bool(document) and document[0] == 2 and type(document[0]) is int
        return any(type(v) is int and v == 2 for v in _values_of(document, "version"))
    return False


def _embedded_timestamp(args: Args) -> int | None:
    """The timestamp inside a decryption's capsule, when its payload opens under the
    request's own key (spec §7.5 steps 4-5); None otherwise."""
    capsule = _as_dict(args.get("capsule"))
    network = _as_dict(capsule.get("network_context"))
    key, nonce = _hex_bytes(args.get("session_key")), _hex_bytes(capsule.get("client_nonce"))
    env_hash, payload = _hex_bytes(args.get("env_hash")), _hex_bytes(capsule.get("payload"))
    fields = (_int(capsule.get("version")), _int(capsule.get("server_profile_id")),
              _int(network.get("rtt_bucket")), _int(network.get("path_hint")))  # fmt: skip
    if key is None or nonce is None or env_hash is None or payload is None or None in fields:
        return None
    try:
        aad = _AAD_DOMAIN + struct.pack("<BQBH", *fields) + env_hash
        plaintext = AESGCM(key).decrypt(nonce, payload, aad)
    except (InvalidTag, ValueError, OverflowError, struct.error, TypeError):
        return None
    if len(plaintext) < 20:
        return None
    timestamp: int = struct.unpack_from("<q", plaintext, len(plaintext) - 16)[0]
    return timestamp


def _drift_overflow(op: str, args: Args) -> bool:
    """`now − timestamp` (or its absolute value) outside i64: the crate's
    `(now - ts).abs()` panics or wraps (spec §7.5 step 8, §15 DriftOverflow)."""
    if op != "decrypt_capsule":
        return False
    now = _int(args.get("now"))
    if now is None or not I64_MIN < now <= I64_MAX:  # rejected at step 0 by everyone
        return False
    timestamp = _embedded_timestamp(args)
    if timestamp is None or timestamp == I64_MIN:
        return False
    return not I64_MIN < now - timestamp <= I64_MAX


def _binary_length(args: Args) -> tuple[int, int] | None:
    """(declared payload length, bytes after the header) of a binary-form capsule."""
    data = _hex_bytes(args.get("hex"))
    if data is None or len(data) < _BINARY_HEADER:
        return None
    declared: int = struct.unpack_from("<Q", data, _BINARY_HEADER - 8)[0]
    return declared, len(data) - _BINARY_HEADER


def _bincode_trailing(op: str, args: Args) -> bool:
    """Bytes after the payload that the length prefix declares (spec §9.2)."""
    lengths = _binary_length(args) if op == "capsule_from_binary" else None
    return lengths is not None and lengths[0] < lengths[1]


def _bincode_huge_length(op: str, args: Args) -> bool:
    """A length prefix past 65,572 (spec §9.2): the crate allocates for it."""
    lengths = _binary_length(args) if op == "capsule_from_binary" else None
    return lengths is not None and lengths[0] > BINARY_MAX_LENGTH


def _json_too_deep(op: str, args: Args) -> bool:
    text = _json_text(args) if op == "capsule_from_json" else None
    if text is None or text.count("[") + text.count("{") <= JSON_MAX_DEPTH:
        return False  # no deeper than the number of openers
    return json_depth(text) > JSON_MAX_DEPTH


def _json_struct_as_array(op: str, args: Args) -> bool:
    """An array where the capsule or its network context is due (serde reads it)."""
    text = _json_text(args) if op == "capsule_from_json" else None
    if text is None:
        return False
    if text.lstrip(" \t\r\n").startswith("["):
        return True
    document = _parse_lenient(text)
    return any(isinstance(v, list) for v in _values_of(document, "network_context"))


def _json_no_size_cap(op: str, args: Args) -> bool:
    text = _json_text(args) if op == "capsule_from_json" else None
    return text is not None and len(text.encode("utf-8", "surrogatepass")) > JSON_MAX_BYTES


_ACCEPTS_CODEC = frozenset({("Codec", "success")})

DIVERGENCES: tuple[Divergence, ...] = (
    Divergence("DriftOverflow", "§7.5 step 8",
               "now − timestamp computed in i64 (overflows for extreme timestamps)",
               _drift_overflow, frozenset({("StaleTimestamp", "success")})),
    Divergence("BincodeTrailingBytes", "§9.2", "trailing bytes after the binary form ignored",
               _bincode_trailing, _ACCEPTS_CODEC),
    Divergence("BincodeHugeLength", "§9.2",
               "binary length prefix past 65,572 trusted for allocation", _bincode_huge_length,
               _ACCEPTS_CODEC),
    Divergence("JsonDepthUnbounded", "§9.1", "JSON nesting deeper than 64 levels accepted",
               _json_too_deep, _ACCEPTS_CODEC),
    Divergence("JsonStructAsArray", "§9.1",
               "a capsule or network context written as a JSON array accepted",
               _json_struct_as_array, _ACCEPTS_CODEC),
    Divergence("JsonNoSizeCap", "§9.1", "JSON documents past 1 MiB accepted", _json_no_size_cap,
               _ACCEPTS_CODEC),
    Divergence("V2NotCompiled", "§4, §7.1", "version 2 cannot be expressed", _v2_not_compiled,
               frozenset({("*", "Codec"), ("*", "Config"), ("*", "InvalidVersion")})),
)  # fmt: skip

#: The replay divergence depends on what a guard saw before, not on one request alone.
NO_NONCE_TRACKING = "NoNonceTracking"
NO_NONCE_TRACKING_OUTCOMES = frozenset({("NonceReuse", "success"), ("NonceCollision", "success")})


def explains(flag: str, expected: str, provided: str) -> bool:
    """Can the §15 divergence `flag` turn the outcome `expected` into `provided`?"""
    if flag == NO_NONCE_TRACKING:
        return (expected, provided) in NO_NONCE_TRACKING_OUTCOMES
    return any(d.explains(expected, provided) for d in DIVERGENCES if d.flag == flag)


def divergence_flags(operation: str, args: Args, *, guard_seen: bool = False) -> frozenset[str]:
    """The §15 flags whose divergence could change the outcome of this request.

    `guard_seen`: the request names a replay guard that an earlier request of the same case
    (or session) already used; an implementation without nonce tracking (§15
    NoNonceTracking) can only differ there.
    """
    if not isinstance(args, Mapping):
        return frozenset()
    flags = {d.flag for d in DIVERGENCES if d.applies(operation, args)}
    if guard_seen and operation == "decrypt_capsule" and "replay_guard" in args:
        flags.add(NO_NONCE_TRACKING)
    return frozenset(flags)


def flags_of_steps(
    operation: str, steps: Sequence[Mapping[str, Any]], sequence: bool
) -> frozenset[str]:
    """The §15 flags of a whole case: the union over its steps' arguments. In a replay
    sequence every step names the case's guard (vector steps omit its name: the runner
    injects it), and every step after the first meets a guard that has seen a capsule."""
    guard = {"replay_guard": "case"} if sequence else {}
    return frozenset().union(*(
        divergence_flags(operation, {**args, **guard}, guard_seen=sequence and n > 0)
        for n, args in enumerate(steps)))  # fmt: skip


# ---------------------------------------------------------------- open questions


def _sep_limit_out_of_range(op: str, args: Args) -> bool:
    if op != "sep_hash" or "max_fingerprint_bytes" not in args:
        return False
    limit = args["max_fingerprint_bytes"]
    return not (type(limit) is int and 1 <= limit <= 4096)


def _rtt_not_finite(op: str, args: Args) -> bool:
    samples = args.get("samples_ms") if op == "rtt_bucket" else None
    if not isinstance(samples, list):
        return False
    numbers = [s for s in samples if isinstance(s, int | float) and not isinstance(s, bool)]
    if len(numbers) != len(samples) or not numbers:
        return True
    try:
        return not all(abs(s) < 1e300 for s in numbers) or abs(sum(numbers)) >= 1e300
    except OverflowError:
        return True


def _config_field_mistyped(op: str, args: Args) -> bool:
    config = args.get("config")
    if config is None:
        return False
    if not isinstance(config, Mapping):
        return True
    versions = config.get("allowed_versions", [1])
    numbers = [config.get(k, 1) for k in
               ("max_timestamp_drift", "max_payload_bytes", "max_fingerprint_bytes")]
    return (any(type(n) is not int for n in numbers)
            or not isinstance(versions, list) or any(type(v) is not int for v in versions)
            or not isinstance(config.get("aead_algorithm", ""), str))  # fmt: skip


def _timestamp_not_decimal(op: str, args: Args) -> bool:
    for key in ("timestamp", "now"):
        value = args.get(key)
        if value is not None and not (isinstance(value, str) and _is_signed_decimal(value)):
            return True
    return False


def _is_signed_decimal(text: str) -> bool:
    digits = text[1:] if text.startswith("-") else text
    return digits.isascii() and digits.isdigit()


def _token_timestamp_min(op: str, args: Args) -> bool:
    return op == "session_token" and _int(args.get("timestamp")) == I64_MIN


def _json_duplicate_or_surrogate(op: str, args: Args) -> bool:
    """Duplicate keys that are not the spec's own, or an escaped lone surrogate."""
    text = _json_text(args) if op == "capsule_from_json" else None
    if text is None:
        return False
    if _SURROGATE_ESCAPE.search(text):
        return True
    document = _parse_lenient(text)
    if not isinstance(document, _Pairs):
        return False
    return _has_unknown_duplicate(document, top=True)


_KNOWN_KEYS = frozenset({"version", "header_id", "client_nonce", "server_profile_id",
                         "network_context", "payload"})  # fmt: skip


def _has_unknown_duplicate(obj: object, top: bool) -> bool:
    if isinstance(obj, list):
        return any(_has_unknown_duplicate(v, False) for v in obj)
    if not isinstance(obj, _Pairs):
        return False
    keys = [k for k, _ in obj]
    unknown_dupes = {k for k in keys if keys.count(k) > 1 and not (top and k in _KNOWN_KEYS)}
    nested = [v for k, v in obj if not (top and k in _KNOWN_KEYS)]
    return bool(unknown_dupes) or any(_has_unknown_duplicate(v, False) for v in nested)


_HEX_KEYS = frozenset({"master_key", "env_hash", "profile_key", "tls_exporter_key",
                       "client_nonce", "session_key", "password", "payload", "tpm_quote", "hex"})
_DECIMAL_KEYS = frozenset({"header_id", "server_profile_id", "timestamp", "now"})


def _noncanonical_shim_encoding(op: str, args: Args) -> bool:
    """Uppercase hex or leading zeros in shim arguments (the runner never sends them)."""
    return _noncanonical(args)


def _noncanonical(obj: Mapping[str, Any]) -> bool:
    for key, value in obj.items():
        if isinstance(value, Mapping) and _noncanonical(value):
            return True
        if not isinstance(value, str):
            continue
        digits = value[1:] if value.startswith("-") else value
        if key in _DECIMAL_KEYS and len(digits) > 1 and digits.startswith("0"):
            return True
        if key in _HEX_KEYS and value != value.lower():
            return True
    return False


OPEN_QUESTIONS: tuple[OpenQuestion, ...] = (
    OpenQuestion("sep-limit-out-of-range",
                 "sep_hash with a max_fingerprint_bytes outside 1..=4,096",
                 _sep_limit_out_of_range),
    OpenQuestion("json-unknown-duplicates-or-surrogates",
                 "duplicate keys inside unknown values, or an escaped lone surrogate",
                 _json_duplicate_or_surrogate),
    OpenQuestion("rtt-not-finite", "RTT samples: none, non-numbers, non-finite or overflowing",
                 _rtt_not_finite),
    OpenQuestion("shim-config-mistyped", "shim: a config field of the wrong JSON type",
                 _config_field_mistyped),
    OpenQuestion("shim-timestamp-not-decimal", "shim: a timestamp that is not a decimal string",
                 _timestamp_not_decimal),
    OpenQuestion("token-timestamp-i64-min", "session_token with timestamp I64_MIN",
                 _token_timestamp_min),
    OpenQuestion("shim-noncanonical-encoding",
                 "shim arguments with leading zeros or uppercase hex",
                 _noncanonical_shim_encoding),
)  # fmt: skip


def open_questions(operation: str, args: Args) -> frozenset[str]:
    """The ids of the open questions (docs/INTERPRETATIONS.md) this request touches."""
    if not isinstance(args, Mapping):
        return frozenset()
    return frozenset(q.question_id for q in OPEN_QUESTIONS if q.applies(operation, args))
