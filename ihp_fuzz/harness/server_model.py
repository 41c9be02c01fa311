"""An independent model of `POST /ihp/auth` (spec §11) at the test server, for server_body.

The test server: profile id 42, the test master key, SEP and fixed TLS exporter key of
`ihp_server.testing` (restated here; the harness checks they are still the server's), the
default configuration, and a clock fixed at `NOW`. Shares no code with `ihp_ref` or
`ihp_server`.

For a request the model gives the outcomes the spec allows, each a pair (status, what
the decryption metrics count: None for nothing, "ok" for a success, else the failure's
telemetry code):

- Content-Length not a decimal number → 400; over 256 KiB → 413; a media type other
  than application/json → 415; a body over 256 KiB → 413 (any of them when several
  apply). Nothing is counted.
- a body that is not UTF-8 JSON (duplicate keys, NaN and Infinity are not) → 400; a
  leading byte order mark may be ignored (RFC 8259 §8.1), and JSON nested deeper than
  `DEEP_NESTING` may be refused with 400 (the server's parser recursion);
- not an object, or a `server_profile_id` that is not a string → 422 (a failed
  step 0 may be counted, or not);
- a `server_profile_id` string other than "42" → 401 counted `CodecError`
  (docs/INTERPRETATIONS.md); when the form is also broken, 422 counted as below too;
- a form `capsule_from_http` must reject (`http_form.from_http`) → 422, counted with
  the code (step 0 of the decryption);
- otherwise the decryption of spec §7.5 under the server's key at `NOW`: 200 counted
  "ok", or 401 counted with the model's code.

`Expected.non_utf8` holds the outcomes of bodies that are JSON only when decoded as
Python's `json.loads(bytes)` does (UTF-16/32, UTF-8-encoded surrogates). The server read
them so once (a UTF-16 capsule authenticated; found by this harness, fixed since): the
harness keeps them apart to name that regression `non-utf8-json-read` if it comes back.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from dataclasses import dataclass
from typing import Any

import blake3

from ihp_fuzz.harness import golden
from ihp_fuzz.harness.asgi import MAX_BODY_BYTES, AuthRequest
from ihp_fuzz.harness.http_form import from_http
from ihp_fuzz.harness.model import CapsuleFields, ModelConfig, expected_decrypt
from ihp_fuzz.harness.wire import no_duplicate_keys

__all__ = [
    "ENV_HASH",
    "EXPORTER_KEY",
    "MASTER_KEY",
    "NOW",
    "PROFILE_ID",
    "SEP",
    "Expected",
    "expected",
    "session_key",
    "session_token",
    "telemetry",
]

MASTER_KEY = b"ihp test master key for tests!!!"  # ihp_server.testing.TEST_MASTER_KEY_HEX
EXPORTER_KEY = b"test exporter key"  # ihp_server.testing.TEST_EXPORTER_HEX
SEP = ("cpu:test", "nic:test", "os:test", "build:test")  # ihp_server.testing.TEST_SEP
PROFILE_ID = 42
NOW = golden.GOLDEN_TIMESTAMP  # the server's clock
CONFIG = ModelConfig()
DEEP_NESTING = 200  # openers; Python's recursion limit is 1,000 frames

# spec §5 (no TPM quote), §6, §3 labels
ENV_HASH = blake3.blake3("\0".join(SEP).encode() + b"\0\0").digest()
_PROFILE_KEY = golden.hkdf(ENV_HASH, MASTER_KEY, b"IHP_PROFILE_KEY:v1")
_LABEL_SESSION = b"IHP_SESSION_KEY:v1"
_LABEL_TOKEN = b"IHP_SESSION_TOKEN:v1"

# spec §8: error code → telemetry code (the codes a request can end with)
_TELEMETRY = {"Codec": "CodecError", "InvalidNonceLength": "ConfigRejected",
              "InvalidAeadTag": "AeadTagInvalid", "StaleTimestamp": "TimestampStale",
              "HeaderIdMismatch": "HeaderIdMismatch", "InvalidVersion": "VersionUnsupported",
              "InvalidTimestamp": "ConfigRejected", "Config": "ConfigRejected",
              "NonceReuse": "NonceReuse", "NonceCollision": "NonceCollision"}

Outcome = tuple[int, str | None]
_NOT_JSON: frozenset[Outcome] = frozenset({(400, None)})
_DIGITS = re.compile(r"[0-9]+")
_UTF8 = ("utf-8", "utf-8-sig")


def telemetry(code: str) -> str:
    return _TELEMETRY[code]


@dataclass(frozen=True, slots=True)
class Expected:
    outcomes: frozenset[Outcome]
    fields: CapsuleFields | None = None  # the capsule, when the body decodes to one
    non_utf8: frozenset[Outcome] = frozenset()


def session_key(fields: CapsuleFields) -> bytes:
    """spec §6 at the test server (its own profile id, the fixed exporter key)."""
    info = _LABEL_SESSION + fields.client_nonce + struct.pack(
        "<BHQ", fields.rtt_bucket, fields.path_hint, PROFILE_ID)
    return golden.hkdf(_PROFILE_KEY, EXPORTER_KEY, info)


def session_token(fields: CapsuleFields) -> str:
    """spec §10 at the server's clock; HKDF without salt is HKDF with a zero salt."""
    info = _LABEL_TOKEN + fields.client_nonce + struct.pack("<q", NOW)
    raw = golden.hkdf(bytes(32), session_key(fields), info)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _header_outcomes(request: AuthRequest, size: int) -> frozenset[Outcome]:
    statuses = set()
    declared = request.content_length
    if declared is not None:
        text = declared.decode("latin-1")
        if not _DIGITS.fullmatch(text):
            statuses.add(400)
        elif int(text) > MAX_BODY_BYTES:
            statuses.add(413)
    media = request.content_type
    if media is not None and media.decode("latin-1").split(";")[0].strip(" \t").lower() \
            != "application/json":
        statuses.add(415)
    if size > MAX_BODY_BYTES:
        statuses.add(413)
    return frozenset((status, None) for status in statuses)


