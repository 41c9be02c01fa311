"""Every vector re-derived by a second implementation (PyCryptodome, own encodings).

`ihp_vectors.independent` shares no code with `ihp_ref`: if the reference were wrong,
a valid case's expected value would not re-derive here. That it shares no code is checked
with the other independent oracles (tests/test_oracles.py, docs/ORACLES.md).
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import blake3
import pytest
from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF

from ihp_vectors import VectorCase, load_cases
from ihp_vectors._paths import REPO_ROOT
from ihp_vectors.independent import IndependentSession


@pytest.fixture(scope="module")
def cases() -> list[VectorCase]:
    return load_cases()


def outcomes(case: VectorCase, session: IndependentSession) -> list[tuple[Any, Any]]:
    """(recorded outcome, independent outcome) for the case or each of its steps."""
    if case.steps is None:
        steps = [(case.args, case.expected, case.error)]
    else:
        steps = [({**s.args, "replay_guard": case.tc_id}, s.expected, s.error) for s in case.steps]
    pairs = []
    for args, expected, error in steps:
        response = session.handle({"id": 0, "op": case.operation, "args": args})
        got = response["result"] if response["ok"] else response["error"]
        pairs.append((expected if error is None else error, got))
    return pairs


def test_every_valid_case_re_derives(cases: list[VectorCase]) -> None:
    session = IndependentSession()
    valid = [c for c in cases if c.result == "valid" or c.steps is not None]
    assert len(valid) > 200
    mismatches = [
        case.tc_id
        for case in valid
        for recorded, got in outcomes(case, session)
        if not isinstance(recorded, str) and recorded != got
    ]
    assert mismatches == []


def test_every_invalid_case_gets_the_same_error(cases: list[VectorCase]) -> None:
    session = IndependentSession()
    mismatches = [
        f"{case.tc_id}: {recorded} vs {got}"
        for case in cases
        for recorded, got in outcomes(case, session)
        if isinstance(recorded, str) and recorded != got
    ]
    assert mismatches == []


def test_the_comparison_can_fail(cases: list[VectorCase]) -> None:
    case = next(c for c in cases if c.tc_id == "encrypt/base")
    assert case.expected is not None
    payload = case.expected["capsule"]["payload"]
    flipped = payload[:-1] + ("0" if payload[-1] != "0" else "1")
    forged = {"capsule": {**case.expected["capsule"], "payload": flipped}}
    [(recorded, got)] = outcomes(case, IndependentSession())
    assert recorded == got and forged != got


# --- the §17 fixtures, derived from their stated inputs alone ------------------------------


def _hkdf(salt: bytes, ikm: bytes, info: bytes) -> bytes:
    out = HKDF(ikm, 32, salt, SHA256, context=info)
    assert isinstance(out, bytes)
    return out


def _open_fixture(
    master: bytes,
    env_hash: bytes,
    profile_id: int,
    nonce: bytes,
    rtt: int,
    path: int,
    version: int,
    payload: bytes,
) -> bytes:
    profile_key = _hkdf(env_hash, master, b"IHP_PROFILE_KEY:v1")
    info = b"IHP_SESSION_KEY:v1" + nonce + struct.pack("<BHQ", rtt, path, profile_id)
    session_key = _hkdf(profile_key, b"tls exporter key material", info)
    aad = b"IHP_CAPSULE_AAD:v1" + struct.pack("<BQBH", version, profile_id, rtt, path) + env_hash
    cipher = AES.new(session_key, AES.MODE_GCM, nonce=nonce, mac_len=16)
    cipher.update(aad)
    return bytes(cipher.decrypt_and_verify(payload[:-16], payload[-16:]))


def test_golden_json_fixture_decrypts_with_the_stated_keys() -> None:
    text = (REPO_ROOT / "vectors" / "golden" / "golden_capsule_v1.json").read_text("utf-8")
    capsule = json.loads(text)
    assert text == json.dumps(capsule, indent=2)  # serde_json::to_string_pretty layout
    assert list(capsule) == [
        "version",
        "header_id",
        "client_nonce",
        "server_profile_id",
        "network_context",
        "payload",
    ]
    assert (capsule["version"], capsule["header_id"], capsule["server_profile_id"]) == (1, 44, 1)
    assert capsule["network_context"] == {"rtt_bucket": 5, "path_hint": 120}
    plaintext = _open_fixture(
        b"IHP deterministic master keyseed",
        b"\x42" * 32,
        1,
        bytes(capsule["client_nonce"]),
        5,
        120,
        1,
        bytes(capsule["payload"]),
    )
    assert plaintext == (
        struct.pack("<I", 12) + b"known-answer" + struct.pack("<qQ", 1_700_000_123, 44)
    )


def test_binary_fixture_decrypts_with_the_stated_keys() -> None:
    text = (REPO_ROOT / "vectors" / "golden" / "capsule_v1.hex").read_text("ascii")
    assert text.endswith("\n") and text.strip() == text[:-1]
    data = bytes.fromhex(text)
    version, header_id = struct.unpack_from("<BQ", data)
    nonce = data[9:21]
    profile_id, rtt, path, length = struct.unpack_from("<QBHQ", data, 21)
    assert (version, header_id, nonce, profile_id, rtt, path) == (1, 99, b"\x07" * 12, 42, 7, 120)
    assert length == len(data) - 40
    env_hash = blake3.blake3(
        b"cpu:fixture\x00nic:fixture\x00os:fixture\x00build:fixture\x00\x00"
    ).digest()
    plaintext = _open_fixture(
        b"master key material for ihp pro!", env_hash, 42, nonce, rtt, path, 1, data[40:]
    )
    assert plaintext == (
        struct.pack("<I", 15) + b"fixture payload" + struct.pack("<qQ", 1_700_000_000, 99)
    )


def test_token_encoding_from_the_spec_text(cases: list[VectorCase]) -> None:
    case = next(c for c in cases if c.tc_id == "token/timestamp/-1")
    key, nonce = bytes.fromhex(case.args["session_key"]), bytes.fromhex(case.args["client_nonce"])
    okm = _hkdf(b"\x00" * 32, key, b"IHP_SESSION_TOKEN:v1" + nonce + struct.pack("<q", -1))
    assert case.expected == {"token": base64.urlsafe_b64encode(okm).decode().rstrip("=")}
