"""`ihp-shim/1` requests built from fuzzer bytes, for the differential harness.

An input that starts with `{` is a literal request (`ihp_fuzz.harness.literal`: the
vectors' boundary cases are seeded that way). Any other input is read with a
`FuzzedDataProvider`: it picks the operation, then starts from valid
arguments (the §17 golden capsule and its inputs) and changes a few of them within their
types, often to a value at a boundary the spec names (drift window ±1, i64 extremes,
nesting 64/65, length caps ±1, version 2, array-shaped objects, trailing bytes). At most
one argument is made out of range (the shim protocol orders argument errors only one at a
time, so two would make a difference between implementations that is no bug). Replay
guards are left out: their state would make a finding depend on the inputs before it.
"""

from __future__ import annotations

import copy
import json
import struct
from collections.abc import Callable
from typing import Any, TypeAlias

import atheris  # type: ignore[import-untyped]

from ihp_fuzz.harness import golden, wire
from ihp_fuzz.harness.literal import parse_literal
from ihp_fuzz.harness.model import I64_MAX, I64_MIN, U64_MAX, CapsuleFields, plaintext, seal

__all__ = ["OPERATIONS", "shim_request"]

Fdp: TypeAlias = Any  # atheris.FuzzedDataProvider (atheris ships no type stubs)
Args = dict[str, Any]

_G = golden.golden_fields()
_KEY_BYTES = golden.independent_session_key()
_KEY = _KEY_BYTES.hex()
_ENV = golden.GOLDEN_ENV_HASH.hex()
_TS = golden.GOLDEN_TIMESTAMP
_MIB = 1 << 20
_WIRE_CAP = wire.MAX_WIRE_PAYLOAD  # 65,572
_PASSWORD_CAP = 65_536
_U64_EDGES = (0, 1, 44, U64_MAX)
# small-integer fields of a config: their bounds, and u64 max (past it is an argument
# error, which would make two with _OUT_OF_RANGE: the literal seeds have those)
_CONFIG_EDGES = {
    "max_timestamp_drift": (0, 1, 300, 604_800, 604_801, U64_MAX),
    "max_payload_bytes": (1, 8, 12, 65_535, 65_536, 65_537, 0, U64_MAX),
    "max_fingerprint_bytes": (1, 4_096, 4_097, 0),
}
_VERSION_SETS: tuple[list[int], ...] = ([1], [2], [1, 2], [2, 1], [], [3], [0, 1], [256])


def _capsule_args(fields: CapsuleFields) -> Args:
    return {"version": fields.version, "header_id": str(fields.header_id),
            "client_nonce": fields.client_nonce.hex(),
            "server_profile_id": str(fields.server_profile_id),
            "network_context": {"rtt_bucket": fields.rtt_bucket, "path_hint": fields.path_hint},
            "payload": fields.payload.hex()}


_CAPSULE: Args = _capsule_args(_G)


def _hex(fdp: Fdp, size: int) -> str:
    return bytes(fdp.ConsumeBytes(size)).ljust(size, b"\0").hex()


def _u64(fdp: Fdp) -> str:
    return str(fdp.PickValueInList(list(_U64_EDGES)) if fdp.ConsumeBool()
               else fdp.ConsumeIntInRange(0, U64_MAX))


def _stamp(fdp: Fdp) -> int:
    """A timestamp or `now`: near the golden one (the §4 window's edges), an i64 extreme,
    one where `now − ts` leaves i64 (spec §15 DriftOverflow), or any i64."""
    choice = fdp.ConsumeIntInRange(0, 3)
    if choice == 0:
        return _TS + int(fdp.PickValueInList([0, 300, 301, -300, -301, 604_800, 604_801]))
    if choice == 1:
        return int(fdp.PickValueInList([I64_MIN + 1, I64_MAX, 0, -1, I64_MAX - 300]))
    if choice == 2:  # `now − ts` with ts the golden timestamp: at and past i64's ends
        return _TS + int(fdp.PickValueInList([-(2**63), -(2**63) + 1, 2**63 - 1 - _TS]))
    return int(fdp.ConsumeIntInRange(I64_MIN + 1, I64_MAX))


def _config(fdp: Fdp) -> Args:
    config: Args = {}
    if fdp.ConsumeBool():
        config["allowed_versions"] = list(fdp.PickValueInList(list(_VERSION_SETS)))
    for name, edges in _CONFIG_EDGES.items():
        if fdp.ConsumeProbability() > 0.7:
            config[name] = fdp.PickValueInList(list(edges))
    return config


