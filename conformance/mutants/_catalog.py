"""The mutant catalog: realistic single-defect implementations, each a shim.

Every entry is one mistake an implementer could plausibly make, named after it, with the
spec rule it breaks. The suite must detect every one (`ihp-conformance mutants`). The
defects themselves live in `_capsule_defects`, `_key_defects` and `_wire_defects`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from conformance.mutants import _capsule_defects as cap
from conformance.mutants import _divergence_defects as crate
from conformance.mutants import _key_defects as key
from conformance.mutants import _wire_defects as wire
from conformance.mutants._kit import Args, MutantSession, Unsupported, Wrapper, chain

__all__ = ["ALL_MUTANTS", "CRATE", "DIVERGENCE_MUTANTS", "MUTANTS", "Mutant"]


@dataclass(frozen=True)
class Mutant:
    name: str
    spec: str  # the rule it breaks
    defect: str  # the mistake, in words
    patches: Mapping[str, Wrapper] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()  # operations it does not implement
    unsupported: Unsupported | None = None  # requests it answers `unsupported`
    flags: tuple[str, ...] = ()  # the spec §15 divergences it has

    def session(self) -> MutantSession:
        return MutantSession(self.name, self.patches, self.absent, self.unsupported)


# ---------------------------------------------------------------- the catalog

_DEC = "decrypt_capsule"


def _rules(**changes: Any) -> dict[str, Wrapper]:
    """Decryption with rules of spec §7.5 changed (`DecryptRules` fields)."""
    return {_DEC: cap.decrypting(replace(cap.SPEC, **changes))}


MUTANTS: dict[str, Mutant] = {
    m.name: m
    for m in (
        Mutant("aad-without-env-hash", "§7.2", "the AAD omits the ServerEnvHash",
               cap.pair(aad=cap.aad_no_env_hash)),
        Mutant("aad-profile-id-big-endian", "§7.2", "u64 profile id in the AAD big-endian",
               cap.pair(aad=cap.aad_profile_id_be)),
        Mutant("aad-domain-nul-terminated", "§7.2", "C string: the AAD domain keeps its NUL",
               cap.pair(aad=cap.aad_nul_terminated)),
        Mutant("plaintext-timestamp-big-endian", "§7.3", "i64 timestamp big-endian",
               cap.pair(pt=cap.pt_timestamp_be, parse=cap.parse_timestamp_be)),
        Mutant("plaintext-length-at-least", "§7.5 step 5",
               "plaintext length checked with >= instead of ==",
               _rules(parse=cap.parse_no_total_check)),
        Mutant("drift-bound-exclusive", "§7.5 step 8",
               "drift equal to the maximum rejected (>= instead of >)",
               _rules(drift_ok=lambda n, t, m: abs(n - t) < m)),
        Mutant("drift-i64-wrapping", "§7.5 step 8, §15 DriftOverflow",
               "|now - ts| computed in wrapping i64", _rules(drift_ok=cap.wrapping_drift)),
        Mutant("drift-past-only", "§7.5 step 8", "future timestamps not bounded",
               _rules(drift_ok=lambda n, t, m: n - t <= m)),
        Mutant("header-id-unchecked", "§7.5 step 7", "embedded header id never compared",
               _rules(header_check=False)),
        Mutant("drift-before-header-check", "§7.5 steps 7-8", "drift checked before header id",
               _rules(drift_before_header=True)),
        Mutant("version-after-aead", "§7.5 steps 2-4", "version checked after decryption",
               _rules(version_after_aead=True)),
        Mutant("path-hint-zero-accepted", "§7.1, §7.5 step 3", "decryption skips path_hint = 0",
               _rules(path_hint_check=False)),
        Mutant("timestamp-min-accepted", "§7.5 step 6", "embedded I64_MIN timestamp accepted",
               _rules(timestamp_min_check=False)),
        Mutant("drift-from-default-config", "§4, §7.5 step 8",
               "decryption ignores the configured drift (always 300 s)",
               _rules(drift_ok=lambda n, t, m: abs(n - t) <= 300)),
        Mutant("password-limit-inclusive", "§7.4 step 4",
               "password of exactly max_payload_bytes rejected",
               {"encrypt_capsule": cap.encrypt_payload_limit_inclusive}),
        Mutant("encrypt-v2-always-allowed", "§7.4 step 3",
               "version 2 encrypts even when not allowed",
               {"encrypt_capsule": cap.encrypt_ignores_allowed_v2}),
        Mutant("replay-guard-ignored", "§13", "no replay check at all",
               {_DEC: cap.decrypt_without_guard}),
        Mutant("collision-reported-as-reuse", "§13", "NonceCollision reported as NonceReuse",
               {_DEC: cap.collision_as_reuse}),
        Mutant("replay-guard-records-failures", "§13",
               "nonce recorded before decryption: failures poison the guard",
               {_DEC: cap.guard_records_failures}),
        Mutant("replay-guard-ignores-profile-id", "§13", "guard keyed by nonce only",
               {_DEC: cap.guard_keyed_by_nonce}),
        Mutant("replay-entry-expires-early", "§13",
               "guard entry dropped at now = ts + window (still inside the window)",
               {_DEC: cap.guard_expires_early}),
        Mutant("profile-key-salt-ikm-swapped", "§6", "HKDF salt and ikm swapped (K_profile)",
               {"derive_profile_key": key.profile_key_salt_ikm_swapped}),
        Mutant("profile-key-binds-profile-id", "§6", "profile id added to K_profile's info",
               {"derive_profile_key": key.profile_key_binds_profile_id}),
        Mutant("session-info-path-hint-big-endian", "§6", "u16 path_hint big-endian in info",
               {"derive_session_key": key.session_patch(path_fmt=">H")}),
        Mutant("session-info-without-profile-id", "§6", "K_session info omits the profile id",
               {"derive_session_key": key.session_patch(with_profile=False)}),
        Mutant("session-key-salt-ikm-swapped", "§6", "HKDF salt and ikm swapped (K_session)",
               {"derive_session_key": key.session_patch(swap=True)}),
        Mutant("session-key-skips-path-check", "§6", "path_hint = 0 accepted in derivation",
               {"derive_session_key": key.session_skips_path_check}),
        Mutant("sep-limit-in-characters", "§5", "fingerprint limit counted in characters",
               {"sep_hash": key.sep_limit_in_chars}),
        Mutant("sep-without-separators", "§5", "fingerprints concatenated without 0x00",
               {"sep_hash": key.sep_without_separators}),
        Mutant("sep-empty-quote-as-absent", "§5", "an empty TPM quote hashed as no quote",
               {"sep_hash": key.sep_empty_quote_absent}),
        Mutant("sep-trims-fingerprints", "§5", "fingerprints trimmed before hashing",
               {"sep_hash": key.sep_trims}),
        Mutant("config-drift-cap-exclusive", "§4", "drift of exactly 604,800 rejected",
               {"config_validate": key.config_drift_cap_exclusive}),
        Mutant("config-empty-versions-allowed", "§4", "empty allowed_versions accepted",
               {"config_validate": key.config_allows_empty_versions}),
        Mutant("token-base64-padded", "§10", "token keeps base64 '=' padding",
               {"session_token": key.token_padded}),
        Mutant("token-info-without-nonce", "§10", "token info omits the client nonce",
               {"session_token": key.token_without_nonce}),
        Mutant("rtt-python-round", "§12", "Python round (half to even): 12.5 ms gives 2",
               {"rtt_bucket": key.rtt(round)}),
        Mutant("rtt-truncates", "§12", "bucket truncated instead of rounded",
               {"rtt_bucket": key.rtt(math.floor)}),
        Mutant("json-duplicate-keys-last-wins", "§9.1", "duplicate keys silently accepted",
               {"capsule_from_json": wire.json_duplicates_last_wins}),
        Mutant("json-integral-floats-accepted", "§9.1", "1.0 and 1e0 accepted as integers",
               {"capsule_from_json": wire.json_integral_floats}),
        Mutant("json-booleans-as-integers", "§9.1", "true/false accepted as 1/0",
               {"capsule_from_json": wire.json_bools_as_ints}),
        Mutant("json-depth-unbounded", "§9.1, §15 JsonDepthUnbounded",
               "deep unknown values skipped, no depth limit", {
                   "capsule_from_json": wire.json_depth_unbounded}),
        Mutant("json-output-with-spaces", "§9.1", "to_json emits ', ' and ': '",
               {"capsule_to_json": wire.json_spaced_output}),
        Mutant("bincode-trailing-bytes", "§9.2, §15 BincodeTrailingBytes",
               "trailing bytes ignored", {"capsule_from_binary": wire.bincode_trailing_bytes}),
        Mutant("bincode-length-unbounded", "§9.2, §15 BincodeHugeLength",
               "length prefix not bounded by 65,572",
               {"capsule_from_binary": wire.bincode_length_unbounded}),
        Mutant("binary-length-u32", "§9.2", "to_binary writes a u32 length prefix",
               {"capsule_to_binary": wire.binary_to_u32_length}),
        Mutant("binary-header-id-big-endian", "§9.2", "u64 header id big-endian (both ways)",
               {"capsule_to_binary": wire.binary_to_header_be,
                "capsule_from_binary": wire.binary_from_header_be}),
    )
}  # fmt: skip


# ---------------------------------------------------------------- spec §15, as the crate has them

_OPERATIONS = ("config_validate", "sep_hash", "derive_profile_key", "derive_session_key",
               "encrypt_capsule", "decrypt_capsule", "capsule_from_json", "capsule_to_json",
               "capsule_from_binary", "capsule_to_binary", "session_token", "rtt_bucket")
_JSON = "capsule_from_json"
_BIN = "capsule_from_binary"
_DRIFT_WRAPS = cap.decrypting(replace(cap.SPEC, drift_ok=cap.wrapping_drift))
_V2 = {op: crate.v2_not_compiled for op in _OPERATIONS}


def _divergence(flag: str, section: str, defect: str, patches: dict[str, Wrapper]) -> Mutant:
    return Mutant(f"divergence-{flag}", f"{section}, §15 {flag}", defect, patches, flags=(flag,))


def _guarded(operation: str, args: Args) -> bool:
    return operation == _DEC and "replay_guard" in args


#: One mutant per spec §15 row a shim can show: exactly that divergence, nothing else.
DIVERGENCE_MUTANTS: dict[str, Mutant] = {
    m.name: m
    for m in (
        _divergence("DriftOverflow", "§7.5 step 8", "|now - ts| in wrapping i64 (release build)",
                    {_DEC: _DRIFT_WRAPS}),
        _divergence("BincodeTrailingBytes", "§9.2", "trailing bytes ignored",
                    {_BIN: wire.bincode_trailing_bytes}),
        _divergence("BincodeHugeLength", "§9.2", "length prefix trusted past 65,572",
                    {_BIN: wire.bincode_length_unbounded}),
        _divergence("JsonDepthUnbounded", "§9.1", "unknown values skipped at any depth",
                    {_JSON: crate.crate_json(size_cap=True, depth_cap=False, arrays=False)}),
        _divergence("JsonStructAsArray", "§9.1", "structs read from JSON arrays too",
                    {_JSON: crate.crate_json(size_cap=True, depth_cap=True, arrays=True)}),
        _divergence("JsonNoSizeCap", "§9.1", "JSON documents of any size",
                    {_JSON: crate.crate_json(size_cap=False, depth_cap=True, arrays=False)}),
        _divergence("V2NotCompiled", "§4", "version 2 cannot be expressed", dict(_V2)),
        _divergence("NoNonceTracking", "§13", "no replay guard: replays accepted",
                    {_DEC: cap.decrypt_without_guard}),
    )
}  # fmt: skip

#: A stand-in for the original crate `ihp` 0.1.0 (release build) behind a shim: the seven
#: §15 divergences of the wire and capsule, and no token, RTT or replay support.
CRATE = Mutant(
    "crate-0.1.0", "§15", "the seven §15 divergences; no token, RTT or replay support",
    {**_V2,
     _DEC: chain(crate.v2_not_compiled, _DRIFT_WRAPS),
     _BIN: chain(crate.v2_not_compiled, wire.bincode_trailing_bytes,
                 wire.bincode_length_unbounded),
     _JSON: chain(crate.v2_not_compiled,
                  crate.crate_json(size_cap=False, depth_cap=False, arrays=True))},
    absent=frozenset({"session_token", "rtt_bucket"}),
    unsupported=_guarded,
    flags=("DriftOverflow", "BincodeTrailingBytes", "BincodeHugeLength", "JsonDepthUnbounded",
           "JsonStructAsArray", "JsonNoSizeCap", "V2NotCompiled"),
)  # fmt: skip

#: Every mutant `python -m conformance.mutants NAME` can serve.
ALL_MUTANTS: dict[str, Mutant] = {**MUTANTS, **DIVERGENCE_MUTANTS, CRATE.name: CRATE}
