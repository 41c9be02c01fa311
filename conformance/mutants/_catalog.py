"""The mutant catalog: realistic single-defect implementations, each a shim.

Every entry is one mistake an implementer could plausibly make, named after it, with the
spec rule it breaks. The suite must detect every one (`ihp-conformance mutants`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import blake3

from conformance.mutants._kit import (
    Args,
    DecryptRules,
    Handler,
    MutantSession,
    Wrapper,
    aad_spec,
    decrypt,
    fail,
    hkdf,
    plaintext_spec,
    reseal,
)

__all__ = ["MUTANTS", "Mutant"]

I64 = 2**64


@dataclass(frozen=True)
class Mutant:
    name: str
    spec: str  # the rule it breaks
    defect: str  # the mistake, in words
    patches: Mapping[str, Wrapper] = field(default_factory=dict)

    def session(self) -> MutantSession:
        return MutantSession(self.name, self.patches)


def _decrypting(rules: DecryptRules) -> Wrapper:
    return lambda s, ref, a: decrypt(s, a, rules)


_SPEC = DecryptRules()


# ---------------------------------------------------------------- capsule crypto


def _aad_no_env_hash(capsule: Mapping[str, Any], env_hash: bytes) -> bytes:
    return aad_spec(capsule, env_hash)[:-32]


def _aad_profile_id_be(capsule: Mapping[str, Any], env_hash: bytes) -> bytes:
    ad = bytearray(aad_spec(capsule, env_hash))
    ad[19:27] = struct.pack(">Q", int(capsule["server_profile_id"]))
    return bytes(ad)


def _aad_nul_terminated(capsule: Mapping[str, Any], env_hash: bytes) -> bytes:
    ad = aad_spec(capsule, env_hash)
    return ad[:18] + b"\x00" + ad[18:]


def _pt_timestamp_be(password: bytes, ts: int, header: int) -> bytes:
    return (
        struct.pack("<I", len(password))
        + password
        + struct.pack(">q", ts)
        + struct.pack("<Q", header)
    )


def _parse_timestamp_be(plaintext: bytes, max_payload: int) -> tuple[bytes, int, bytes]:
    password, _, embedded = _SPEC.parse(plaintext, max_payload)
    (ts,) = struct.unpack_from(">q", plaintext, 4 + len(password))
    return password, ts, embedded


def _parse_no_total_check(plaintext: bytes, max_payload: int) -> tuple[bytes, int, bytes]:
    if len(plaintext) < 20:
        raise fail("Codec")
    (declared,) = struct.unpack_from("<I", plaintext)
    if declared > max_payload or len(plaintext) < 4 + declared + 16:
        raise fail("Codec")  # "at least" instead of "exactly": trailing bytes slip through
    (ts,) = struct.unpack_from("<q", plaintext, 4 + declared)
    return plaintext[4 : 4 + declared], ts, plaintext[4 + declared + 8 : 4 + declared + 16]


def _pair(aad: Any = aad_spec, pt: Any = plaintext_spec, **rules: Any) -> dict[str, Wrapper]:
    """Encryption and decryption sharing one defect (self-consistent, like a real bug)."""
    dec = replace(_SPEC, aad=aad, **rules)
    return {
        "encrypt_capsule": lambda s, ref, a: reseal(ref, a, aad=aad, plaintext=pt),
        "decrypt_capsule": _decrypting(dec),
    }


def _wrapping_drift(now: int, ts: int, max_drift: int) -> bool:
    """Rust release build: `(now - ts).abs()` in i64, wrapping (spec §15 DriftOverflow)."""
    diff = (now - ts) % I64
    diff = diff - I64 if diff >= 2**63 else diff
    magnitude = abs(diff) % I64
    magnitude = magnitude - I64 if magnitude >= 2**63 else magnitude
    return magnitude <= max_drift


def _encrypt_payload_limit_inclusive(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    result = ref(a)
    limit = (a.get("config") or {}).get("max_payload_bytes", 65_536)
    if len(a["password"]) // 2 >= limit:  # `>=` where the spec says `>`
        raise fail("Codec")
    return result


def _encrypt_ignores_allowed_v2(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    if a.get("version") == 2:  # "v2 is the same crypto": skip the allowed_versions check
        cfg = dict(a.get("config") or {})
        cfg["allowed_versions"] = [1, 2]
        a = {**a, "config": cfg}
    return ref(a)


# ---------------------------------------------------------------- replay guard


def _decrypt_without_guard(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    return ref({k: v for k, v in a.items() if k != "replay_guard"})


def _collision_as_reuse(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    try:
        return ref(a)
    except Exception as exc:
        if getattr(getattr(exc, "code", None), "value", None) == "NonceCollision":
            raise fail("NonceReuse") from None
        raise


def _own_guard(s: MutantSession, a: Args, key: tuple[Any, ...]) -> None:
    seen = s.state.setdefault(str(a.get("replay_guard")), {})
    digest = hashlib.sha256(bytes.fromhex(a["capsule"]["payload"])).digest()
    if key in seen:
        raise fail("NonceReuse" if seen[key] == digest else "NonceCollision")
    seen[key] = digest


def _guard_records_failures(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    """Records the nonce before decrypting: a failed decryption poisons the guard."""
    if a.get("replay_guard") is None:
        return ref(a)
    cap = a["capsule"]
    _own_guard(s, a, (cap["server_profile_id"], cap["client_nonce"]))
    return ref({k: v for k, v in a.items() if k != "replay_guard"})


def _guard_keyed_by_nonce(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    """Forgets the profile id in the guard key (spec §13: (server_profile_id, nonce))."""
    if a.get("replay_guard") is None:
        return ref(a)
    result = ref({k: v for k, v in a.items() if k != "replay_guard"})
    _own_guard(s, a, (a["capsule"]["client_nonce"],))
    return result


def _guard_expires_early(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    """Drops an entry when now >= ts + window: the spec keeps it while now <= ts + window."""
    if a.get("replay_guard") is None:
        return ref(a)
    result = ref({k: v for k, v in a.items() if k != "replay_guard"})
    now, ts = int(a["now"]), int(result["timestamp"])
    window = (a.get("config") or {}).get("max_timestamp_drift", 300)
    entries = s.state.setdefault(str(a["replay_guard"]), {})
    for key in [k for k, (_, expires) in entries.items() if expires <= now]:
        del entries[key]
    cap = a["capsule"]
    key = (cap["server_profile_id"], cap["client_nonce"])
    digest = hashlib.sha256(bytes.fromhex(cap["payload"])).digest()
    if key in entries:
        raise fail("NonceReuse" if entries[key][0] == digest else "NonceCollision")
    entries[key] = (digest, ts + window)
    return result


# ---------------------------------------------------------------- key hierarchy


def _profile_key_salt_ikm_swapped(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    ref(a)  # the reference's argument checks
    key = hkdf(bytes.fromhex(a["master_key"]), bytes.fromhex(a["env_hash"]),
               b"IHP_PROFILE_KEY:v1")  # fmt: skip
    return {"profile_key": key.hex()}


def _profile_key_binds_profile_id(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    ref(a)
    info = b"IHP_PROFILE_KEY:v1" + struct.pack("<Q", int(a["server_profile_id"]))
    key = hkdf(bytes.fromhex(a["env_hash"]), bytes.fromhex(a["master_key"]), info)
    return {"profile_key": key.hex()}


def _session_key(a: Args, path_fmt: str = "<H", with_profile: bool = True,
                 swap: bool = False) -> dict[str, Any]:  # fmt: skip
    net = a["network_context"]
    info = (
        b"IHP_SESSION_KEY:v1" + bytes.fromhex(a["client_nonce"]) + bytes([net["rtt_bucket"]])
        + struct.pack(path_fmt, net["path_hint"])
        + (struct.pack("<Q", int(a["server_profile_id"])) if with_profile else b"")
    )  # fmt: skip
    salt, ikm = bytes.fromhex(a["profile_key"]), bytes.fromhex(a["tls_exporter_key"])
    key = hkdf(ikm, salt, info) if swap else hkdf(salt, ikm, info)
    return {"session_key": key.hex()}


def _session_patch(**kw: Any) -> Wrapper:
    def wrapper(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
        ref(a)
        return _session_key(a, **kw)

    return wrapper


def _session_skips_path_check(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    net = a.get("network_context")
    if isinstance(net, dict) and net.get("path_hint") == 0:
        ref({**a, "network_context": {**net, "path_hint": 1}})  # the other checks
        return _session_key(a)
    return ref(a)


# ---------------------------------------------------------------- SEP, config


def _sep_hash(sep: Mapping[str, Any]) -> str:
    quote = sep.get("tpm_quote")
    q = b"\x00" if quote is None else b"\x01" + bytes.fromhex(quote)
    parts = [sep[k].encode("utf-8") for k in ("cpu", "nic", "os", "build")]
    return blake3.blake3(b"\x00".join(parts) + b"\x00" + q).hexdigest()


def _sep_without_separators(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    ref(a)  # the reference's limits
    sep = a["sep"]
    quote = sep.get("tpm_quote")
    q = b"\x00" if quote is None else b"\x01" + bytes.fromhex(quote)
    parts = b"".join(sep[k].encode("utf-8") for k in ("cpu", "nic", "os", "build"))
    return {"env_hash": blake3.blake3(parts + q).hexdigest()}


def _sep_limit_in_chars(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    try:
        return ref(a)
    except Exception:
        sep, limit = a.get("sep"), a.get("max_fingerprint_bytes", 4096)
        if not isinstance(sep, dict) or not isinstance(limit, int):
            raise
        texts_ok = all(isinstance(sep.get(k), str) and len(sep[k]) <= limit
                       for k in ("cpu", "nic", "os", "build"))  # fmt: skip
        quote = sep.get("tpm_quote")
        if texts_ok and (quote is None or len(quote) // 2 <= limit):
            return {"env_hash": _sep_hash(sep)}
        raise


def _sep_empty_quote_absent(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    sep = a.get("sep")
    if isinstance(sep, dict) and sep.get("tpm_quote") == "":
        a = {**a, "sep": {**sep, "tpm_quote": None}}
    return ref(a)


def _sep_trims(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    sep = a.get("sep")
    if isinstance(sep, dict):
        sep = {k: v.strip() if isinstance(v, str) and k != "tpm_quote" else v
               for k, v in sep.items()}  # fmt: skip
        a = {**a, "sep": sep}
    return ref(a)


def _config_drift_cap_exclusive(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    result = ref(a)
    if (a.get("config") or {}).get("max_timestamp_drift") == 604_800:  # `<` for `<=`
        raise fail("Config")
    return result


def _config_allows_empty_versions(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    cfg = a.get("config")
    if isinstance(cfg, dict) and cfg.get("allowed_versions") == []:
        a = {**a, "config": {**cfg, "allowed_versions": [1]}}
    return ref(a)


# ---------------------------------------------------------------- token, RTT


def _token_padded(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    token = ref(a)["token"]
    return {"token": token + "=" * (-len(token) % 4)}


def _token_without_nonce(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    ref(a)
    info = b"IHP_SESSION_TOKEN:v1" + struct.pack("<q", int(a["timestamp"]))
    raw = hkdf(None, bytes.fromhex(a["session_key"]), info)
    return {"token": base64.urlsafe_b64encode(raw).rstrip(b"=").decode()}


def _rtt(rounding: Any) -> Wrapper:
    def wrapper(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
        ref(a)
        samples = a["samples_ms"]
        bucket = rounding(sum(samples) / len(samples) / 5.0)
        return {"bucket": min(max(int(bucket), 0), 255)}

    return wrapper


# ---------------------------------------------------------------- wire forms


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({k for k, _ in pairs}) != len(pairs):
        raise ValueError("duplicate key")
    return dict(pairs)


def _lax_json(
    ref: Handler,
    a: Args,
    relax: Callable[[Any, list[bool]], Any],
    hooks: Callable[[list[bool]], dict[str, Any]],
) -> dict[str, Any]:
    """A decoder with one lax rule: when the rule changed nothing, the reference decodes
    the original text; otherwise it decodes the relaxed document, re-encoded."""
    text = a.get("json")
    if not isinstance(text, str):
        return ref(a)
    changed: list[bool] = []
    try:
        obj = relax(json.loads(text, **hooks(changed)), changed)
    except (ValueError, RecursionError):
        return ref(a)
    if not changed:
        return ref(a)
    return ref({"json": json.dumps(obj, separators=(",", ":"))})


def _json_duplicates_last_wins(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    def hooks(changed: list[bool]) -> dict[str, Any]:
        def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
            if len({k for k, _ in items}) != len(items):
                changed.append(True)  # json.loads semantics: the last duplicate wins
            return dict(items)

        return {"object_pairs_hook": pairs}

    return _lax_json(ref, a, lambda obj, changed: obj, hooks)


def _json_integral_floats(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    def hooks(changed: list[bool]) -> dict[str, Any]:
        def as_int(text: str) -> int | float:
            value = float(text)
            if value.is_integer():
                changed.append(True)
                return int(value)
            return value

        return {"parse_float": as_int, "object_pairs_hook": _no_duplicates}

    return _lax_json(ref, a, lambda obj, changed: obj, hooks)


def _json_bools_as_ints(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    def fix(v: Any, changed: list[bool]) -> Any:
        if isinstance(v, bool):
            changed.append(True)
            return int(v)
        if isinstance(v, list):
            return [fix(x, changed) for x in v]
        if isinstance(v, dict):
            return {k: fix(x, changed) for k, x in v.items()}
        return v

    return _lax_json(ref, a, fix, lambda changed: {"object_pairs_hook": _no_duplicates})


def _json_depth_unbounded(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    """Skips unknown keys' values whatever their depth (spec §15 JsonDepthUnbounded); the
    other rules (size, duplicates, types) hold, and a stack overflow is still `Codec`."""
    text = a.get("json")
    if not isinstance(text, str):
        return ref(a)
    if len(text.encode("utf-8", "surrogatepass")) > 1 << 20:
        raise fail("Codec")
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise fail("Codec") from None
    except ValueError:
        return ref(a)
    if not isinstance(obj, dict):
        return ref(a)
    keep = ("version", "header_id", "client_nonce", "server_profile_id", "network_context",
            "payload")  # fmt: skip
    slim = {k: obj[k] for k in keep if k in obj}
    if isinstance(slim.get("network_context"), dict):
        net = slim["network_context"]
        slim["network_context"] = {k: net[k] for k in ("rtt_bucket", "path_hint") if k in net}
    if slim == obj:
        return ref(a)
    return ref({"json": json.dumps(slim, separators=(",", ":"))})


def _json_spaced_output(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    return {"json": json.dumps(json.loads(ref(a)["json"]))}  # default ", " and ": "


def _binary_prefix(a: Args) -> tuple[bytes, int] | None:
    try:
        raw = bytes.fromhex(a["hex"])
    except (KeyError, TypeError, ValueError):
        return None
    if len(raw) < 40:
        return None
    return raw, struct.unpack_from("<Q", raw, 32)[0]


def _bincode_trailing_bytes(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    parsed = _binary_prefix(a)
    if parsed is not None and len(parsed[0]) > 40 + parsed[1]:
        return ref({"hex": parsed[0][: 40 + parsed[1]].hex()})  # spec §15 BincodeTrailingBytes
    return ref(a)


def _bincode_length_unbounded(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    parsed = _binary_prefix(a)
    if parsed is None or parsed[1] <= 65_572 or len(parsed[0]) != 40 + parsed[1]:
        return ref(a)
    raw = parsed[0]
    version, header = struct.unpack_from("<BQ", raw)
    profile, rtt, path = struct.unpack_from("<QBH", raw, 21)
    return {"capsule": {"version": version, "header_id": str(header),
                        "client_nonce": raw[9:21].hex(), "server_profile_id": str(profile),
                        "network_context": {"rtt_bucket": rtt, "path_hint": path},
                        "payload": raw[40:].hex()}}  # fmt: skip


def _binary_to_u32_length(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    raw = bytes.fromhex(ref(a)["hex"])
    return {"hex": (raw[:36] + raw[40:]).hex()}  # u32le length: the high half dropped


def _swap_header_id(hex_text: str) -> str:
    raw = bytearray.fromhex(hex_text)
    raw[1:9] = raw[1:9][::-1]
    return raw.hex()


def _binary_to_header_be(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    return {"hex": _swap_header_id(ref(a)["hex"])}


def _binary_from_header_be(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    parsed = _binary_prefix(a)
    return ref({"hex": _swap_header_id(a["hex"])}) if parsed else ref(a)


# ---------------------------------------------------------------- the catalog

_DEC = "decrypt_capsule"

MUTANTS: dict[str, Mutant] = {
    m.name: m
    for m in (
        Mutant("aad-without-env-hash", "§7.2", "the AAD omits the ServerEnvHash",
               _pair(aad=_aad_no_env_hash)),
        Mutant("aad-profile-id-big-endian", "§7.2", "u64 profile id in the AAD big-endian",
               _pair(aad=_aad_profile_id_be)),
        Mutant("aad-domain-nul-terminated", "§7.2", "C string: the AAD domain keeps its NUL",
               _pair(aad=_aad_nul_terminated)),
        Mutant("plaintext-timestamp-big-endian", "§7.3", "i64 timestamp big-endian",
               _pair(pt=_pt_timestamp_be, parse=_parse_timestamp_be)),
        Mutant("plaintext-length-at-least", "§7.5 step 5",
               "plaintext length checked with >= instead of ==",
               {_DEC: _decrypting(replace(_SPEC, parse=_parse_no_total_check))}),
        Mutant("drift-bound-exclusive", "§7.5 step 8",
               "drift equal to the maximum rejected (>= instead of >)",
               {_DEC: _decrypting(replace(_SPEC, drift_ok=lambda n, t, m: abs(n - t) < m))}),
        Mutant("drift-i64-wrapping", "§7.5 step 8, §15 DriftOverflow",
               "|now - ts| computed in wrapping i64", {_DEC: _decrypting(replace(
                   _SPEC, drift_ok=_wrapping_drift))}),
        Mutant("drift-past-only", "§7.5 step 8", "future timestamps not bounded",
               {_DEC: _decrypting(replace(_SPEC, drift_ok=lambda n, t, m: n - t <= m))}),
        Mutant("header-id-unchecked", "§7.5 step 7", "embedded header id never compared",
               {_DEC: _decrypting(replace(_SPEC, header_check=False))}),
        Mutant("drift-before-header-check", "§7.5 steps 7-8", "drift checked before header id",
               {_DEC: _decrypting(replace(_SPEC, drift_before_header=True))}),
        Mutant("version-after-aead", "§7.5 steps 2-4", "version checked after decryption",
               {_DEC: _decrypting(replace(_SPEC, version_after_aead=True))}),
        Mutant("path-hint-zero-accepted", "§7.1, §7.5 step 3", "decryption skips path_hint = 0",
               {_DEC: _decrypting(replace(_SPEC, path_hint_check=False))}),
        Mutant("timestamp-min-accepted", "§7.5 step 6", "embedded I64_MIN timestamp accepted",
               {_DEC: _decrypting(replace(_SPEC, timestamp_min_check=False))}),
        Mutant("drift-from-default-config", "§4, §7.5 step 8",
               "decryption ignores the configured drift (always 300 s)",
               {_DEC: _decrypting(replace(_SPEC, drift_ok=lambda n, t, m: abs(n - t) <= 300))}),
        Mutant("password-limit-inclusive", "§7.4 step 4",
               "password of exactly max_payload_bytes rejected",
               {"encrypt_capsule": _encrypt_payload_limit_inclusive}),
        Mutant("encrypt-v2-always-allowed", "§7.4 step 3",
               "version 2 encrypts even when not allowed",
               {"encrypt_capsule": _encrypt_ignores_allowed_v2}),
        Mutant("replay-guard-ignored", "§13", "no replay check at all",
               {_DEC: _decrypt_without_guard}),
        Mutant("collision-reported-as-reuse", "§13", "NonceCollision reported as NonceReuse",
               {_DEC: _collision_as_reuse}),
        Mutant("replay-guard-records-failures", "§13",
               "nonce recorded before decryption: failures poison the guard",
               {_DEC: _guard_records_failures}),
        Mutant("replay-guard-ignores-profile-id", "§13", "guard keyed by nonce only",
               {_DEC: _guard_keyed_by_nonce}),
        Mutant("replay-entry-expires-early", "§13",
               "guard entry dropped at now = ts + window (still inside the window)",
               {_DEC: _guard_expires_early}),
        Mutant("profile-key-salt-ikm-swapped", "§6", "HKDF salt and ikm swapped (K_profile)",
               {"derive_profile_key": _profile_key_salt_ikm_swapped}),
        Mutant("profile-key-binds-profile-id", "§6", "profile id added to K_profile's info",
               {"derive_profile_key": _profile_key_binds_profile_id}),
        Mutant("session-info-path-hint-big-endian", "§6", "u16 path_hint big-endian in info",
               {"derive_session_key": _session_patch(path_fmt=">H")}),
        Mutant("session-info-without-profile-id", "§6", "K_session info omits the profile id",
               {"derive_session_key": _session_patch(with_profile=False)}),
        Mutant("session-key-salt-ikm-swapped", "§6", "HKDF salt and ikm swapped (K_session)",
               {"derive_session_key": _session_patch(swap=True)}),
        Mutant("session-key-skips-path-check", "§6", "path_hint = 0 accepted in derivation",
               {"derive_session_key": _session_skips_path_check}),
        Mutant("sep-limit-in-characters", "§5", "fingerprint limit counted in characters",
               {"sep_hash": _sep_limit_in_chars}),
        Mutant("sep-without-separators", "§5", "fingerprints concatenated without 0x00",
               {"sep_hash": _sep_without_separators}),
        Mutant("sep-empty-quote-as-absent", "§5", "an empty TPM quote hashed as no quote",
               {"sep_hash": _sep_empty_quote_absent}),
        Mutant("sep-trims-fingerprints", "§5", "fingerprints trimmed before hashing",
               {"sep_hash": _sep_trims}),
        Mutant("config-drift-cap-exclusive", "§4", "drift of exactly 604,800 rejected",
               {"config_validate": _config_drift_cap_exclusive}),
        Mutant("config-empty-versions-allowed", "§4", "empty allowed_versions accepted",
               {"config_validate": _config_allows_empty_versions}),
        Mutant("token-base64-padded", "§10", "token keeps base64 '=' padding",
               {"session_token": _token_padded}),
        Mutant("token-info-without-nonce", "§10", "token info omits the client nonce",
               {"session_token": _token_without_nonce}),
        Mutant("rtt-python-round", "§12", "Python round (half to even): 12.5 ms gives 2",
               {"rtt_bucket": _rtt(round)}),
        Mutant("rtt-truncates", "§12", "bucket truncated instead of rounded",
               {"rtt_bucket": _rtt(math.floor)}),
        Mutant("json-duplicate-keys-last-wins", "§9.1", "duplicate keys silently accepted",
               {"capsule_from_json": _json_duplicates_last_wins}),
        Mutant("json-integral-floats-accepted", "§9.1", "1.0 and 1e0 accepted as integers",
               {"capsule_from_json": _json_integral_floats}),
        Mutant("json-booleans-as-integers", "§9.1", "true/false accepted as 1/0",
               {"capsule_from_json": _json_bools_as_ints}),
        Mutant("json-depth-unbounded", "§9.1, §15 JsonDepthUnbounded",
               "deep unknown values skipped, no depth limit", {
                   "capsule_from_json": _json_depth_unbounded}),
        Mutant("json-output-with-spaces", "§9.1", "to_json emits ', ' and ': '",
               {"capsule_to_json": _json_spaced_output}),
        Mutant("bincode-trailing-bytes", "§9.2, §15 BincodeTrailingBytes",
               "trailing bytes ignored", {"capsule_from_binary": _bincode_trailing_bytes}),
        Mutant("bincode-length-unbounded", "§9.2, §15 BincodeHugeLength",
               "length prefix not bounded by 65,572",
               {"capsule_from_binary": _bincode_length_unbounded}),
        Mutant("binary-length-u32", "§9.2", "to_binary writes a u32 length prefix",
               {"capsule_to_binary": _binary_to_u32_length}),
        Mutant("binary-header-id-big-endian", "§9.2", "u64 header id big-endian (both ways)",
               {"capsule_to_binary": _binary_to_header_be,
                "capsule_from_binary": _binary_from_header_be}),
    )
}  # fmt: skip
