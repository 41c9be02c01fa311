"""A second, independent implementation of IHP v1, written from the spec text alone.

It shares no code with `ihp_ref` and uses a different cryptography library: PyCryptodome for
HKDF-SHA256 and AES-256-GCM (`ihp_ref` uses pyca/cryptography), the `blake3` package for
BLAKE3, and its own byte encodings (struct). It reads and answers shim-encoded arguments, so
that every vector case can be replayed through it: the reference cannot vouch for itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from fractions import Fraction
from typing import Any, NamedTuple

import blake3
from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF

__all__ = ["IndependentError", "IndependentSession"]

# spec §3
_AAD_DOMAIN = b"IHP_CAPSULE_AAD:v1"
_LABEL_PROFILE = b"IHP_PROFILE_KEY:v1"
_LABEL_SESSION = b"IHP_SESSION_KEY:v1"
_LABEL_TOKEN = b"IHP_SESSION_TOKEN:v1"
_MAX_PAYLOAD_BYTES = 65_536
_MAX_FINGERPRINT_BYTES = 4_096
_MAX_DRIFT = 604_800
_MAX_BINARY_PAYLOAD = 4 + 65_536 + 8 + 8 + 16  # spec §9.2: 65,572
_JSON_MAX_BYTES = 1 << 20
_JSON_MAX_DEPTH = 64
_I64_MIN, _I64_MAX, _U64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)\Z")


class IndependentError(Exception):
    """A spec §8 error code, as this implementation computes it."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- primitives (spec §2) -------------------------------------------------------------------


def _hkdf(salt: bytes | None, ikm: bytes, info: bytes) -> bytes:
    out = HKDF(ikm, 32, salt if salt is not None else b"\x00" * 32, SHA256, context=info)
    assert isinstance(out, bytes)
    return out


def _seal(key: bytes, nonce: bytes, aad: bytes, plaintext: bytes) -> bytes:
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=16)
    cipher.update(aad)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext)
    return bytes(ciphertext + tag)


def _open(key: bytes, nonce: bytes, aad: bytes, payload: bytes) -> bytes:
    if len(payload) < 16:
        raise IndependentError("InvalidAeadTag")
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=16)
    cipher.update(aad)
    try:
        return bytes(cipher.decrypt_and_verify(payload[:-16], payload[-16:]))
    except ValueError:
        raise IndependentError("InvalidAeadTag") from None


# --- shim argument decoding (step 0) ----------------------------------------------------------


def _bytes(value: Any, length: int | None, code: str) -> bytes:
    data = bytes.fromhex(value)
    if length is not None and len(data) != length:
        raise IndependentError(code)
    return data


def _uint(value: Any, bits: int) -> int:
    if isinstance(value, str):
        if not _DECIMAL.match(value):
            raise IndependentError("Codec")
        value = int(value)
    if type(value) is not int or not 0 <= value < (1 << bits):
        raise IndependentError("Codec")
    return value


def _timestamp(value: str) -> int:
    if not _DECIMAL.match(value):
        raise IndependentError("InvalidTimestamp")
    number = int(value)
    if not _I64_MIN < number <= _I64_MAX:  # spec §7.3: I64_MIN is not a timestamp
        raise IndependentError("InvalidTimestamp")
    return number


def _config(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "drift": raw.get("max_timestamp_drift", 300),
        "versions": raw.get("allowed_versions", [1]),
        "aead": raw.get("aead_algorithm", "AES256GCM"),
        "payload": raw.get("max_payload_bytes", _MAX_PAYLOAD_BYTES),
        "fingerprint": raw.get("max_fingerprint_bytes", _MAX_FINGERPRINT_BYTES),
    }


def _validate(config: dict[str, Any]) -> None:
    ok = (
        0 <= config["drift"] <= _MAX_DRIFT
        and len(config["versions"]) > 0
        and all(v in (1, 2) for v in config["versions"])
        and config["aead"] == "AES256GCM"
        and 1 <= config["payload"] <= _MAX_PAYLOAD_BYTES
        and 1 <= config["fingerprint"] <= _MAX_FINGERPRINT_BYTES
    )
    if not ok:
        raise IndependentError("Config")


def _capsule(raw: dict[str, Any]) -> dict[str, Any]:
    fields = {
        "version": _uint(raw["version"], 8),
        "header_id": _uint(raw["header_id"], 64),
        "server_profile_id": _uint(raw["server_profile_id"], 64),
        "rtt_bucket": _uint(raw["network_context"]["rtt_bucket"], 8),
        "path_hint": _uint(raw["network_context"]["path_hint"], 16),
        "payload": bytes.fromhex(raw["payload"]),
    }
    fields["client_nonce"] = _bytes(raw["client_nonce"], 12, "InvalidNonceLength")
    return fields


