"""`ihp-shim/1` requests built from fuzzer bytes, for the differential harness.

Each request starts from valid arguments (the §17 golden capsule and its inputs) and
changes a few of them within their types; at most one argument is made out of range (the
shim protocol orders argument errors only one at a time, so two would make a difference
between implementations that is no bug). Replay guards are left out: their state would
make a finding depend on the inputs before it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeAlias

import atheris  # type: ignore[import-untyped]

from ihp_fuzz.harness import golden, wire
from ihp_fuzz.harness.model import I64_MAX, I64_MIN, U64_MAX

__all__ = ["OPERATIONS", "shim_request"]

Fdp: TypeAlias = Any  # atheris.FuzzedDataProvider (atheris ships no type stubs)
Args = dict[str, Any]

_G = golden.golden_fields()
_CAPSULE: Args = {
    "version": _G.version, "header_id": str(_G.header_id), "client_nonce": _G.client_nonce.hex(),
    "server_profile_id": str(_G.server_profile_id),
    "network_context": {"rtt_bucket": _G.rtt_bucket, "path_hint": _G.path_hint},
    "payload": _G.payload.hex(),
}
_KEY = golden.independent_session_key().hex()
_ENV = golden.GOLDEN_ENV_HASH.hex()
_TS = golden.GOLDEN_TIMESTAMP


def _hex(fdp: Fdp, size: int) -> str:
    return bytes(fdp.ConsumeBytes(size)).ljust(size, b"\0").hex()


def _u64(fdp: Fdp) -> str:
    return str(fdp.PickValueInList([0, 1, 44, U64_MAX]) if fdp.ConsumeBool()
               else fdp.ConsumeIntInRange(0, U64_MAX))


def _stamp(fdp: Fdp) -> str:
    choice = fdp.ConsumeIntInRange(0, 3)
    if choice == 0:
        return str(_TS + fdp.PickValueInList([0, 300, 301, -300, -301, 604_800]))
    if choice == 1:
        return str(fdp.PickValueInList([I64_MIN + 1, I64_MAX, 0, -1]))
    return str(fdp.ConsumeIntInRange(I64_MIN + 1, I64_MAX))


def _config(fdp: Fdp) -> Args:
    config: Args = {}
    if fdp.ConsumeBool():
        config["max_timestamp_drift"] = fdp.PickValueInList([0, 1, 300, 604_800, 604_801, -1])
    if fdp.ConsumeBool():
        config["allowed_versions"] = fdp.PickValueInList([[1], [2], [1, 2], [], [3], [0, 1]])
    if fdp.ConsumeBool():
        config["max_payload_bytes"] = fdp.PickValueInList([1, 8, 12, 65_536, 65_537, 0])
    return config


def _network(fdp: Fdp) -> Args:
    return {"rtt_bucket": fdp.ConsumeIntInRange(0, 255),
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


# one out-of-range value per kind of argument (shim protocol § Value encodings)
_OUT_OF_RANGE: dict[str, Callable[[Fdp], Any]] = {
    "client_nonce": lambda fdp: _hex(fdp, fdp.PickValueInList([11, 13, 0])),
    "session_key": lambda fdp: _hex(fdp, fdp.PickValueInList([31, 33, 0])),
    "env_hash": lambda fdp: _hex(fdp, fdp.PickValueInList([31, 33])),
    "timestamp": lambda fdp: fdp.PickValueInList(["9223372036854775808", str(I64_MIN)]),
    "now": lambda fdp: fdp.PickValueInList(["-9223372036854775809", str(I64_MIN)]),
    "header_id": lambda fdp: fdp.PickValueInList(["18446744073709551616", "-1", "x"]),
    "network_context": lambda fdp: fdp.PickValueInList([{"rtt_bucket": 256, "path_hint": 120},
                                                        {"rtt_bucket": 5, "path_hint": 70000}]),
}


def _decrypt(fdp: Fdp) -> Args:
    return {"config": _config(fdp), "capsule": _mutated_capsule(fdp), "env_hash": _ENV,
            "session_key": _KEY if fdp.ConsumeProbability() < 0.9 else _hex(fdp, 32),
            "now": _stamp(fdp)}


def _encrypt(fdp: Fdp) -> Args:
    return {"config": _config(fdp), "version": fdp.ConsumeIntInRange(0, 3),
            "header_id": _u64(fdp), "client_nonce": _hex(fdp, 12),
            "server_profile_id": _u64(fdp), "network_context": _network(fdp),
            "env_hash": _hex(fdp, 32), "session_key": _hex(fdp, 32),
            "password": fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64)).hex(),
            "timestamp": _stamp(fdp)}


def _json_text(fdp: Fdp) -> Args:
    if fdp.ConsumeBool():
        text = wire.to_json(_G)
        cut = fdp.ConsumeIntInRange(0, len(text))
        return {"json": text[:cut] + fdp.ConsumeUnicodeNoSurrogates(8) + text[cut:]}
    return {"json": fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 200))}


def _binary_hex(fdp: Fdp) -> Args:
    data = bytearray(wire.to_binary(_G))
    for _ in range(fdp.ConsumeIntInRange(0, 3)):
        data[fdp.ConsumeIntInRange(0, len(data) - 1)] = fdp.ConsumeIntInRange(0, 255)
    return {"hex": bytes(data[: fdp.ConsumeIntInRange(0, len(data) + 1)]).hex()}


def _sep(fdp: Fdp) -> Args:
    args: Args = {"sep": {key: fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 12))
                          for key in ("cpu", "nic", "os", "build")}}
    args["sep"]["tpm_quote"] = None if fdp.ConsumeBool() else _hex(fdp, fdp.ConsumeIntInRange(0,
                                                                                              8))
    if fdp.ConsumeBool():
        args["max_fingerprint_bytes"] = fdp.PickValueInList([1, 4, 12, 4096, 0, 4097])
    return args


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
        "client_nonce": _hex(fdp, 12), "network_context": _network(fdp),
        "server_profile_id": _u64(fdp)}),
    ("session_token", lambda fdp: {"session_key": _hex(fdp, 32), "client_nonce": _hex(fdp, 12),
                                   "timestamp": _stamp(fdp)}),
    ("rtt_bucket", lambda fdp: {"samples_ms": [
        fdp.ConsumeRegularFloat() if fdp.ConsumeBool() else fdp.ConsumeFloatInRange(0.0, 2000.0)
        for _ in range(fdp.ConsumeIntInRange(0, 6))]}),
    ("config_validate", lambda fdp: {"config": _config(fdp)}),
)


def shim_request(data: bytes) -> tuple[str, Args]:
    """The request that `data` describes: its first byte picks the operation."""
    fdp = atheris.FuzzedDataProvider(data)
    op, build = OPERATIONS[fdp.ConsumeIntInRange(0, 255) % len(OPERATIONS)]
    args = build(fdp)
    if fdp.ConsumeProbability() < 0.2:
        present = sorted(key for key in _OUT_OF_RANGE if key in args)
        if present:
            key = present[fdp.ConsumeIntInRange(0, len(present) - 1)]
            args[key] = _OUT_OF_RANGE[key](fdp)
    return op, args
