"""Building blocks for mutants: the reference shim session with one operation replaced.

A mutant is `ihp_ref.shim.ShimSession` with some operations wrapped: the wrapper gets the
reference's handler and the shim-encoded arguments and returns a result object or raises
`IhpError`, like the handler. `decrypt` and `reseal` re-implement spec §7.5 and the seal
of §7.4 with hooks, so a mutant changes one rule and keeps the others.
"""

from __future__ import annotations

import hmac
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ihp_ref import ErrorCode, IhpError, ServerEnvHash, SessionKey
from ihp_ref.shim import ShimSession, _capsule, _config, _get, _hex, _timestamp

__all__ = [
    "I64_MIN",
    "Args",
    "DecryptRules",
    "Handler",
    "MutantSession",
    "Unsupported",
    "Wrapper",
    "aad_spec",
    "chain",
    "decrypt",
    "fail",
    "hkdf",
    "plaintext_spec",
    "reseal",
]

I64_MIN = -(2**63)
Args = Mapping[str, Any]
Handler = Callable[[Args], dict[str, Any]]
#: `wrapper(session, reference_handler, args) -> result`
Wrapper = Callable[["MutantSession", Handler, Args], dict[str, Any]]


def fail(code: str) -> IhpError:
    return IhpError(ErrorCode(code))


def hkdf(salt: bytes | None, ikm: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt, info).derive(ikm)


def aad_spec(capsule: Mapping[str, Any], env_hash: bytes) -> bytes:
    """spec §7.2, from a shim-encoded capsule."""
    net = capsule["network_context"]
    fields = struct.pack("<BQBH", capsule["version"], int(capsule["server_profile_id"]),
                         net["rtt_bucket"], net["path_hint"])  # fmt: skip
    return b"IHP_CAPSULE_AAD:v1" + fields + env_hash


def plaintext_spec(password: bytes, timestamp: int, header_id: int) -> bytes:
    """spec §7.3."""
    return struct.pack("<I", len(password)) + password + struct.pack("<qQ", timestamp, header_id)


def _parse_spec(plaintext: bytes, max_payload: int) -> tuple[bytes, int, bytes]:
    """spec §7.5 step 5: (password, timestamp, embedded header id bytes)."""
    if len(plaintext) < 20:
        raise fail("Codec")
    (declared,) = struct.unpack_from("<I", plaintext)
    if declared > max_payload or len(plaintext) != 4 + declared + 16:
        raise fail("Codec")
    (ts,) = struct.unpack_from("<q", plaintext, 4 + declared)
    return plaintext[4 : 4 + declared], ts, plaintext[4 + declared + 8 :]


@dataclass(frozen=True)
class DecryptRules:
    """spec §7.5 as replaceable pieces; the defaults are the specification."""

    aad: Callable[[Mapping[str, Any], bytes], bytes] = aad_spec
    parse: Callable[[bytes, int], tuple[bytes, int, bytes]] = _parse_spec
    header_bytes: Callable[[int], bytes] = lambda h: struct.pack("<Q", h)
    drift_ok: Callable[[int, int, int], bool] = lambda now, ts, m: abs(now - ts) <= m
    version_check: bool = True
    version_after_aead: bool = False
    path_hint_check: bool = True
    timestamp_min_check: bool = True
    header_check: bool = True
    drift_before_header: bool = False


