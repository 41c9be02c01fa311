"""Each harness's rule can fail: a broken implementation in-process makes it raise.

(A harness that could not fail would fuzz nothing.) The broken versions are patched into
the `ihp_ref` (or `ihp_server`) module the harness calls; the inputs are committed seeds.
"""

from __future__ import annotations

import hashlib
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import Response

import ihp_ref
from ihp_fuzz.harness.findings import HarnessFinding
from ihp_server import _app, _auth
from tests._fuzz_support import FUZZ, import_harness


def _seed(harness: str, name: str) -> bytes:
    return (FUZZ / "corpus" / harness / f"seed-{name}").read_bytes()


def _finds(harness: str, seed: str, bucket: str) -> None:
    """The harness, on its committed seed, reports a finding in `bucket`."""
    with pytest.raises(HarnessFinding, match=bucket):
        import_harness(harness).TestOneInput(_seed(harness, seed))


def _errors_become(monkeypatch: pytest.MonkeyPatch, function: str,
                   code: ihp_ref.ErrorCode) -> None:
    """Patch `ihp_ref.<function>` so that every `IhpError` it raises carries `code`."""
    real = getattr(ihp_ref, function)

    def recoded(*args: Any) -> Any:
        try:
            return real(*args)
        except ihp_ref.IhpError:
            raise ihp_ref.IhpError(code) from None

    monkeypatch.setattr(ihp_ref, function, recoded)


def test_nonce_mutation_catches_a_wrong_error_code(monkeypatch: pytest.MonkeyPatch) -> None:
    harness = import_harness("nonce_mutation")
    real = ihp_ref.decrypt_capsule

    def lenient(*args: Any, **kwargs: Any) -> Any:
        try:
            return real(*args, **kwargs)
        except ihp_ref.IhpError as error:
            if error.code is ihp_ref.ErrorCode.STALE_TIMESTAMP:
                raise ihp_ref.IhpError(ihp_ref.ErrorCode.INVALID_TIMESTAMP) from None
            raise

    monkeypatch.setattr(ihp_ref, "decrypt_capsule", lenient)
    harness.TestOneInput(_seed("nonce_mutation", "ok-binary"))
    _finds("nonce_mutation", "step8-stale-past", "expected-StaleTimestamp-got-InvalidTimestamp")


def test_nonce_mutation_catches_a_failure_counted_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ihp_ref.decrypt_capsule

    def double_count(*args: Any, metrics: Any, **kwargs: Any) -> Any:
        try:
            return real(*args, metrics=metrics, **kwargs)
        except ihp_ref.IhpError as error:
            metrics.increment("ihp.decrypt.failure", {"code": error.code.telemetry})
            raise

    monkeypatch.setattr(ihp_ref, "decrypt_capsule", double_count)
    _finds("nonce_mutation", "step4-tag-bit", "metrics-decrypt-failure")


def test_json_decode_catches_a_round_trip_that_changes_the_capsule(
        monkeypatch: pytest.MonkeyPatch) -> None:
    harness = import_harness("json_decode")
    real = ihp_ref.capsule_to_json
    harness.TestOneInput(_seed("json_decode", "golden-valid"))
    harness.TestOneInput(_seed("json_decode", "golden-trailing"))
    # a header id of 42 is written as 142: valid JSON, another capsule
    monkeypatch.setattr(ihp_ref, "capsule_to_json",
                        lambda c: real(c).replace('"header_id":', '"header_id":1', 1))
    for seed in ("golden-valid", "golden-trailing"):  # canonical input, and not
        with pytest.raises(HarnessFinding, match="json-roundtrip-differs"):
            harness.TestOneInput(_seed("json_decode", seed))


def test_json_decode_catches_an_error_code_other_than_codec(
        monkeypatch: pytest.MonkeyPatch) -> None:
    harness = import_harness("json_decode")
    _errors_become(monkeypatch, "capsule_from_json", ihp_ref.ErrorCode.INVALID_NONCE_LENGTH)
    harness.TestOneInput(_seed("json_decode", "golden-valid"))
    _finds("json_decode", "golden-nonce-11", "json-raised-InvalidNonceLength")


def test_json_decode_lets_other_exceptions_through(monkeypatch: pytest.MonkeyPatch) -> None:
    harness = import_harness("json_decode")
    monkeypatch.setattr(ihp_ref, "capsule_from_json", lambda _: {}["version"])
    with pytest.raises(KeyError):
        harness.TestOneInput(_seed("json_decode", "golden-valid"))


def test_json_model_catches_a_rejected_valid_capsule(monkeypatch: pytest.MonkeyPatch) -> None:
    harness = import_harness("json_model")
    harness.TestOneInput(_seed("json_model", "golden-valid"))
    monkeypatch.setattr(ihp_ref, "capsule_from_json", lambda _: (_ for _ in ()).throw(
        ihp_ref.IhpError(ihp_ref.ErrorCode.CODEC)))
    _finds("json_model", "golden-valid", "json-rejects-valid")


