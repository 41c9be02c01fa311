"""`ihp-ref-shim`: the reference implementation behind the `ihp-shim/1` stdio protocol.

A thin adapter: it decodes shim-encoded arguments into typed values (spec step 0 of §7.4
and §7.5, in the order the spec gives), calls the core, and encodes the result. Every
request gets exactly one response line, in order; a malformed request gets an error
code, never a traceback. `ShimSession.handle` is also the runner's in-process `ref`.
"""

from __future__ import annotations

import json
import re
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

from . import (
    CapsuleTimestamp,
    ClientNonce,
    ErrorCode,
    IhpCapsule,
    IhpConfig,
    IhpError,
    IhpNetworkContext,
    MasterKey,
    PasswordMaterial,
    ProfileKey,
    ReplayGuard,
    ServerEnvHash,
    ServerEnvironmentProfile,
    ServerProfileId,
    SessionKey,
    __version__,
    capsule_from_binary,
    capsule_from_json,
    capsule_to_binary,
    capsule_to_json,
    compute_server_env_hash,
    decrypt_capsule,
    derive_profile_key,
    derive_session_key,
    encrypt_capsule,
    rtt_bucket_from_samples,
    session_token,
)
from ._constants import I64_MAX, I64_MIN, U8_MAX, U16_MAX, U64_MAX
from ._replay import DEFAULT_REPLAY_CAPACITY

__all__ = ["MAX_GUARD_CAPACITY", "PROTOCOL", "ShimSession", "main"]

PROTOCOL = "ihp-shim/1"
MAX_GUARD_CAPACITY = 65_536  # shim protocol: `replay_guard_capacity` is 1..=65,536
INTERNAL_ERROR = "ShimInternalError"  # not a spec code: a bug in this shim, never hidden

_HEX = re.compile("[0-9a-fA-F]*")  # one C scan, 3-4x a set test: payloads and documents are long
_UNSIGNED = re.compile(r"[0-9]{1,40}\Z")
_SIGNED = re.compile(r"-?[0-9]{1,40}\Z")

Args = Mapping[str, Any]


def _codec() -> IhpError:
    return IhpError(ErrorCode.CODEC)


def _get(args: Args, key: str) -> Any:
    try:
        return args[key]
    except KeyError:
        raise _codec() from None


# ---------------------------------------------------------------- argument decoding


def _hex(value: object) -> bytes:
    if type(value) is not str or len(value) % 2 or _HEX.fullmatch(value) is None:
        raise _codec()
    return bytes.fromhex(value)


def _small_int(value: object, high: int) -> int:
    if type(value) is not int or not 0 <= value <= high:
        raise _codec()
    return value


def _u64(value: object) -> int:
    if type(value) is not str or not _UNSIGNED.match(value) or int(value) > U64_MAX:
        raise _codec()
    return int(value)


def _timestamp(value: object) -> CapsuleTimestamp:
    if type(value) is not str or not _SIGNED.match(value):
        if type(value) is str and re.fullmatch(r"-?[0-9]+", value):
            raise IhpError(ErrorCode.INVALID_TIMESTAMP)  # digits, but far outside i64
        raise _codec()
    seconds = int(value)
    if not I64_MIN < seconds <= I64_MAX:
        raise IhpError(ErrorCode.INVALID_TIMESTAMP)
    return CapsuleTimestamp(seconds)


def _network(value: object) -> IhpNetworkContext:
    if not isinstance(value, dict):
        raise _codec()
    return IhpNetworkContext(_small_int(_get(value, "rtt_bucket"), U8_MAX),
                             _small_int(_get(value, "path_hint"), U16_MAX))


def _config(value: object) -> IhpConfig:
    """Out-of-range or mistyped fields surface as `Config` when the operation validates
    the config, at the step the spec gives it. A `config` that is not an object is
    `Config` here: every operation decodes it after its other arguments (step 0), so this
    is the place of step 1, validation."""
    if value is None:
        return IhpConfig()
    if not isinstance(value, dict):
        raise IhpError(ErrorCode.CONFIG)
    defaults = IhpConfig()
    versions = value.get("allowed_versions", sorted(defaults.allowed_versions))
    if not isinstance(versions, list) or not all(type(v) is int for v in versions):
        versions = []
    return IhpConfig(
        max_timestamp_drift=value.get("max_timestamp_drift", defaults.max_timestamp_drift),
        allowed_versions=frozenset(versions),
        aead_algorithm=value.get("aead_algorithm", defaults.aead_algorithm),
        max_payload_bytes=value.get("max_payload_bytes", defaults.max_payload_bytes),
        max_fingerprint_bytes=value.get("max_fingerprint_bytes",
                                        defaults.max_fingerprint_bytes),
    )


def _capsule(value: object) -> IhpCapsule:
    """Capsule fields outside their types → `Codec`; the nonce last (spec §7.5 step 0)."""
    if not isinstance(value, dict):
        raise _codec()
    version = _small_int(_get(value, "version"), U8_MAX)
    header_id = _u64(_get(value, "header_id"))
    profile_id = ServerProfileId(_u64(_get(value, "server_profile_id")))
    network = _network(_get(value, "network_context"))
    payload = _hex(_get(value, "payload"))
    nonce = ClientNonce(_hex(_get(value, "client_nonce")))
    return IhpCapsule(version, header_id, nonce, profile_id, network, payload)


