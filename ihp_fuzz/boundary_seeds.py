"""Seeds at both sides of every boundary the spec names, so that a divergence or an
off-by-one at a boundary is one mutation away (issue 10 §4).

Where the vectors have the case (`ihp_vectors.load_cases()`: flags `Boundary`,
`SizeLimit`, `EdgeCaseValue`, `ArgumentRange` and the spec §15 divergences), the seed is
the vector's own input: its JSON text (`json_decode`, `json_model`), its bytes
(`binary_decode`), or the whole request as a literal (`differential`,
`ihp_fuzz.harness.literal`, long runs written short; a password, TPM quote or binary
payload that only counts by its length is written as one repeated byte when the vector's
random bytes would not fit). The boundaries the vectors do not
pin on both sides (nesting 64/65 at several places, array-shaped objects, the drift
window's edges under every configuration, i64 extremes of `now` and the timestamp, u64
max/max+1 in every integer field, 11/13-byte nonces) are made here from the §17 golden
capsule.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from functools import cache

import ihp_vectors
from ihp_fuzz.harness import golden, inputs, wire
from ihp_fuzz.harness.http_form import to_http
from ihp_fuzz.harness.literal import compress
from ihp_fuzz.harness.model import I64_MAX, I64_MIN, U64_MAX, CapsuleFields, plaintext, seal
from ihp_fuzz.harnesses import get_harness

__all__ = ["BOUNDARY_FLAGS", "boundary_seeds", "vector_boundary_cases"]

# spec §15's divergences (the vectors flag the cases where one shows) and the generic
# boundary flags
DIVERGENCE_FLAGS = frozenset({"DriftOverflow", "BincodeTrailingBytes", "BincodeHugeLength",
                              "JsonDepthUnbounded", "JsonStructAsArray", "JsonNoSizeCap",
                              "V2NotCompiled"})
BOUNDARY_FLAGS = DIVERGENCE_FLAGS | {"Boundary", "SizeLimit", "EdgeCaseValue", "ArgumentRange"}
_MIB = 1 << 20


@cache
def vector_boundary_cases() -> tuple[ihp_vectors.Case, ...]:
    """The single-request vector cases at a boundary (sequences need a replay guard)."""
    return tuple(c for c in ihp_vectors.load_cases()
                 if not c.sequence and BOUNDARY_FLAGS.intersection(c.flags))


def _name(case_id: str) -> str:
    return "vector-" + case_id.replace("/", "_")


def _literal(op: str, args: dict[str, object]) -> bytes:
    return json.dumps({"op": op, "args": compress(args)}, separators=(",", ":")).encode()


# arguments whose bytes only count by their length (the outcome of the case does not
# depend on them): written as one repeated byte, the runs form makes the literal small
_LENGTH_ONLY = {"encrypt_capsule": "password"}


def _vector_literal(case: ihp_vectors.Case) -> bytes:
    """The case as a literal request; past differential's -max_len (a literal of 65,536
    random bytes is 131 KB, and libFuzzer would then grow every input to that), the bytes
    that count only by their length repeated instead."""
    literal = _literal(case.operation, dict(case.args))
    if len(literal) <= get_harness("differential").max_len:
        return literal
    args = dict(case.args)
    if case.operation == "capsule_from_binary":  # the header, then payload bytes
        text = str(args["hex"])
        args["hex"] = text[:80] + "a5" * ((len(text) - 80) // 2)
    elif case.operation == "sep_hash" and isinstance(args.get("sep"), dict):
        sep = dict(args["sep"])
        sep["tpm_quote"] = "a5" * (len(str(sep.get("tpm_quote") or "")) // 2)
        args["sep"] = sep
    elif _LENGTH_ONLY.get(case.operation) in args:
        key = _LENGTH_ONLY[case.operation]
        args[key] = "a5" * (len(str(args[key])) // 2)
    return _literal(case.operation, args)


# ------------------------------------------------------------------ JSON documents


def _nested(depth: int, kind: str) -> str:
    """A JSON value whose deepest point is `depth` levels below it (1: a scalar's
    container): nested arrays or nested objects."""
    if kind == "arrays":
        return "[" * depth + "]" * depth
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


def _json_documents() -> Iterator[tuple[str, str]]:
    """(name, document) pairs on both sides of the §9.1 rules."""
    fields = golden.golden_fields()
    text = wire.to_json(fields)
    body, network = text[:-1], '{"rtt_bucket":5,"path_hint":120}'
    for depth in (64, 65):  # the top-level object is depth 1
        for kind in ("arrays", "objects"):
            yield f"depth-{depth}-unknown-key-{kind}", f'{body},"x":{_nested(depth - 1, kind)}}}'
            yield f"depth-{depth}-in-network-context-{kind}", text.replace(
                network, '{"rtt_bucket":5,"path_hint":120,"x":' + _nested(depth - 2, kind) + "}")
        yield f"depth-{depth}-in-array", f'{body},"x":[1,{_nested(depth - 2, "arrays")}]}}'
    values = [fields.version, fields.header_id, list(fields.client_nonce),
              fields.server_profile_id, [fields.rtt_bucket, fields.path_hint],
              list(fields.payload)]
    yield "array-shaped-capsule", json.dumps(values, separators=(",", ":"))
    yield "array-shaped-network-context", text.replace(network, "[5,120]")
    yield "trailing-bytes", text + "x"
    yield "trailing-whitespace", text + " \n"
    for field, edges in (("header_id", (U64_MAX, U64_MAX + 1)),
                         ("server_profile_id", (U64_MAX, U64_MAX + 1)),
                         ("version", (255, 256)), ("rtt_bucket", (255, 256)),
                         ("path_hint", (0xFFFF, 0x10000, 0, 1))):
        for value in edges:
            old = f'"{field}":{getattr(fields, field)}'
            yield f"{field}-{value}", text.replace(old, f'"{field}":{value}', 1)
    nonce = ",".join("1" * 12)
    for size in (11, 13):
        yield f"nonce-{size}", text.replace(nonce, ",".join("1" * size), 1)
    yield "nonce-byte-256", text.replace(nonce, "256," + ",".join("1" * 11), 1)


def padded_json(size: int) -> bytes:
    """json_model's padded form (`inputs.encode_padded`) of the golden document grown to
    `size` bytes with spaces (spec §9.1's 1 MiB cap)."""
    return inputs.encode_padded(size, wire.to_json(golden.golden_fields()).encode())


# ------------------------------------------------------------------ nonce_mutation


def _resealed(fields: CapsuleFields, password: bytes = golden.GOLDEN_PASSWORD,
              timestamp: int = golden.GOLDEN_TIMESTAMP,
              header_id: int | None = None) -> CapsuleFields:
    body = plaintext(password, timestamp, fields.header_id if header_id is None else header_id)
    return fields._replace(payload=seal(golden.independent_session_key(), fields,
                                        golden.GOLDEN_ENV_HASH, body))


def _mutation_seeds() -> Iterator[tuple[str, int, int, CapsuleFields]]:
    """(name, now, config variant, capsule): the §7.5 boundaries, named by the step whose
    outcome they get (tests/test_fuzz_seeds.py checks each against the model)."""
    g, ts = golden.golden_fields(), golden.GOLDEN_TIMESTAMP
    yield "ok-drift-edge-future", ts - 300, 0, g
    yield "ok-drift-0", ts, 2, g
    yield "step8-drift-0-plus-1", ts + 1, 2, g
    yield "ok-drift-max", ts + 604_800, 3, g
    yield "step8-drift-max-plus-1", ts - 604_801, 3, g
    yield "step8-now-i64min-plus-1", I64_MIN + 1, 0, g
    yield "step8-now-i64max", I64_MAX, 0, g
    yield "step0-now-i64min-drift-max", I64_MIN, 3, g
    # spec §15 DriftOverflow: now − ts = −2^63 (wraps to itself in i64) and one inside
    yield "step8-now-minus-ts-i64min", ts - 2**63, 3, g
    yield "step8-now-minus-ts-i64min-plus-1", ts - 2**63 + 1, 3, g
    yield "ok-ts-i64max", I64_MAX, 0, _resealed(g, timestamp=I64_MAX)
    yield "ok-ts-i64min-plus-1", I64_MIN + 1, 0, _resealed(g, timestamp=I64_MIN + 1)
    yield "step8-ts-i64min-plus-1-now-i64max", I64_MAX, 3, _resealed(g, timestamp=I64_MIN + 1)
    yield "step6-ts-i64min", I64_MIN + 1, 3, _resealed(g, timestamp=I64_MIN)
    yield "ok-version2-both", ts, 1, _resealed(g._replace(version=2))
    yield "ok-version2-only", ts, 5, _resealed(g._replace(version=2))
    yield "step2-version1-v2-only", ts, 5, g
    yield "ok-path-hint-1", ts, 0, _resealed(g._replace(path_hint=1))
    yield "ok-path-hint-max", ts, 0, _resealed(g._replace(path_hint=0xFFFF))
    yield "ok-header-id-u64max", ts, 0, _resealed(g._replace(header_id=U64_MAX))
    yield "ok-profile-id-u64max", ts, 0, _resealed(g._replace(server_profile_id=U64_MAX))
    yield "ok-password-at-max", ts, 4, _resealed(g, password=b"p" * 8)
    yield "step5-password-max-plus-1", ts, 4, _resealed(g, password=b"p" * 9)


# ------------------------------------------------------------------ HTTP bodies


def _http_bodies() -> Iterator[tuple[str, dict[str, object] | list[object]]]:
    body = to_http(golden.golden_fields())
    network = body["network_context"]
    for value in (U64_MAX, U64_MAX + 1):
        yield f"server-profile-id-{value}", {**body, "server_profile_id": str(value)}
        yield f"header-id-{value}", {**body, "header_id": value}
    for field, edges in (("version", (255, 256)),):
        for value in edges:
            yield f"{field}-{value}", {**body, field: value}
    for key, values in (("rtt_bucket", (255, 256)), ("path_hint", (0, 1, 0xFFFF, 0x10000))):
        for value in values:
            yield f"{key}-{value}", {**body, "network_context": {**network, key: value}}  # type: ignore[dict-item]
    yield "nonce-13", {**body, "client_nonce_b64": "AQEBAQEBAQEBAQEBAQ=="}
    yield "network-context-array", {**body, "network_context": [5, 120]}
    yield "array-shaped", list(body.values())


# ------------------------------------------------------------------ the table


def boundary_seeds() -> dict[str, dict[str, bytes]]:
    """harness → {name → content}: merged into `ihp_fuzz.seeds.seed_inputs()`."""
    seeds: dict[str, dict[str, bytes]] = {h: {} for h in (
        "json_decode", "json_model", "binary_decode", "differential", "nonce_mutation",
        "http_body")}
    for case in vector_boundary_cases():
        literal = _vector_literal(case)
        if len(literal) <= get_harness("differential").max_len:  # never truncated
            seeds["differential"][_name(case.case_id)] = literal
        if case.operation == "capsule_from_json":
            document = str(case.args["json"]).encode("utf-8", "surrogatepass")
            if len(document) <= get_harness("json_decode").max_len:
                seeds["json_decode"][_name(case.case_id)] = document
        elif case.operation == "capsule_from_binary":
            data = bytes.fromhex(str(case.args["hex"]))
            if len(data) <= get_harness("binary_decode").max_len:
                seeds["binary_decode"][_name(case.case_id)] = data
    for name, text in _json_documents():
        seeds["json_decode"][name] = text.encode()
        seeds["differential"][f"json-{name}"] = _literal("capsule_from_json", {"json": text})
    seeds["json_model"] = dict(seeds["json_decode"])
    for delta in (-1, 0, 1):
        seeds["json_model"][f"size-1mib{delta:+d}"] = padded_json(_MIB + delta)
        seeds["differential"][f"json-size-1mib{delta:+d}"] = _literal(
            "capsule_from_json", {"json": inputs.decode_padded(padded_json(_MIB + delta)).decode()})
    for delta in (-1, 0, 1):
        payload = b"\xa5" * (wire.MAX_WIRE_PAYLOAD + delta)
        binary = wire.to_binary(golden.golden_fields()._replace(payload=payload))
        seeds["binary_decode"][f"payload-cap{delta:+d}"] = binary
        seeds["differential"][f"binary-payload-cap{delta:+d}"] = _literal(
            "capsule_from_binary", {"hex": binary.hex()})
    header = wire.to_binary(golden.golden_fields())[:32]
    for prefix in (wire.MAX_WIRE_PAYLOAD + 1, U64_MAX):
        seeds["binary_decode"][f"length-prefix-{prefix}"] = header + struct.pack("<Q", prefix)
    for name, now, variant, fields in _mutation_seeds():
        seeds["nonce_mutation"][name] = inputs.MutationInput(
            now, variant, wire.to_binary(fields), False).encode()
    for name, body in _http_bodies():
        seeds["http_body"][name] = json.dumps(body, separators=(",", ":")).encode()
    return seeds