def decrypt(session: MutantSession, args: Args, rules: DecryptRules) -> dict[str, Any]:
    """spec §7.5 with `rules`; step 0 and the replay guard are the reference's."""
    key = SessionKey(_hex(_get(args, "session_key")))
    now = _timestamp(_get(args, "now")).seconds
    env_hash = ServerEnvHash(_hex(_get(args, "env_hash"))).value
    capsule = _capsule(_get(args, "capsule"))
    raw = dict(_get(args, "capsule"))
    guard = session._guard(args)
    config = _config(args.get("config"))
    config.validate()  # step 1
    version_ok = capsule.version in config.allowed_versions
    if rules.version_check and not rules.version_after_aead and not version_ok:
        raise fail("InvalidVersion")  # step 2
    if rules.path_hint_check and capsule.network_context.path_hint == 0:
        raise fail("Codec")  # step 3
    try:  # step 4
        plaintext = AESGCM(key.value).decrypt(
            capsule.client_nonce.value, capsule.payload, rules.aad(raw, env_hash)
        )
    except InvalidTag:
        raise fail("InvalidAeadTag") from None
    if rules.version_check and rules.version_after_aead and not version_ok:
        raise fail("InvalidVersion")
    password, ts, embedded = rules.parse(plaintext, config.max_payload_bytes)  # step 5
    if rules.timestamp_min_check and ts == I64_MIN:
        raise fail("InvalidTimestamp")  # step 6
    header_ok = not rules.header_check or hmac.compare_digest(
        embedded, rules.header_bytes(capsule.header_id)
    )
    drift_ok = rules.drift_ok(now, ts, config.max_timestamp_drift)
    checks = [(header_ok, "HeaderIdMismatch"), (drift_ok, "StaleTimestamp")]  # steps 7, 8
    for ok, code in reversed(checks) if rules.drift_before_header else checks:
        if not ok:
            raise fail(code)
    if guard is not None:  # step 9
        guard.check_and_record(capsule.server_profile_id.value, capsule.client_nonce.value,
                               capsule.payload, ts, now, config.max_timestamp_drift)  # fmt: skip
    return {"password": password.hex(), "timestamp": str(ts), "header_id": str(capsule.header_id)}


def reseal(
    ref: Handler,
    args: Args,
    aad: Callable[[Mapping[str, Any], bytes], bytes] = aad_spec,
    plaintext: Callable[[bytes, int, int], bytes] = plaintext_spec,
) -> dict[str, Any]:
    """The reference's encryption (all its checks), payload re-sealed with `aad`/`plaintext`."""
    result = ref(args)
    capsule = dict(result["capsule"])
    pt = plaintext(bytes.fromhex(args["password"]), int(args["timestamp"]),
                   int(args["header_id"]))  # fmt: skip
    ad = aad(capsule, bytes.fromhex(args["env_hash"]))
    nonce = bytes.fromhex(capsule["client_nonce"])
    capsule["payload"] = AESGCM(bytes.fromhex(args["session_key"])).encrypt(nonce, pt, ad).hex()
    return {"capsule": capsule}


def chain(*wrappers: Wrapper) -> Wrapper:
    """Several defects of one operation: the first wrapper's `ref` is the second, and so on
    down to the reference's handler."""

    def wrapper(session: MutantSession, ref: Handler, args: Args) -> dict[str, Any]:
        handler = ref
        for inner in reversed(wrappers[1:]):
            handler = _bound(session, inner, handler)
        return wrappers[0](session, handler, args)

    return wrapper


def _bound(session: MutantSession, wrapper: Wrapper, ref: Handler) -> Handler:
    return lambda args: wrapper(session, ref, args)


#: `unsupported(operation, args)`: True where the mutant answers `unsupported`
Unsupported = Callable[[str, Args], bool]


class MutantSession(ShimSession):
    """The reference session with `patches` (operation → wrapper) applied, `absent`
    operations left out of `hello`, and `unsupported` requests answered as such."""

    def __init__(
        self, name: str, patches: Mapping[str, Wrapper], absent: frozenset[str] = frozenset(),
        unsupported: Unsupported | None = None,
    ) -> None:  # fmt: skip
        super().__init__()
        self.mutant_name = name
        self.state: dict[str, Any] = {}  # for mutants that keep their own guard
        self._unsupported = unsupported
        for op, wrapper in patches.items():
            self._ops[op] = self._bind(wrapper, self._ops[op])
        for op in absent:
            del self._ops[op]

    def handle(self, request: object) -> dict[str, Any]:
        if self._unsupported is not None and isinstance(request, dict):
            args = request.get("args")
            if isinstance(args, dict) and self._unsupported(str(request.get("op")), args):
                return {"id": request.get("id"), "ok": False, "unsupported": True}
        return super().handle(request)

    def _bind(self, wrapper: Wrapper, ref: Handler) -> Handler:
        return _bound(self, wrapper, ref)

    def _hello(self, args: Args) -> dict[str, Any]:
        result = super()._hello(args)
        return {**result, "implementation": f"mutant {self.mutant_name}"}