def _network(fdp: Fdp) -> Args:
    return {"rtt_bucket": fdp.PickValueInList([0, 5, 255]) if fdp.ConsumeBool()
            else fdp.ConsumeIntInRange(0, 255),
            "path_hint": fdp.PickValueInList([120, 0, 1, 0xFFFF])}


def _mutated_capsule(fdp: Fdp) -> Args:
    capsule = copy.deepcopy(_CAPSULE)
    for _ in range(fdp.ConsumeIntInRange(0, 2)):
        field = fdp.ConsumeIntInRange(0, 6)
        if field == 0:
            capsule["version"] = fdp.ConsumeIntInRange(0, 3)
        elif field == 1:
            capsule["header_id"] = _u64(fdp)
        elif field == 2:
            capsule["client_nonce"] = _hex(fdp, 12)
        elif field == 3:
            capsule["server_profile_id"] = _u64(fdp)
        elif field == 4:
            capsule["network_context"] = _network(fdp)
        elif field == 5:
            payload = bytearray(_G.payload)
            payload[fdp.ConsumeIntInRange(0, len(payload) - 1)] ^= 1 << fdp.ConsumeIntInRange(0, 7)
            capsule["payload"] = payload.hex()
        else:
            capsule["payload"] = _G.payload[: fdp.ConsumeIntInRange(0, len(_G.payload))].hex()
    return capsule


def _password(fdp: Fdp) -> bytes:
    if fdp.ConsumeProbability() > 0.98:  # the §7.4 payload cap and its neighbours
        return b"p" * int(fdp.PickValueInList([_PASSWORD_CAP - 1, _PASSWORD_CAP,
                                               _PASSWORD_CAP + 1]))
    return bytes(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64)))


def _sealed_capsule(fdp: Fdp) -> Args:
    """A capsule sealed under the golden key with a chosen version, network context,
    password and embedded timestamp (i64 extremes included), so that decryption gets past
    the AEAD to steps 5-8."""
    network = _network(fdp) if fdp.ConsumeBool() else _CAPSULE["network_context"]
    fields = _G._replace(version=fdp.PickValueInList([1, 2, 0, 3]),
                         rtt_bucket=network["rtt_bucket"], path_hint=network["path_hint"])
    header_id = _G.header_id if fdp.ConsumeProbability() < 0.8 else fdp.ConsumeIntInRange(0, 99)
    body = plaintext(_password(fdp), _stamp(fdp), header_id)
    if fdp.ConsumeProbability() > 0.9:
        body = body[: fdp.ConsumeIntInRange(0, len(body))]
    return _capsule_args(fields._replace(payload=seal(_KEY_BYTES, fields, golden.GOLDEN_ENV_HASH,
                                                      body)))


def _decrypt(fdp: Fdp) -> Args:
    capsule = _sealed_capsule(fdp) if fdp.ConsumeBool() else _mutated_capsule(fdp)
    return {"config": _config(fdp), "capsule": capsule, "env_hash": _ENV,
            "session_key": _KEY if fdp.ConsumeProbability() < 0.9 else _hex(fdp, 32),
            "now": str(_stamp(fdp))}


def _encrypt(fdp: Fdp) -> Args:
    return {"config": _config(fdp), "version": fdp.ConsumeIntInRange(0, 3),
            "header_id": _u64(fdp), "client_nonce": _hex(fdp, 12),
            "server_profile_id": _u64(fdp), "network_context": _network(fdp),
            "env_hash": _hex(fdp, 32), "session_key": _hex(fdp, 32),
            "password": _password(fdp).hex(), "timestamp": str(_stamp(fdp))}


def _nested(depth: int, kind: int) -> str:
    """A JSON value `depth` levels deep: arrays, objects, or both in turn."""
    if kind == 0:
        return "[" * depth + "]" * depth
    if kind == 1:
        return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1) if depth else "0"
    pairs = depth // 2
    return ('[{"a":' * pairs + ("[]" if depth % 2 else "0") + "}]" * pairs)


