"""Defects of the key hierarchy (§6), the SEP hash (§5), configuration (§4), the session
token (§10) and the RTT bucket (§12)."""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping
from typing import Any

import blake3

from conformance.mutants._kit import (
    Args,
    Handler,
    MutantSession,
    Wrapper,
    fail,
    hkdf,
)

__all__ = [
    "config_allows_empty_versions",
    "config_drift_cap_exclusive",
    "profile_key_binds_profile_id",
    "profile_key_salt_ikm_swapped",
    "rtt",
    "sep_empty_quote_absent",
    "sep_limit_in_chars",
    "sep_trims",
    "sep_without_separators",
    "session_patch",
    "session_skips_path_check",
    "token_padded",
    "token_without_nonce",
]


# ---------------------------------------------------------------- key hierarchy


def profile_key_salt_ikm_swapped(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    ref(a)  # the reference's argument checks
    key = hkdf(bytes.fromhex(a["master_key"]), bytes.fromhex(a["env_hash"]),
               b"IHP_PROFILE_KEY:v1")  # fmt: skip
    return {"profile_key": key.hex()}


def profile_key_binds_profile_id(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
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


def session_patch(**kw: Any) -> Wrapper:
    def wrapper(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
        ref(a)
        return _session_key(a, **kw)

    return wrapper


def session_skips_path_check(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
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


def sep_without_separators(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    ref(a)  # the reference's limits
    sep = a["sep"]
    quote = sep.get("tpm_quote")
    q = b"\x00" if quote is None else b"\x01" + bytes.fromhex(quote)
    parts = b"".join(sep[k].encode("utf-8") for k in ("cpu", "nic", "os", "build"))
    return {"env_hash": blake3.blake3(parts + q).hexdigest()}


def sep_limit_in_chars(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
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


def sep_empty_quote_absent(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    sep = a.get("sep")
    if isinstance(sep, dict) and sep.get("tpm_quote") == "":
        a = {**a, "sep": {**sep, "tpm_quote": None}}
    return ref(a)


def sep_trims(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    sep = a.get("sep")
    if isinstance(sep, dict):
        sep = {k: v.strip() if isinstance(v, str) and k != "tpm_quote" else v
               for k, v in sep.items()}  # fmt: skip
        a = {**a, "sep": sep}
    return ref(a)


def config_drift_cap_exclusive(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    result = ref(a)
    if (a.get("config") or {}).get("max_timestamp_drift") == 604_800:  # `<` for `<=`
        raise fail("Config")
    return result


def config_allows_empty_versions(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    cfg = a.get("config")
    if isinstance(cfg, dict) and cfg.get("allowed_versions") == []:
        a = {**a, "config": {**cfg, "allowed_versions": [1]}}
    return ref(a)


# ---------------------------------------------------------------- token, RTT


def token_padded(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    token = ref(a)["token"]
    return {"token": token + "=" * (-len(token) % 4)}


def token_without_nonce(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    ref(a)
    info = b"IHP_SESSION_TOKEN:v1" + struct.pack("<q", int(a["timestamp"]))
    raw = hkdf(None, bytes.fromhex(a["session_key"]), info)
    return {"token": base64.urlsafe_b64encode(raw).rstrip(b"=").decode()}


def rtt(rounding: Any) -> Wrapper:
    def wrapper(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
        ref(a)
        samples = a["samples_ms"]
        bucket = rounding(sum(samples) / len(samples) / 5.0)
        return {"bucket": min(max(int(bucket), 0), 255)}

    return wrapper
