"""Generated wire-form cases (spec §9.1, §9.2): canonical forms, then hostile variants."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any

from conformance.generate._values import U64_MAX, Draw

__all__ = ["WIRE_MAKERS", "random_capsule"]

Made = tuple[str, dict[str, Any]]
_KEYS = ("version", "header_id", "client_nonce", "server_profile_id", "network_context",
         "payload")  # fmt: skip


def random_capsule(d: Draw) -> dict[str, Any]:
    """A capsule in the shim encoding; its fields are in range, its payload arbitrary."""
    return {
        "version": d.rng.choice((1, 1, 2, 0, 255, d.rng.randrange(256))),
        "header_id": d.u64(),
        "client_nonce": d.hexbytes(12),
        "server_profile_id": d.u64(),
        "network_context": d.network(),
        "payload": d.hexbytes(d.rng.choice((0, 1, 16, 36, d.rng.randrange(0, 300)))),
    }


def _json_fields(capsule: dict[str, Any]) -> list[tuple[str, Any]]:
    """The capsule as (key, JSON value) pairs of the §9.1 form."""
    net = capsule["network_context"]
    return [
        ("version", capsule["version"]),
        ("header_id", int(capsule["header_id"])),
        ("client_nonce", list(bytes.fromhex(capsule["client_nonce"]))),
        ("server_profile_id", int(capsule["server_profile_id"])),
        ("network_context", {"rtt_bucket": net["rtt_bucket"], "path_hint": net["path_hint"]}),
        ("payload", list(bytes.fromhex(capsule["payload"]))),
    ]


def _dump(pairs: list[tuple[str, Any]], sep: str = ",", colon: str = ":") -> str:
    """An object from pairs, keeping duplicates and order; values pre-encoded if `str`."""
    body = sep.join(
        json.dumps(k) + colon + (v.raw if isinstance(v, _Raw) else json.dumps(v)) for k, v in pairs
    )
    return "{" + body + "}"


class _Raw:
    """A JSON value written verbatim (non-canonical numbers, nested junk)."""

    def __init__(self, raw: str) -> None:
        self.raw = raw


def _nested(depth: int) -> _Raw:
    return _Raw("[" * depth + "]" * depth)


def _mutate_json(d: Draw, pairs: list[tuple[str, Any]]) -> tuple[str, str]:
    kind = d.cycle(
        "json",
        ("reordered", "whitespace", "unknown-key", "unknown-deep", "duplicate", "missing",
         "int-float", "int-exponent", "int-string", "int-bool", "int-negative", "int-overflow",
         "nonce-length", "byte-range", "byte-type", "not-object", "trailing", "nan",
         "nested-network-deep", "duplicate-nested", "unknown-nested", "array-network",
         "array-capsule")
    )  # fmt: skip
    i = d.rng.randrange(len(pairs))
    int_keys = [j for j, (k, _) in enumerate(pairs) if k in ("version", "header_id",
                                                               "server_profile_id")]  # fmt: skip
    sep, colon = ",", ":"
    if kind == "reordered":
        d.rng.shuffle(pairs)
    elif kind == "whitespace":
        sep, colon = d.rng.choice(((", ", ": "), ("\n ", " :\t"), (" ,", ":  ")))
    elif kind == "unknown-key":
        pairs.insert(i, (d.rng.choice(("extra", "Version", "version2", "")), d.rng.choice(
            (1, "x", None, [1, 2], {"a": {"b": []}}))))  # fmt: skip
    elif kind == "unknown-deep":
        pairs.insert(i, ("extra", _nested(d.rng.choice((2, 10, 40, 100, 1000, 50_000)))))
    elif kind == "duplicate":
        k, v = pairs[i]
        pairs.insert(d.rng.randrange(len(pairs) + 1), (k, v))  # even an identical duplicate
    elif kind == "missing":
        del pairs[i]
    elif kind.startswith("int-"):
        j = d.rng.choice(int_keys)
        k, v = pairs[j]
        raw = {
            "int-float": f"{v}.0",
            "int-exponent": f"{v}e0",
            "int-string": json.dumps(str(v)),
            "int-bool": "true",
            "int-negative": "-1",
            "int-overflow": str(256 if k == "version" else U64_MAX + 1),
        }[kind]
        pairs[j] = (k, _Raw(raw))
    elif kind == "nonce-length":
        nonce = pairs[2][1]
        pairs[2] = ("client_nonce", nonce[:11] if d.rng.random() < 0.5 else [*nonce, 0])
    elif kind in ("byte-range", "byte-type"):
        j = d.rng.choice((2, 5)) if pairs[5][1] else 2
        arr = list(pairs[j][1])
        arr[d.rng.randrange(len(arr))] = _Raw(
            d.rng.choice(("256", "-1", "1000")) if kind == "byte-range" else
            d.rng.choice(("1.0", "\"1\"", "null", "true")))  # fmt: skip
        pairs[j] = (pairs[j][0], _Raw("[" + ",".join(
            a.raw if isinstance(a, _Raw) else str(a) for a in arr) + "]"))  # fmt: skip
    elif kind in ("duplicate-nested", "unknown-nested"):
        net = pairs[4][1]
        extra = (f'"rtt_bucket":{net["rtt_bucket"]}' if kind == "duplicate-nested"
                 else '"extra":{"a":[1,2.5,null,"x"]}')  # fmt: skip
        body = f'"rtt_bucket":{net["rtt_bucket"]},{extra},"path_hint":{net["path_hint"]}'
        pairs[4] = ("network_context", _Raw("{" + body + "}"))
    elif kind == "array-network":  # serde reads it (spec §15 JsonStructAsArray)
        net = pairs[4][1]
        pairs[4] = ("network_context", [net["rtt_bucket"], net["path_hint"]])
    elif kind == "nested-network-deep":
        pairs[4] = ("network_context", _Raw(
            '{"rtt_bucket":1,"path_hint":2,"x":' + "[" * 70 + "]" * 70 + "}"))  # fmt: skip
    text = _dump(pairs, sep, colon)
    if kind == "array-capsule":  # the fields in order, as serde also reads a struct
        net = pairs[4][1]
        values = [*(v for _, v in pairs[:4]), [net["rtt_bucket"], net["path_hint"]], pairs[5][1]]
        text = json.dumps(values, separators=(sep, colon))
    elif kind == "not-object":
        text = d.rng.choice(("[]", "1", '"capsule"', "null", "", "[" + text + "]"))
    elif kind == "trailing":
        text += d.rng.choice((" x", "{}", ",", "]"))
    elif kind == "nan":
        j = d.rng.choice(int_keys)
        text = _dump([*pairs[:j], (pairs[j][0], _Raw("NaN")), *pairs[j + 1 :]])
    return kind, text


def capsule_to_json(d: Draw) -> Made:
    capsule = random_capsule(d)
    if d.rng.random() < 0.08:
        capsule["client_nonce"] = d.hexbytes(d.rng.choice((11, 13)))
        return "nonce-length", {"capsule": capsule}
    return "random", {"capsule": capsule}


def capsule_from_json(d: Draw) -> Made:
    capsule = random_capsule(d)
    capsule["network_context"]["path_hint"] = capsule["network_context"]["path_hint"] or 1
    pairs = _json_fields(capsule)
    if d.rng.random() < 0.2:
        return "canonical", {"json": _dump(pairs)}
    kind, text = _mutate_json(d, pairs)
    return kind, {"json": text}


def _binary(capsule: dict[str, Any]) -> bytes:
    net = capsule["network_context"]
    payload = bytes.fromhex(capsule["payload"])
    return (
        struct.pack("<BQ", capsule["version"], int(capsule["header_id"]))
        + bytes.fromhex(capsule["client_nonce"])
        + struct.pack("<QBHQ", int(capsule["server_profile_id"]), net["rtt_bucket"],
                      net["path_hint"], len(payload))
        + payload
    )  # fmt: skip


def capsule_to_binary(d: Draw) -> Made:
    capsule = random_capsule(d)
    if d.rng.random() < 0.08:
        capsule["client_nonce"] = d.hexbytes(d.rng.choice((11, 13)))
        return "nonce-length", {"capsule": capsule}
    return "random", {"capsule": capsule}


def capsule_from_binary(d: Draw) -> Made:
    capsule = random_capsule(d)
    capsule["network_context"]["path_hint"] = capsule["network_context"]["path_hint"] or 1
    raw = _binary(capsule)
    kind = d.cycle("binary", ("canonical", "truncated", "trailing", "length-huge", "length-over",
                         "length-under", "max-payload", "max-payload-plus-1"))  # fmt: skip
    if kind == "truncated":
        raw = raw[: d.rng.randrange(len(raw))]
    elif kind == "trailing":
        raw += d.rng.randbytes(d.rng.choice((1, 2, 8)))
    elif kind in ("length-huge", "length-over", "length-under"):
        n = len(bytes.fromhex(capsule["payload"]))
        prefix = {"length-huge": d.rng.choice((U64_MAX, 2**63, 65_573, 2**32)),
                  "length-over": n + 1, "length-under": max(n - 1, 0)}[kind]  # fmt: skip
        if kind == "length-under" and n == 0:
            raw += b"\x00"
        raw = raw[:32] + struct.pack("<Q", prefix) + raw[40:]
    elif kind.startswith("max-payload"):
        size = 65_572 + (kind == "max-payload-plus-1")
        capsule["payload"] = d.hexbytes(size)
        raw = _binary(capsule)
    return kind, {"hex": raw.hex()}


WIRE_MAKERS: dict[str, Callable[[Draw], Made]] = {
    "capsule_to_json": capsule_to_json,
    "capsule_from_json": capsule_from_json,
    "capsule_to_binary": capsule_to_binary,
    "capsule_from_binary": capsule_from_binary,
}