def _sep(value: object) -> ServerEnvironmentProfile:
    if not isinstance(value, dict):
        raise _codec()
    cpu, nic, os_, build = (_text(_get(value, key)) for key in ("cpu", "nic", "os", "build"))
    quote = value.get("tpm_quote")
    return ServerEnvironmentProfile(cpu, nic, os_, build, None if quote is None else _hex(quote))


def _text(value: object) -> str:
    if type(value) is not str:
        raise _codec()
    return value


# ---------------------------------------------------------------- result encoding


def _encode_capsule(capsule: IhpCapsule) -> dict[str, Any]:
    network = capsule.network_context
    return {
        "version": capsule.version,
        "header_id": str(capsule.header_id),
        "client_nonce": capsule.client_nonce.value.hex(),
        "server_profile_id": str(capsule.server_profile_id.value),
        "network_context": {"rtt_bucket": network.rtt_bucket, "path_hint": network.path_hint},
        "payload": capsule.payload.hex(),
    }


# ---------------------------------------------------------------- operations


class ShimSession:
    """One shim process's state: its named replay guards (spec §13)."""

    def __init__(self) -> None:
        self._guards: dict[str, ReplayGuard] = {}
        self._ops: dict[str, Callable[[Args], dict[str, Any]]] = {
            "hello": self._hello,
            "config_validate": self._config_validate,
            "sep_hash": self._sep_hash,
            "derive_profile_key": self._derive_profile_key,
            "derive_session_key": self._derive_session_key,
            "encrypt_capsule": self._encrypt_capsule,
            "decrypt_capsule": self._decrypt_capsule,
            "capsule_from_json": self._capsule_from_json,
            "capsule_to_json": self._capsule_to_json,
            "capsule_from_binary": self._capsule_from_binary,
            "capsule_to_binary": self._capsule_to_binary,
            "session_token": self._session_token,
            "rtt_bucket": self._rtt_bucket,
        }

    @property
    def operations(self) -> list[str]:
        return list(self._ops)

    def handle(self, request: object) -> dict[str, Any]:
        """One request object in, its response object out (shim protocol § Messages)."""
        if not isinstance(request, dict):
            return _error(None, ErrorCode.CODEC.value, "request is not a JSON object")
        request_id = request.get("id")
        op = request.get("op")
        operation = self._ops.get(op) if isinstance(op, str) else None
        if operation is None:
            return {"id": request_id, "ok": False, "unsupported": True}
        args = request.get("args", {})
        if not isinstance(args, dict):
            return _error(request_id, ErrorCode.CODEC.value, "args is not an object")
        try:
            return {"id": request_id, "ok": True, "result": operation(args)}
        except IhpError as error:
            return _error(request_id, error.code.value, str(error))
        except Exception as error:  # a shim bug: report it loudly, keep serving
            traceback.print_exc(file=sys.stderr)
            return _error(request_id, INTERNAL_ERROR, type(error).__name__)

    def handle_line(self, line: bytes) -> bytes:
        try:  # an integer too long for Python is still JSON: keep the request and its id
            request = json.loads(line, parse_int=_request_int)
        except (ValueError, RecursionError):  # nesting past Python's recursion limit too
            response = _error(None, ErrorCode.CODEC.value, "request is not JSON")
        else:
            response = self.handle(request)
        return json.dumps(response, separators=(",", ":")).encode("utf-8") + b"\n"

    # -- one method per operation of the shim protocol's table

    def _hello(self, args: Args) -> dict[str, Any]:
        return {"protocol": PROTOCOL, "implementation": "ihp_ref (Python reference)",
                "version": __version__, "ops": self.operations}

    def _config_validate(self, args: Args) -> dict[str, Any]:
        _config(args.get("config")).validate()
        return {}

    def _sep_hash(self, args: Args) -> dict[str, Any]:
        sep = _sep(_get(args, "sep"))
        limit = args.get("max_fingerprint_bytes", IhpConfig().max_fingerprint_bytes)
        env_hash = compute_server_env_hash(sep, IhpConfig(max_fingerprint_bytes=limit))
        return {"env_hash": env_hash.value.hex()}

    def _derive_profile_key(self, args: Args) -> dict[str, Any]:
        master = MasterKey(_hex(_get(args, "master_key")))
        env_hash = ServerEnvHash(_hex(_get(args, "env_hash")))
        profile_id = ServerProfileId(_u64(_get(args, "server_profile_id")))
        with derive_profile_key(master, profile_id, env_hash) as key:
            return {"profile_key": key.value.hex()}

    def _derive_session_key(self, args: Args) -> dict[str, Any]:
        profile_key = ProfileKey(_hex(_get(args, "profile_key")))
        exporter = _hex(_get(args, "tls_exporter_key"))
        nonce = ClientNonce(_hex(_get(args, "client_nonce")))
        network = _network(_get(args, "network_context"))
        profile_id = ServerProfileId(_u64(_get(args, "server_profile_id")))
        with derive_session_key(profile_key, exporter, nonce, network, profile_id) as key:
            return {"session_key": key.value.hex()}

    def _encrypt_capsule(self, args: Args) -> dict[str, Any]:
        # spec §7.4 step 0, in its order: nonce, key, timestamp, password, other fields
        nonce = ClientNonce(_hex(_get(args, "client_nonce")))
        key = SessionKey(_hex(_get(args, "session_key")))
        timestamp = _timestamp(_get(args, "timestamp"))
        password = PasswordMaterial(_hex(_get(args, "password")))
        env_hash = ServerEnvHash(_hex(_get(args, "env_hash")))
        version = _small_int(_get(args, "version"), U8_MAX)
        header_id = _u64(_get(args, "header_id"))
        profile_id = ServerProfileId(_u64(_get(args, "server_profile_id")))
        network = _network(_get(args, "network_context"))
        capsule = encrypt_capsule(version, _config(args.get("config")), header_id, nonce,
                                  profile_id, network, env_hash, key, password, timestamp)
        return {"capsule": _encode_capsule(capsule)}

    def _decrypt_capsule(self, args: Args) -> dict[str, Any]:
        # spec §7.5 step 0, in its order: key, now, env hash and capsule fields, nonce
        key = SessionKey(_hex(_get(args, "session_key")))
        now = _timestamp(_get(args, "now"))
        env_hash = ServerEnvHash(_hex(_get(args, "env_hash")))
        capsule = _capsule(_get(args, "capsule"))
        guard = self._guard(args)
        plaintext = decrypt_capsule(capsule, env_hash, key, now, _config(args.get("config")),
                                    guard)
        return {"password": plaintext.password.value.hex(),
                "timestamp": str(plaintext.timestamp.seconds),
                "header_id": str(plaintext.header_id)}

    def _guard(self, args: Args) -> ReplayGuard | None:
        """The guard `replay_guard` names, made on first use with `replay_guard_capacity`
        entries if given (shim protocol: a capacity without a guard, outside 1..=65,536,
        or other than the named guard's is `Codec`)."""
        name, capacity = args.get("replay_guard"), args.get("replay_guard_capacity")
        if name is None and capacity is None:
            return None
        if type(name) is not str or not (capacity is None or (
                type(capacity) is int and 1 <= capacity <= MAX_GUARD_CAPACITY)):
            raise _codec()
        guard = self._guards.get(name)
        if guard is None:
            guard = self._guards[name] = ReplayGuard(capacity or DEFAULT_REPLAY_CAPACITY)
        elif capacity is not None and capacity != guard.capacity:
            raise _codec()
        return guard

    def _capsule_from_json(self, args: Args) -> dict[str, Any]:
        document = _get(args, "json")
        if type(document) is not str:
            raise _codec()
        return {"capsule": _encode_capsule(capsule_from_json(document))}

    def _capsule_to_json(self, args: Args) -> dict[str, Any]:
        return {"json": capsule_to_json(_capsule(_get(args, "capsule")))}

    def _capsule_from_binary(self, args: Args) -> dict[str, Any]:
        return {"capsule": _encode_capsule(capsule_from_binary(_hex(_get(args, "hex"))))}

    def _capsule_to_binary(self, args: Args) -> dict[str, Any]:
        return {"hex": capsule_to_binary(_capsule(_get(args, "capsule"))).hex()}

    def _session_token(self, args: Args) -> dict[str, Any]:
        key = SessionKey(_hex(_get(args, "session_key")))
        nonce = ClientNonce(_hex(_get(args, "client_nonce")))
        timestamp = _timestamp(_get(args, "timestamp"))
        return {"token": session_token(key, nonce, timestamp)}

    def _rtt_bucket(self, args: Args) -> dict[str, Any]:
        samples = _get(args, "samples_ms")
        if not isinstance(samples, list) or not all(
            type(s) in (int, float) for s in samples
        ):
            raise _codec()
        return {"bucket": rtt_bucket_from_samples(samples)}


class _LongNumber(str):
    """A JSON number of more than 40 digits, kept as its digits: no argument of the
    protocol is one, and every field rejects it as mistyped (`Codec`), a string field too
    (fields check `type(value) is str`). An `id` echoes as its digits."""

    __slots__ = ()


def _request_int(digits: str) -> int | str:
    return int(digits) if len(digits) <= 40 else _LongNumber(digits)


def _error(request_id: object, code: str, detail: str) -> dict[str, Any]:
    return {"id": request_id, "ok": False, "error": code, "detail": detail}


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Answer each request line in order, flushing after each, until stdin closes."""
    session = ShimSession()
    for line in stdin:
        if line.strip():
            stdout.write(session.handle_line(line))
            stdout.flush()


def main() -> int:
    try:
        serve(sys.stdin.buffer, sys.stdout.buffer)
    except (BrokenPipeError, KeyboardInterrupt):
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