def test_json_model_catches_fields_that_differ_from_the_model_s(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = ihp_ref.capsule_from_json

    def wrong_header_id(document: Any) -> Any:
        capsule = real(document)
        return ihp_ref.IhpCapsule(capsule.version, capsule.header_id + 1, capsule.client_nonce,
                                  capsule.server_profile_id, capsule.network_context,
                                  capsule.payload)

    monkeypatch.setattr(ihp_ref, "capsule_from_json", wrong_header_id)
    _finds("json_model", "fixture-valid", "json-fields-differ")


def test_json_model_catches_a_non_canonical_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ihp_ref.capsule_to_json
    monkeypatch.setattr(ihp_ref, "capsule_to_json", lambda c: real(c).replace(",", ", ", 1))
    import_harness("json_decode").TestOneInput(_seed("json_decode", "golden-valid"))
    _finds("json_model", "golden-valid", "json-not-canonical")


def test_binary_decode_catches_a_non_canonical_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ihp_ref.capsule_to_binary
    monkeypatch.setattr(ihp_ref, "capsule_to_binary", lambda c: real(c) + b"\0")
    _finds("binary_decode", "golden-valid", "binary-not-canonical")


def test_http_body_catches_a_wrong_nonce_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _errors_become(monkeypatch, "capsule_from_http", ihp_ref.ErrorCode.CODEC)
    _finds("http_body", "nonce-11", "http-raised-Codec")


def test_roundtrip_catches_a_payload_that_is_not_the_spec_s(
        monkeypatch: pytest.MonkeyPatch) -> None:
    harness = import_harness("capsule_roundtrip")
    real = ihp_ref.encrypt_capsule

    def flipped(*args: Any, **kwargs: Any) -> Any:
        capsule = real(*args, **kwargs)
        return ihp_ref.IhpCapsule(capsule.version, capsule.header_id, capsule.client_nonce,
                                  capsule.server_profile_id, capsule.network_context,
                                  bytes([capsule.payload[0] ^ 1]) + capsule.payload[1:])

    monkeypatch.setattr(ihp_ref, "encrypt_capsule", flipped)
    # FuzzedDataProvider inputs: about one in ten reaches a successful encryption
    candidates = [hashlib.sha256(bytes([n])).digest() * 4 for n in range(256)]
    with pytest.raises(HarnessFinding, match="encrypt-payload-differs"):
        for data in candidates:
            harness.TestOneInput(data)


def test_differential_catches_a_shim_that_answers_differently(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shim = tmp_path / "always_codec.py"
    shim.write_text(textwrap.dedent("""
        import json, sys
        for line in sys.stdin:
            request = json.loads(line)
            if request["op"] == "hello":
                result = {"protocol": "ihp-shim/1", "implementation": "x", "version": "0",
                          "ops": ["decrypt_capsule"]}
                response = {"id": request["id"], "ok": True, "result": result}
            else:
                response = {"id": request["id"], "ok": False, "error": "Codec"}
            print(json.dumps(response), flush=True)
    """), encoding="utf-8")
    harness = import_harness("differential")
    monkeypatch.setenv("IHP_FUZZ_SHIM", f"{sys.executable} {shim}")
    monkeypatch.setattr(harness, "_client", None)
    with pytest.raises(HarnessFinding, match="differs-"):
        for seed in sorted((FUZZ / "corpus" / "differential").iterdir()):
            harness.TestOneInput(seed.read_bytes())
    harness._client.close()


def test_server_body_catches_a_401_that_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    harness = import_harness("server_body")
    harness.TestOneInput(_seed("server_body", "stale"))
    monkeypatch.setattr(_app, "_unauthorized", lambda: Response(
        b'{"status":"error","reason":"stale"}', status_code=401, media_type="application/json"))
    _finds("server_body", "stale", "401-body-differs")


def test_server_body_catches_an_exception_the_app_answers_401(
        monkeypatch: pytest.MonkeyPatch) -> None:
    harness = import_harness("server_body")
    harness.TestOneInput(_seed("server_body", "valid"))

    def broken(*args: Any) -> Any:
        raise KeyError("bug")

    monkeypatch.setattr(harness.AUTHENTICATOR, "_decrypt", broken)
    _finds("server_body", "valid", "internal-error-KeyError")
    harness.TestOneInput(_seed("server_body", "not-json"))  # a 400 never reaches it


def test_server_body_catches_a_5xx(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _app._error_json
    monkeypatch.setattr(_app, "_error_json", lambda status, reason: real(
        500 if status == 415 else status, reason))
    harness = import_harness("server_body")
    harness.TestOneInput(_seed("server_body", "not-json"))
    _finds("server_body", "text-plain", "status-500")


def test_server_body_catches_a_server_that_reads_utf16_bodies(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the finding this harness made: `b"1\x00"` is UTF-8 text that is not JSON, which
    # json.loads(bytes) reads as UTF-16 "1" (422 instead of 400). Fixed in ihp_server;
    # planted back here, the harness must see it again.
    harness = import_harness("server_body")
    utf16 = b"\x01\x01\x00\x00" + b"1\x00"
    harness.TestOneInput(utf16)  # the fixed server: 400, no finding

    def reads_any_unicode_json(body: bytes) -> object:
        try:
            return json.loads(body)
        except ValueError:
            raise ihp_ref.IhpError(ihp_ref.ErrorCode.CODEC) from None

    monkeypatch.setattr(_auth, "parse_http_body", reads_any_unicode_json)
    with pytest.raises(HarnessFinding, match="non-utf8-json-read"):
        harness.TestOneInput(utf16)
