"""Defects of the wire forms: JSON (§9.1) and binary (§9.2)."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any

from conformance.mutants._kit import (
    Args,
    Handler,
    MutantSession,
    fail,
)

__all__ = [
    "binary_from_header_be",
    "binary_to_header_be",
    "binary_to_u32_length",
    "bincode_length_unbounded",
    "bincode_trailing_bytes",
    "json_bools_as_ints",
    "json_depth_unbounded",
    "json_duplicates_last_wins",
    "json_integral_floats",
    "json_spaced_output",
]


# ---------------------------------------------------------------- wire forms


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({k for k, _ in pairs}) != len(pairs):
        raise ValueError("duplicate key")
    return dict(pairs)


def _lax_json(
    ref: Handler,
    a: Args,
    relax: Callable[[Any, list[bool]], Any],
    hooks: Callable[[list[bool]], dict[str, Any]],
) -> dict[str, Any]:
    """A decoder with one lax rule: when the rule changed nothing, the reference decodes
    the original text; otherwise it decodes the relaxed document, re-encoded."""
    text = a.get("json")
    if not isinstance(text, str):
        return ref(a)
    changed: list[bool] = []
    try:
        obj = relax(json.loads(text, **hooks(changed)), changed)
    except (ValueError, RecursionError):
        return ref(a)
    if not changed:
        return ref(a)
    return ref({"json": json.dumps(obj, separators=(",", ":"))})


def json_duplicates_last_wins(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    def hooks(changed: list[bool]) -> dict[str, Any]:
        def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
            if len({k for k, _ in items}) != len(items):
                changed.append(True)  # json.loads semantics: the last duplicate wins
            return dict(items)

        return {"object_pairs_hook": pairs}

    return _lax_json(ref, a, lambda obj, changed: obj, hooks)


def json_integral_floats(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    def hooks(changed: list[bool]) -> dict[str, Any]:
        def as_int(text: str) -> int | float:
            value = float(text)
            if value.is_integer():
                changed.append(True)
                return int(value)
            return value

        return {"parse_float": as_int, "object_pairs_hook": _no_duplicates}

    return _lax_json(ref, a, lambda obj, changed: obj, hooks)


def json_bools_as_ints(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    def fix(v: Any, changed: list[bool]) -> Any:
        if isinstance(v, bool):
            changed.append(True)
            return int(v)
        if isinstance(v, list):
            return [fix(x, changed) for x in v]
        if isinstance(v, dict):
            return {k: fix(x, changed) for k, x in v.items()}
        return v

    return _lax_json(ref, a, fix, lambda changed: {"object_pairs_hook": _no_duplicates})


def json_depth_unbounded(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    """Skips unknown keys' values whatever their depth (spec §15 JsonDepthUnbounded); the
    other rules (size, duplicates, types) hold, and a stack overflow is still `Codec`."""
    text = a.get("json")
    if not isinstance(text, str):
        return ref(a)
    if len(text.encode("utf-8", "surrogatepass")) > 1 << 20:
        raise fail("Codec")
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise fail("Codec") from None
    except ValueError:
        return ref(a)
    if not isinstance(obj, dict):
        return ref(a)
    keep = ("version", "header_id", "client_nonce", "server_profile_id", "network_context",
            "payload")  # fmt: skip
    slim = {k: obj[k] for k in keep if k in obj}
    if isinstance(slim.get("network_context"), dict):
        net = slim["network_context"]
        slim["network_context"] = {k: net[k] for k in ("rtt_bucket", "path_hint") if k in net}
    if slim == obj:
        return ref(a)
    return ref({"json": json.dumps(slim, separators=(",", ":"))})


def json_spaced_output(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    return {"json": json.dumps(json.loads(ref(a)["json"]))}  # default ", " and ": "


def _binary_prefix(a: Args) -> tuple[bytes, int] | None:
    try:
        raw = bytes.fromhex(a["hex"])
    except (KeyError, TypeError, ValueError):
        return None
    if len(raw) < 40:
        return None
    return raw, struct.unpack_from("<Q", raw, 32)[0]


def bincode_trailing_bytes(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    parsed = _binary_prefix(a)
    if parsed is not None and len(parsed[0]) > 40 + parsed[1]:
        return ref({"hex": parsed[0][: 40 + parsed[1]].hex()})  # spec §15 BincodeTrailingBytes
    return ref(a)


def bincode_length_unbounded(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    parsed = _binary_prefix(a)
    if parsed is None or parsed[1] <= 65_572 or len(parsed[0]) != 40 + parsed[1]:
        return ref(a)
    raw = parsed[0]
    version, header = struct.unpack_from("<BQ", raw)
    profile, rtt, path = struct.unpack_from("<QBH", raw, 21)
    return {"capsule": {"version": version, "header_id": str(header),
                        "client_nonce": raw[9:21].hex(), "server_profile_id": str(profile),
                        "network_context": {"rtt_bucket": rtt, "path_hint": path},
                        "payload": raw[40:].hex()}}  # fmt: skip


def binary_to_u32_length(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    raw = bytes.fromhex(ref(a)["hex"])
    return {"hex": (raw[:36] + raw[40:]).hex()}  # u32le length: the high half dropped


def _swap_header_id(hex_text: str) -> str:
    raw = bytearray.fromhex(hex_text)
    raw[1:9] = raw[1:9][::-1]
    return raw.hex()


def binary_to_header_be(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    return {"hex": _swap_header_id(ref(a)["hex"])}


def binary_from_header_be(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    parsed = _binary_prefix(a)
    return ref({"hex": _swap_header_id(a["hex"])}) if parsed else ref(a)
