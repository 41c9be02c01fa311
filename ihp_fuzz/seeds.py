"""The committed seed corpora of `fuzz/corpus/<harness>/`, generated (`python -m
ihp_fuzz.seeds`): seeds have provenance, like vectors, and are never edited by hand.

nonce_mutation's seeds reach every step of spec §7.5 (coverage measured in
tests/test_fuzz_seeds.py); the decoder seeds are valid capsules in both wire forms
(both §17 fixtures) and one near miss per decoding rule; `ihp_fuzz.boundary_seeds` adds,
for every harness it can reach, both sides of every boundary the spec names.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import blake3

from ihp_fuzz.boundary_seeds import boundary_seeds
from ihp_fuzz.harness import asgi, golden, inputs, server_model, wire
from ihp_fuzz.harness.http_form import to_http
from ihp_fuzz.harness.model import I64_MAX, I64_MIN, CapsuleFields, plaintext, seal

__all__ = ["fixture_fields", "seed_inputs", "write_seeds"]

def fixture_fields() -> CapsuleFields:
    """`capsule_v1.hex` of spec §17 (its own key; the decoders only need its bytes)."""
    sep = b"\0".join([b"cpu:fixture", b"nic:fixture", b"os:fixture", b"build:fixture"])
    env_hash = blake3.blake3(sep + b"\0\0").digest()
    profile = golden.hkdf(env_hash, b"master key material for ihp pro!", b"IHP_PROFILE_KEY:v1")
    info = b"IHP_SESSION_KEY:v1" + b"\7" * 12 + struct.pack("<BHQ", 7, 120, 42)
    key = golden.hkdf(profile, b"tls exporter key material", info)
    unsealed = CapsuleFields(1, 99, b"\7" * 12, 42, 7, 120, b"")
    payload = seal(key, unsealed, env_hash, plaintext(b"fixture payload", 1_700_000_000, 99))
    return unsealed._replace(payload=payload)


def _resealed(fields: CapsuleFields, body: bytes) -> CapsuleFields:
    return fields._replace(payload=seal(golden.independent_session_key(),
                                        fields, golden.GOLDEN_ENV_HASH, body))


def _body(password: bytes = golden.GOLDEN_PASSWORD, timestamp: int = golden.GOLDEN_TIMESTAMP,
          header_id: int = golden.GOLDEN_HEADER_ID) -> bytes:
    return plaintext(password, timestamp, header_id)


def _mutation_seeds() -> Iterator[tuple[str, int, int, CapsuleFields, bool]]:
    """(name, now, config variant, capsule, as JSON): one per decryption step."""
    g, ts = golden.golden_fields(), golden.GOLDEN_TIMESTAMP
    yield "ok-binary", ts, 0, g, False
    yield "ok-json", ts, 0, g, True
    yield "ok-drift-edge", ts + 300, 0, g, False
    yield "step0-now-i64min", I64_MIN, 0, g, False
    yield "step1-config", ts, 6, g, False
    yield "step2-version", ts, 0, _resealed(g._replace(version=2), _body()), False
    yield "ok-version2", ts, 1, _resealed(g._replace(version=2), _body()), False
    yield "step3-path-hint-0", ts, 0, _resealed(g._replace(path_hint=0), _body()), False
    yield "step4-tag-bit", ts, 0, g._replace(payload=g.payload[:-1] + bytes(
        [g.payload[-1] ^ 1])), False
    yield "step4-nonce", ts, 0, g._replace(client_nonce=b"\2" + g.client_nonce[1:]), False
    yield "step4-profile-id", ts, 0, g._replace(server_profile_id=2), False
    yield "step4-short", ts, 0, g._replace(payload=g.payload[:15]), False
    yield "step5-short-plaintext", ts, 0, _resealed(g, _body()[:19]), False
    yield "step5-declared-over-max", ts, 4, g, False
    yield "step5-total", ts, 0, _resealed(g, b"\x0d" + _body()[1:]), False
    yield "step6-i64min", ts, 0, _resealed(g, _body(timestamp=I64_MIN)), False
    yield "step7-clear-header-id", ts, 0, g._replace(header_id=45), False
    yield "step7-embedded-header-id", ts, 0, _resealed(g, _body(header_id=43)), False
    yield "step8-stale-past", ts + 301, 0, g, False
    yield "step8-stale-future", ts - 301, 0, g, True
    yield "step8-exact", I64_MIN + 1, 3, _resealed(g, _body(timestamp=I64_MAX)), False
    yield "ok-empty-password", ts, 0, _resealed(g, _body(password=b"")), False


def _decoder_variants(fields: CapsuleFields) -> Iterator[tuple[str, bytes, bytes]]:
    """(name, binary form, JSON form)."""
    binary, text = wire.to_binary(fields), wire.to_json(fields).encode()
    yield "valid", binary, text
    yield "trailing", binary + b"\0", text.replace(b"{", b'{"extra":[[{"a":[]}]],', 1)
    yield "short", binary[:39], text.replace(b',"payload"', b',"pay"', 1)
    huge = binary[:32] + struct.pack("<Q", 65_573) + binary[40:]
    yield "huge-length", huge, text.replace(b'"version":1', b'"version":1.0', 1)
    yield "duplicate", binary[:32] + struct.pack("<Q", 2**64 - 1), \
        text.replace(b'{"version":1', b'{"version":1,"version":1', 1)
    yield "nonce-11", binary[:-1], text.replace(b"[1,1,1,1,1,1,1,1,1,1,1,1]",
                                                b"[1,1,1,1,1,1,1,1,1,1,1]", 1)


def _compact(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _http_variants(fields: CapsuleFields) -> Iterator[tuple[str, dict[str, object]]]:
    """(name, body): the §9.3 form of the golden capsule and one near miss per rule."""
    body = to_http(fields)
    yield "valid", body
    yield "nonce-11", {**body, "client_nonce_b64": base64.b64encode(b"\1" * 11).decode()}
    yield "nonce-not-base64", {**body, "client_nonce_b64": "AQEBAQEBAQEBAQEB!"}
    yield "profile-id-leading-zero", {**body, "server_profile_id": "01"}
    yield "profile-id-number", {**body, "server_profile_id": 1}
    yield "nonce-non-canonical", {**body, "client_nonce_b64": "AQEBAQEBAQEBAQH="}
    yield "payload-unpadded", {**body, "payload_b64": str(body["payload_b64"]).rstrip("=")}
    yield "version-bool", {**body, "version": True}
    yield "missing-network", {k: v for k, v in body.items() if k != "network_context"}


def server_fields(timestamp: int = server_model.NOW) -> CapsuleFields:
    """The golden capsule addressed to server_body's test server: its profile id, sealed
    under its key with a `timestamp` (by default its clock)."""
    unsealed = golden.golden_fields()._replace(server_profile_id=server_model.PROFILE_ID)
    return unsealed._replace(payload=seal(server_model.session_key(unsealed), unsealed,
                                          server_model.ENV_HASH, _body(timestamp=timestamp)))


def _server_requests() -> Iterator[tuple[str, bytes]]:
    """(name, input): requests that reach each answer of spec §11 (asgi.py's layout)."""
    request = asgi.encode_request
    forms = {name: _compact(body) for name, body in _http_variants(server_fields())}
    for name, body in forms.items():  # 200, then 422 or 401 (the profile id ones)
        yield name, request(body)
    valid = forms["valid"]
    yield "valid-chunked", request(valid, length_mode=0, split=128)
    yield "valid-charset", request(valid, content_type=2, split=1)
    yield "valid-at-256k", request(valid, pad=61)
    yield "golden-profile-1", request(_compact(to_http(golden.golden_fields())))
    yield "stale", request(_compact(to_http(server_fields(server_model.NOW - 301))))
    yield "not-json", request(valid[:-1])
    yield "not-an-object", request(b"[" + valid + b"]")
    yield "content-length-over-256k", request(valid, length_mode=2, parameter=4)
    yield "content-length-not-a-number", request(valid, length_mode=3, parameter=2)
    yield "text-plain", request(valid, content_type=6)
    yield "body-over-256k", request(valid, length_mode=0, pad=62)


def seed_inputs() -> dict[str, dict[str, bytes]]:
    """harness → {file name → content}."""
    corpora: dict[str, dict[str, bytes]] = {h: {} for h in (
        "nonce_mutation", "binary_decode", "json_decode", "capsule_roundtrip", "differential",
        "http_body", "server_body")}
    for name, now, variant, fields, as_json in _mutation_seeds():
        body = inputs.encode_capsule(fields, as_json)
        corpora["nonce_mutation"][name] = inputs.MutationInput(now, variant, body,
                                                               as_json).encode()
    for source, fields in (("golden", golden.golden_fields()), ("fixture", fixture_fields())):
        for name, binary, text in _decoder_variants(fields):
            corpora["binary_decode"][f"{source}-{name}"] = binary
            corpora["json_decode"][f"{source}-{name}"] = text
    for name, request in _http_variants(golden.golden_fields()):
        corpora["http_body"][name] = _compact(request)
    corpora["server_body"] = dict(_server_requests())
    golden_json = wire.to_json(golden.golden_fields())
    corpora["json_decode"]["minus-zero"] = golden_json.replace('"payload":[', '"payload":[-0,',
                                                               1).encode()
    corpora["json_decode"]["deep"] = b'{"x":' + b"[" * 70 + b"]" * 70 + b"}"
    corpora["json_decode"]["not-utf8"] = b'{"version":"\xff"}'
    for index in range(48):  # FuzzedDataProvider inputs: a spread of first bytes and lengths
        blob = hashlib.sha256(bytes([index])).digest() * (1 + index % 4)
        corpora["capsule_roundtrip"][f"fdp-{index:02d}"] = bytes([index * 5]) + blob
        if index < 24:  # the first byte picks the operation: each of the 12 twice
            corpora["differential"][f"op-{index:02d}"] = bytes([index]) + blob
    corpora["json_model"] = dict(corpora["json_decode"])  # one input space, two oracles
    for harness, seeds in boundary_seeds().items():  # both sides of every boundary
        corpora[harness].update(seeds)
    return corpora


def write_seeds(root: Path) -> int:
    """Write every seed (`seed-<what it reaches>`) and
    remove generated seeds that are no longer generated. Returns the number written."""
    count = 0
    for harness, seeds in seed_inputs().items():
        folder = root / "corpus" / harness
        folder.mkdir(parents=True, exist_ok=True)
        wanted = {f"seed-{name}": content for name, content in seeds.items()}
        for stale in folder.glob("seed-*"):
            if stale.name not in wanted:
                stale.unlink()
        for name, content in wanted.items():
            (folder / name).write_bytes(content)
            count += 1
    return count


if __name__ == "__main__":
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1].startswith("-")):
        sys.exit("usage: python -m ihp_fuzz.seeds [FUZZ_DIR]  (default: the checkout's fuzz/)")
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "fuzz"
    print(f"wrote {write_seeds(target)} seeds under {target / 'corpus'}")