def _capsule_out(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": c["version"],
        "header_id": str(c["header_id"]),
        "client_nonce": c["client_nonce"].hex(),
        "server_profile_id": str(c["server_profile_id"]),
        "network_context": {"rtt_bucket": c["rtt_bucket"], "path_hint": c["path_hint"]},
        "payload": c["payload"].hex(),
    }


# --- encodings (spec §7.2, §7.3, §9) -------------------------------------------------------


def _aad(c: dict[str, Any], env_hash: bytes) -> bytes:
    return (
        _AAD_DOMAIN
        + struct.pack(
            "<BQBH", c["version"], c["server_profile_id"], c["rtt_bucket"], c["path_hint"]
        )
        + env_hash
    )


def _plaintext(password: bytes, timestamp: int, header_id: int) -> bytes:
    return struct.pack("<I", len(password)) + password + struct.pack("<qQ", timestamp, header_id)


def _to_binary(c: dict[str, Any]) -> bytes:
    nonce: bytes = c["client_nonce"]
    payload: bytes = c["payload"]
    return (
        struct.pack("<BQ", c["version"], c["header_id"])
        + nonce
        + struct.pack(
            "<QBHQ", c["server_profile_id"], c["rtt_bucket"], c["path_hint"], len(payload)
        )
        + payload
    )


def _from_binary(data: bytes) -> dict[str, Any]:
    if len(data) < 40:
        raise IndependentError("Codec")
    version, header_id = struct.unpack_from("<BQ", data, 0)
    nonce = data[9:21]
    profile_id, rtt, path, length = struct.unpack_from("<QBHQ", data, 21)
    if length > _MAX_BINARY_PAYLOAD or length != len(data) - 40:  # checked before slicing
        raise IndependentError("Codec")
    return {
        "version": version,
        "header_id": header_id,
        "client_nonce": nonce,
        "server_profile_id": profile_id,
        "rtt_bucket": rtt,
        "path_hint": path,
        "payload": data[40:],
    }


def _to_json(c: dict[str, Any]) -> str:
    return (
        f'{{"version":{c["version"]},"header_id":{c["header_id"]},'
        f'"client_nonce":[{",".join(str(b) for b in c["client_nonce"])}],'
        f'"server_profile_id":{c["server_profile_id"]},'
        f'"network_context":{{"rtt_bucket":{c["rtt_bucket"]},"path_hint":{c["path_hint"]}}},'
        f'"payload":[{",".join(str(b) for b in c["payload"])}]}}'
    )


def _json_depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    known = {
        "version",
        "header_id",
        "client_nonce",
        "server_profile_id",
        "network_context",
        "payload",
        "rtt_bucket",
        "path_hint",
    }
    if any(keys.count(key) > 1 for key in keys if key in known):
        raise IndependentError("Codec")
    return dict(pairs)


def _reject(_: str) -> Any:
    raise IndependentError("Codec")  # NaN, Infinity: not JSON at all


class _NotAnInteger:
    """A JSON number that no known field accepts: a fraction, an exponent, or more digits
    than any u64 has. Inside an unknown key it is ignored like any other value (spec §9.1)."""


def _number(text: str) -> Any:
    return _NotAnInteger()


def _integer(text: str) -> Any:
    return int(text) if len(text) <= 21 else _NotAnInteger()  # u64 has at most 20 digits


def _json_int(value: Any, bits: int) -> int:
    if type(value) is not int or not 0 <= value < (1 << bits):
        raise IndependentError("Codec")
    return value


def _json_bytes(value: Any) -> bytes:
    if not isinstance(value, list):
        raise IndependentError("Codec")
    return bytes(_json_int(item, 8) for item in value)


def _from_json(text: str) -> dict[str, Any]:
    if len(text.encode("utf-8")) > _JSON_MAX_BYTES or _json_depth(text) > _JSON_MAX_DEPTH:
        raise IndependentError("Codec")
    try:
        doc = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_number,
            parse_int=_integer,
            parse_constant=_reject,
        )
    except (ValueError, RecursionError):
        raise IndependentError("Codec") from None
    try:
        net = doc["network_context"]
        nonce = _json_bytes(doc["client_nonce"])
        if len(nonce) != 12 or not isinstance(net, dict):
            raise IndependentError("Codec")
        return {
            "version": _json_int(doc["version"], 8),
            "header_id": _json_int(doc["header_id"], 64),
            "client_nonce": nonce,
            "server_profile_id": _json_int(doc["server_profile_id"], 64),
            "rtt_bucket": _json_int(net["rtt_bucket"], 8),
            "path_hint": _json_int(net["path_hint"], 16),
            "payload": _json_bytes(doc["payload"]),
        }
    except (KeyError, TypeError):
        raise IndependentError("Codec") from None