def _deep_document(fdp: Fdp) -> str:
    """The golden document with a nested unknown value whose deepest point is at depth
    62..67 of the document (§9.1: 64 passes, 65 fails), at the top level, inside
    network_context, or inside an unknown key's array."""
    text = wire.to_json(_G)
    depth = fdp.ConsumeIntInRange(61, 67) if fdp.ConsumeProbability() < 0.9 else \
        fdp.ConsumeIntInRange(0, 300)
    kind = fdp.ConsumeIntInRange(0, 2)
    place = fdp.ConsumeIntInRange(0, 2)
    if place == 0:  # {"x": value}: the value's top is depth 2
        return text[:-1] + ',"x":' + _nested(depth - 1, kind) + "}"
    if place == 1:  # inside network_context: depth 3
        return text.replace('"path_hint":120}', '"path_hint":120,"x":' +
                            _nested(depth - 2, kind) + "}", 1)
    return text[:-1] + ',"x":[1,' + _nested(depth - 2, kind) + "]}"


def _array_document(fdp: Fdp) -> str:
    """spec §15 JsonStructAsArray: the capsule, or its network_context, as an array of its
    fields in order (serde's derived decoders read both)."""
    nonce, payload = list(_G.client_nonce), list(_G.payload)
    network: object = [_G.rtt_bucket, _G.path_hint]
    if fdp.ConsumeBool():
        return wire.to_json(_G).replace('{"rtt_bucket":5,"path_hint":120}', "[5,120]", 1)
    if fdp.ConsumeBool():
        network = {"rtt_bucket": _G.rtt_bucket, "path_hint": _G.path_hint}
    fields = [_G.version, _G.header_id, nonce, _G.server_profile_id, network, payload]
    if fdp.ConsumeProbability() > 0.7:
        fields = fields[: fdp.ConsumeIntInRange(0, 6)] + ([7] if fdp.ConsumeBool() else [])
    return json.dumps(fields, separators=(",", ":"))


def _padded_document(fdp: Fdp) -> str:
    """spec §9.1's 1 MiB cap: the golden document padded with spaces (or an unknown key's
    string) to 1 MiB − 1, 1 MiB or 1 MiB + 1 bytes."""
    text = wire.to_json(_G)
    size = _MIB + int(fdp.PickValueInList([-1, 0, 1, 2]))
    if fdp.ConsumeBool():
        return text[:-1] + " " * (size - len(text)) + "}"
    filler = size - len(text) - len(',"x":""')
    return text[:-1] + ',"x":"' + "x" * filler + '"}'


def _json_text(fdp: Fdp) -> Args:
    choice = fdp.ConsumeIntInRange(0, 15)
    if choice < 5:
        text = wire.to_json(_G)
        cut = fdp.ConsumeIntInRange(0, len(text))
        return {"json": text[:cut] + fdp.ConsumeUnicodeNoSurrogates(8) + text[cut:]}
    if choice < 9:
        return {"json": _deep_document(fdp)}
    if choice < 12:
        return {"json": _array_document(fdp)}
    if choice == 12 and fdp.ConsumeIntInRange(0, 15) == 15:  # costly: now and then
        return {"json": _padded_document(fdp)}
    return {"json": fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 200))}


def _binary_hex(fdp: Fdp) -> Args:
    choice = fdp.ConsumeIntInRange(0, 7)
    data = bytearray(wire.to_binary(_G))
    if choice == 7 and fdp.ConsumeIntInRange(0, 7) == 7:  # costly: now and then
        # a payload at the §9.2 cap, or one past it, the length prefix telling the truth
        size = _WIRE_CAP + fdp.PickValueInList([-1, 0, 1, 2])
        return {"hex": wire.to_binary(_G._replace(payload=b"\xa5" * size)).hex()}
    if choice == 6:  # a length prefix past the cap (or u64 max) over a short payload
        data[32:40] = struct.pack("<Q", fdp.PickValueInList([_WIRE_CAP, _WIRE_CAP + 1, U64_MAX,
                                                             2**63, len(_G.payload) + 1]))
    for _ in range(fdp.ConsumeIntInRange(0, 3) if choice < 4 else 0):
        data[fdp.ConsumeIntInRange(0, len(data) - 1)] = fdp.ConsumeIntInRange(0, 255)
    if choice in (3, 4):  # trailing bytes (spec §15 BincodeTrailingBytes)
        data += bytes(fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 4))).ljust(1, b"\0")
    elif choice < 3:
        data = data[: fdp.ConsumeIntInRange(len(data) - 24, len(data)) if choice == 0
                    else fdp.ConsumeIntInRange(0, len(data))]
    return {"hex": bytes(data).hex()}