def _reject_constant(_: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


_DECODER = json.JSONDecoder(object_pairs_hook=no_duplicate_keys, parse_constant=_reject_constant)


def _parse(text: str) -> tuple[bool, Any]:
    try:
        return True, _DECODER.decode(text)
    except (ValueError, RecursionError):
        return False, None


def _form_outcomes(value: Any) -> tuple[frozenset[Outcome], CapsuleFields | None]:
    """What a parsed JSON body may get, and its capsule when it has one."""
    form = from_http(value)
    profile_id = value.get("server_profile_id") if isinstance(value, dict) else None
    if not isinstance(profile_id, str):
        assert isinstance(form, frozenset)
        return frozenset({(422, None), *((422, telemetry(code)) for code in form)}), None
    if isinstance(form, frozenset):
        rejected = frozenset((422, telemetry(code)) for code in form)
        if profile_id != str(PROFILE_ID):
            return rejected | {(401, "CodecError")}, None
        return rejected, None
    if profile_id != str(PROFILE_ID):
        return frozenset({(401, "CodecError")}), form
    decrypted = expected_decrypt(form, CONFIG, ENV_HASH, session_key(form), NOW)
    if decrypted.error is not None:
        return frozenset({(401, telemetry(decrypted.error))}), form
    return frozenset({(200, "ok")}), form


def expected(request: AuthRequest) -> Expected:
    body = request.body
    rejected = _header_outcomes(request, len(body))
    if rejected:
        return Expected(rejected)
    try:
        text: str | None = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    outcomes, fields = _utf8_outcomes(text)
    if text is None or json.detect_encoding(body) not in _UTF8:
        python_outcomes, python_fields = _python_outcomes(body)
        return Expected(outcomes, fields or python_fields, python_outcomes - outcomes)
    return Expected(outcomes, fields)


def _utf8_outcomes(text: str | None) -> tuple[frozenset[Outcome], CapsuleFields | None]:
    if text is None:
        return _NOT_JSON, None
    extra: frozenset[Outcome] = frozenset()
    if text.startswith("\ufeff"):  # RFC 8259 §8.1: a parser MAY ignore it
        text, extra = text[1:], _NOT_JSON
    parsed, value = _parse(text)
    if not parsed:
        return _NOT_JSON, None
    if text.count("[") + text.count("{") > DEEP_NESTING:
        extra = _NOT_JSON
    outcomes, fields = _form_outcomes(value)
    return outcomes | extra, fields


def _python_outcomes(body: bytes) -> tuple[frozenset[Outcome], CapsuleFields | None]:
    """What a body gets when read as `json.loads(bytes)` reads it: UTF-16 and UTF-32
    guessed from zero bytes, surrogates let through."""
    try:
        value = json.loads(body, object_pairs_hook=no_duplicate_keys,
                           parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return _NOT_JSON, None
    return _form_outcomes(value)