# --- operations --------------------------------------------------------------------------


def _round_half_away(value: Fraction) -> int:
    magnitude = int(abs(value) + Fraction(1, 2))
    return magnitude if value >= 0 else -magnitude


class _Guard(NamedTuple):
    capacity: int
    entries: dict[tuple[int, bytes], tuple[bytes, int]]  # → (payload digest, timestamp)


def _record(guard: _Guard, capsule: dict[str, Any], timestamp: int, now: int,
            drift: int) -> None:
    """spec §13 as the shim protocol sizes it: an entry lives while now <= its capsule's
    timestamp + drift; a full guard drops the dead entries, then refuses (NonceReuse)."""
    entries = guard.entries
    key = (capsule["server_profile_id"], capsule["client_nonce"])
    digest = hashlib.sha256(capsule["payload"]).digest()
    if key in entries and now <= entries[key][1] + drift:
        raise IndependentError("NonceReuse" if entries[key][0] == digest else "NonceCollision")
    if key not in entries and len(entries) >= guard.capacity:
        for dead in [k for k, (_, ts) in entries.items() if ts + drift < now]:
            del entries[dead]
        if len(entries) >= guard.capacity:
            raise IndependentError("NonceReuse")
    entries[key] = (digest, timestamp)


class IndependentSession:
    """Answers shim requests like a shim would; replay guards live as long as the session."""

    def __init__(self) -> None:
        self._guards: dict[str, _Guard] = {}

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        operation = getattr(self, "op_" + str(request.get("op")), None)
        if operation is None:
            return {"id": request.get("id"), "ok": False, "unsupported": True}
        try:
            result = operation(request.get("args", {}))
        except IndependentError as error:
            return {"id": request.get("id"), "ok": False, "error": error.code}
        return {"id": request.get("id"), "ok": True, "result": result}

    def op_config_validate(self, args: dict[str, Any]) -> dict[str, Any]:
        _validate(_config(args.get("config", {})))
        return {}

    def op_sep_hash(self, args: dict[str, Any]) -> dict[str, Any]:
        sep, limit = args["sep"], args.get("max_fingerprint_bytes", _MAX_FINGERPRINT_BYTES)
        texts = [sep[name].encode("utf-8") for name in ("cpu", "nic", "os", "build")]
        quote = None if sep.get("tpm_quote") is None else bytes.fromhex(sep["tpm_quote"])
        if any(len(part) > limit for part in [*texts, quote or b""]):
            raise IndependentError("Codec")
        tail = b"\x00" if quote is None else b"\x01" + quote
        return {"env_hash": blake3.blake3(b"".join(t + b"\x00" for t in texts) + tail).hexdigest()}

    def op_derive_profile_key(self, args: dict[str, Any]) -> dict[str, Any]:
        master = _bytes(args["master_key"], 32, "KeyLength")
        env_hash = _bytes(args["env_hash"], 32, "Codec")
        _uint(args["server_profile_id"], 64)  # a u64 argument, not an input of K_profile
        return {"profile_key": _hkdf(env_hash, master, _LABEL_PROFILE).hex()}

    def op_derive_session_key(self, args: dict[str, Any]) -> dict[str, Any]:
        profile_key = _bytes(args["profile_key"], 32, "KeyLength")
        exporter = bytes.fromhex(args["tls_exporter_key"])
        nonce = _bytes(args["client_nonce"], 12, "InvalidNonceLength")
        rtt = _uint(args["network_context"]["rtt_bucket"], 8)
        path = _uint(args["network_context"]["path_hint"], 16)
        profile_id = _uint(args["server_profile_id"], 64)
        if path == 0:
            raise IndependentError("Codec")
        info = _LABEL_SESSION + nonce + struct.pack("<BHQ", rtt, path, profile_id)
        return {"session_key": _hkdf(profile_key, exporter, info).hex()}

    def op_encrypt_capsule(self, args: dict[str, Any]) -> dict[str, Any]:
        nonce = _bytes(args["client_nonce"], 12, "InvalidNonceLength")
        key = _bytes(args["session_key"], 32, "KeyLength")
        timestamp = _timestamp(args["timestamp"])
        password = bytes.fromhex(args["password"])
        if len(password) > _MAX_PAYLOAD_BYTES:
            raise IndependentError("Codec")
        env_hash = _bytes(args["env_hash"], 32, "Codec")
        capsule: dict[str, Any] = {
            "version": _uint(args["version"], 8),
            "header_id": _uint(args["header_id"], 64),
            "client_nonce": nonce,
            "server_profile_id": _uint(args["server_profile_id"], 64),
            "rtt_bucket": _uint(args["network_context"]["rtt_bucket"], 8),
            "path_hint": _uint(args["network_context"]["path_hint"], 16),
        }
        if capsule["path_hint"] == 0:  # step 1
            raise IndependentError("Codec")
        config = _config(args.get("config", {}))
        _validate(config)  # step 2
        if capsule["version"] not in config["versions"]:  # step 3
            raise IndependentError("InvalidVersion")
        if len(password) > config["payload"]:  # step 4
            raise IndependentError("Codec")
        plaintext = _plaintext(password, timestamp, capsule["header_id"])
        capsule["payload"] = _seal(key, nonce, _aad(capsule, env_hash), plaintext)  # step 5
        return {"capsule": _capsule_out(capsule)}

    def op_decrypt_capsule(self, args: dict[str, Any]) -> dict[str, Any]:
        key = _bytes(args["session_key"], 32, "KeyLength")
        now = _timestamp(args["now"])
        env_hash = _bytes(args["env_hash"], 32, "Codec")
        capsule = _capsule(args["capsule"])
        guard = self._guard(args)  # made when first named, whatever the outcome
        config = _config(args.get("config", {}))
        _validate(config)  # step 1
        if capsule["version"] not in config["versions"]:  # step 2
            raise IndependentError("InvalidVersion")
        if capsule["path_hint"] == 0:  # step 3
            raise IndependentError("Codec")
        plaintext = _open(
            key, capsule["client_nonce"], _aad(capsule, env_hash), capsule["payload"]
        )  # step 4
        if len(plaintext) < 20:  # step 5
            raise IndependentError("Codec")
        (declared,) = struct.unpack_from("<I", plaintext, 0)
        if declared > config["payload"] or len(plaintext) != declared + 20:
            raise IndependentError("Codec")
        timestamp, header_id = struct.unpack_from("<qQ", plaintext, 4 + declared)
        if timestamp == _I64_MIN:  # step 6
            raise IndependentError("InvalidTimestamp")
        if header_id != capsule["header_id"]:  # step 7
            raise IndependentError("HeaderIdMismatch")
        if abs(now - timestamp) > config["drift"]:  # step 8: Python integers are exact
            raise IndependentError("StaleTimestamp")
        if guard is not None:  # step 9
            _record(guard, capsule, timestamp, now, config["drift"])
        return {
            "password": plaintext[4 : 4 + declared].hex(),
            "timestamp": str(timestamp),
            "header_id": str(header_id),
        }

    def _guard(self, args: dict[str, Any]) -> _Guard | None:
        """The named guard, made with `replay_guard_capacity` entries when first named."""
        if "replay_guard" not in args:
            return None
        return self._guards.setdefault(
            args["replay_guard"], _Guard(args.get("replay_guard_capacity", 2**18), {}))

    def op_capsule_from_json(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"capsule": _capsule_out(_from_json(args["json"]))}

    def op_capsule_to_json(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"json": _to_json(_capsule(args["capsule"]))}

    def op_capsule_from_binary(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"capsule": _capsule_out(_from_binary(bytes.fromhex(args["hex"])))}

    def op_capsule_to_binary(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"hex": _to_binary(_capsule(args["capsule"])).hex()}

    def op_session_token(self, args: dict[str, Any]) -> dict[str, Any]:
        key = _bytes(args["session_key"], 32, "KeyLength")
        nonce = _bytes(args["client_nonce"], 12, "InvalidNonceLength")
        timestamp = _timestamp(args["timestamp"])
        okm = _hkdf(None, key, _LABEL_TOKEN + nonce + struct.pack("<q", timestamp))
        return {"token": base64.urlsafe_b64encode(okm).rstrip(b"=").decode("ascii")}

    def op_rtt_bucket(self, args: dict[str, Any]) -> dict[str, Any]:
        samples = [Fraction(sample) for sample in args["samples_ms"]]
        bucket = _round_half_away(sum(samples, Fraction(0)) / len(samples) / 5)
        return {"bucket": min(max(bucket, 0), 255)}