def _fingerprint(fdp: Fdp) -> str:
    if fdp.ConsumeProbability() > 0.95:  # the §5 limit in bytes: 4,096 and one more
        char = str(fdp.PickValueInList(["a", "é", "€", "😀"]))
        return char * ((4_096 + int(fdp.PickValueInList([0, 1, 4]))) // len(char.encode()))
    return str(fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 12)))


def _sep(fdp: Fdp) -> Args:
    args: Args = {"sep": {key: _fingerprint(fdp) for key in ("cpu", "nic", "os", "build")}}
    args["sep"]["tpm_quote"] = None if fdp.ConsumeBool() else _hex(fdp, fdp.ConsumeIntInRange(0,
                                                                                              8))
    if fdp.ConsumeBool():
        args["max_fingerprint_bytes"] = fdp.PickValueInList([1, 4, 12, 4096, 0, 4097])
    return args


def _nonce(fdp: Fdp) -> str:
    return _hex(fdp, 12)


# one out-of-range value per kind of argument (shim protocol § Value encodings)
_OUT_OF_RANGE: dict[str, Callable[[Fdp], Any]] = {
    "client_nonce": lambda fdp: _hex(fdp, fdp.PickValueInList([11, 13, 0])),
    "session_key": lambda fdp: _hex(fdp, fdp.PickValueInList([31, 33, 0])),
    "env_hash": lambda fdp: _hex(fdp, fdp.PickValueInList([31, 33])),
    "timestamp": lambda fdp: fdp.PickValueInList(["9223372036854775808", str(I64_MIN)]),
    "now": lambda fdp: fdp.PickValueInList(["-9223372036854775809", str(I64_MIN)]),
    "header_id": lambda fdp: fdp.PickValueInList(["18446744073709551616", "-1", "x"]),
    "server_profile_id": lambda fdp: fdp.PickValueInList(["18446744073709551616", "-1"]),
    "network_context": lambda fdp: fdp.PickValueInList([{"rtt_bucket": 256, "path_hint": 120},
                                                        {"rtt_bucket": 5, "path_hint": 65536}]),
}


OPERATIONS: tuple[tuple[str, Callable[[Fdp], Args]], ...] = (
    ("decrypt_capsule", _decrypt),
    ("encrypt_capsule", _encrypt),
    ("capsule_from_json", _json_text),
    ("capsule_from_binary", _binary_hex),
    ("capsule_to_json", lambda fdp: {"capsule": _mutated_capsule(fdp)}),
    ("capsule_to_binary", lambda fdp: {"capsule": _mutated_capsule(fdp)}),
    ("sep_hash", _sep),
    ("derive_profile_key", lambda fdp: {"master_key": _hex(fdp, 32), "env_hash": _hex(fdp, 32),
                                        "server_profile_id": _u64(fdp)}),
    ("derive_session_key", lambda fdp: {
        "profile_key": _hex(fdp, 32), "tls_exporter_key": _hex(fdp, fdp.ConsumeIntInRange(0, 40)),
        "client_nonce": _nonce(fdp), "network_context": _network(fdp),
        "server_profile_id": _u64(fdp)}),
    ("session_token", lambda fdp: {"session_key": _hex(fdp, 32), "client_nonce": _nonce(fdp),
                                   "timestamp": str(_stamp(fdp))}),
    ("rtt_bucket", lambda fdp: {"samples_ms": [
        fdp.ConsumeRegularFloat() if fdp.ConsumeBool() else fdp.ConsumeFloatInRange(0.0, 2000.0)
        for _ in range(fdp.ConsumeIntInRange(0, 6))]}),
    ("config_validate", lambda fdp: {"config": _config(fdp)}),
)


def shim_request(data: bytes) -> tuple[str, Args] | None:
    """The request that `data` describes (None: a literal request that does not parse)."""
    if data[:1] == b"{":
        return parse_literal(data)
    fdp = atheris.FuzzedDataProvider(data)
    op, build = OPERATIONS[fdp.ConsumeIntInRange(0, 255) % len(OPERATIONS)]
    args = build(fdp)
    if fdp.ConsumeProbability() > 0.8:
        present = sorted(key for key in _OUT_OF_RANGE if key in args)
        if present:
            key = present[fdp.ConsumeIntInRange(0, len(present) - 1)]
            args[key] = _OUT_OF_RANGE[key](fdp)
    return op, args
