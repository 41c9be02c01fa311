"""decrypt_capsule vectors: spec §7.5, every step, its boundaries, its order, §15 traps."""

from __future__ import annotations

from typing import Any

from ._build import CaseSpec, FileSpec, GroupSpec, Handler
from ._craft import plaintext, seal_plaintext
from ._ctx import (
    BASE,
    BASE_TIMESTAMP,
    ENV_HASH_LENGTH_ROWS,
    SESSION_KEY_LENGTH_ROWS,
    ArgumentRow,
    encrypt_with,
)
from ._enc import (
    I64_MAX,
    I64_MIN,
    U64_MAX,
    CapsuleFields,
    capsule_obj,
    dec,
    det_bytes,
    det_int,
    hx,
    network,
)
from ._fixtures import GOLDEN_HEX, GOLDEN_JSON, fixture_keys

__all__ = ["spec"]

_OK = ("7.5.result", "7.5.4", "2.seal", "7.2.aad", "7.3.plaintext", "7.5.8")
_ERROR_RULE = {
    "Codec": "8.Codec",
    "Config": "8.Config",
    "InvalidVersion": "8.InvalidVersion",
    "KeyLength": "8.KeyLength",
    "InvalidNonceLength": "8.InvalidNonceLength",
    "InvalidTimestamp": "8.InvalidTimestamp",
    "InvalidAeadTag": "8.InvalidAeadTag",
    "HeaderIdMismatch": "8.HeaderIdMismatch",
    "StaleTimestamp": "8.StaleTimestamp",
}
_T = BASE_TIMESTAMP
_BAD_CONFIG = {"max_timestamp_drift": 604_801}


def _case(
    tc: str,
    comment: str,
    flags: tuple[str, ...],
    rules: tuple[str, ...],
    error: str | None = None,
    **over: Any,
) -> CaseSpec:
    extra = _OK if error is None else (_ERROR_RULE[error],)
    return CaseSpec(f"decrypt/{tc}", comment, flags, (*rules, *extra), over, error)


def _flip(hex_text: str, index: int, mask: int = 0x01) -> str:
    data = bytearray(bytes.fromhex(hex_text))
    data[index] ^= mask
    return data.hex()


def _with(capsule: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {**capsule, **over}


def _fields(capsule: dict[str, Any]) -> CapsuleFields:
    return CapsuleFields(
        capsule["version"],
        int(capsule["header_id"]),
        bytes.fromhex(capsule["client_nonce"]),
        int(capsule["server_profile_id"]),
        capsule["network_context"]["rtt_bucket"],
        capsule["network_context"]["path_hint"],
        b"",
    )


def _crafted(capsule: dict[str, Any], pt: bytes) -> dict[str, Any]:
    """`capsule` with its payload replaced by a sealing of `pt` under the BASE key."""
    payload = seal_plaintext(
        bytes.fromhex(BASE["session_key"]), bytes.fromhex(BASE["env_hash"]), _fields(capsule), pt
    )
    return capsule_obj(CapsuleFields(**{**_fields(capsule).__dict__, "payload": payload}))


def _valid_cases(handle: Handler, base: dict[str, Any]) -> list[CaseSpec]:
    cases = [_case("base", "the group's arguments: now = timestamp", (), ())]
    for n in (0, 1, 65536):
        cases.append(
            _case(
                f"password/{n}",
                f"a {n}-byte password",
                ("Boundary",),
                ("7.5.5",),
                capsule=encrypt_with(handle, password=hx(det_bytes("dec/pw", n))),
            )
        )
    cases.append(
        _case(
            "password/config-max",
            "password of 100 bytes, max_payload_bytes 100",
            ("Boundary",),
            ("7.5.5", "4.payload-range"),
            config={"max_payload_bytes": 100},
            capsule=encrypt_with(handle, password=hx(b"p" * 100)),
        )
    )
    edges: tuple[tuple[str, dict[str, Any], str], ...] = (
        ("header-id-0", {"header_id": "0"}, "header_id 0"),
        ("header-id-u64-max", {"header_id": dec(U64_MAX)}, "header_id U64_MAX"),
        ("profile-id-0", {"server_profile_id": "0"}, "server_profile_id 0"),
        ("profile-id-u64-max", {"server_profile_id": dec(U64_MAX)}, "server_profile_id U64_MAX"),
        ("rtt-0", {"network_context": network(0, 120)}, "rtt_bucket 0"),
        ("rtt-255", {"network_context": network(255, 120)}, "rtt_bucket 255"),
        ("path-1", {"network_context": network(5, 1)}, "path_hint 1"),
        ("path-65535", {"network_context": network(5, 65535)}, "path_hint 65,535"),
    )
    for tc, over, comment in edges:
        cases.append(
            _case(
                f"edge/{tc}",
                comment,
                ("EdgeCaseValue",),
                ("7.1.field-types",),
                capsule=encrypt_with(handle, **over),
            )
        )
    v2 = ("ExperimentalV2", "V2NotCompiled")
    cap_v2 = encrypt_with(handle, version=2, config={"allowed_versions": [1, 2]})
    cases += [
        _case(
            "version/v2-allowed",
            "a version 2 capsule, allowed [1, 2]",
            v2,
            ("7.5.2", "4.versions-range"),
            capsule=cap_v2,
            config={"allowed_versions": [1, 2]},
        ),
        _case(
            "version/v2-only",
            "a version 2 capsule, allowed [2]",
            v2,
            ("7.5.2", "4.versions-range"),
            capsule=cap_v2,
            config={"allowed_versions": [2]},
        ),
    ]
    for i in range(10):
        label = f"dec/random/{i}"
        ts = det_int(label + "/ts", 40)
        key, env = hx(det_bytes(label + "/k", 32)), hx(det_bytes(label + "/e", 32))
        capsule = encrypt_with(
            handle,
            header_id=dec(det_int(label + "/h", 64)),
            client_nonce=hx(det_bytes(label + "/n", 12)),
            server_profile_id=dec(det_int(label + "/id", 64)),
            network_context=network(det_int(label + "/rtt", 8), 1 + det_int(label + "/p", 15)),
            env_hash=env,
            session_key=key,
            timestamp=dec(ts),
            password=hx(det_bytes(label + "/pw", det_int(label + "/len", 7))),
        )
        cases.append(
            _case(
                f"random/{i}",
                "pseudorandom inputs, now within 200 s",
                ("Pseudorandom",),
                (),
                capsule=capsule,
                env_hash=env,
                session_key=key,
                now=dec(ts + det_int(label + "/d", 8) - 100),
            )
        )
    return cases


def _drift_cases(handle: Handler) -> list[CaseSpec]:
    d = ("Drift", "Boundary")
    rules = ("7.5.8", "4.drift-range")
    cases = []
    for drift in (300, 0, 1, 604_800):
        config = {} if drift == 300 else {"max_timestamp_drift": drift}
        for sign in (1, -1):
            # now - timestamp = sign * delta: sign 1 puts the capsule's timestamp in the past
            direction = "past" if sign == 1 else "future"
            for delta, verdict in ((drift, None), (drift + 1, "StaleTimestamp")):
                name = "max" if delta == drift else "max-plus-1"
                if drift == 0 and delta == 0 and sign == -1:
                    continue  # same case as the +0 one
                cases.append(
                    _case(
                        f"drift/{drift}/{direction}-{name}",
                        f"max drift {drift}, capsule {delta} s in the {direction}",
                        d,
                        rules,
                        verdict,
                        config=config,
                        now=dec(_T + sign * delta),
                    )
                )
    extremes: tuple[tuple[str, int, int, str | None, str, tuple[str, ...]], ...] = (
        ("i64-max/now-equal", I64_MAX, I64_MAX, None, "timestamp and now I64_MAX", ()),
        ("i64-max/now-max-minus-300", I64_MAX, I64_MAX - 300, None, "300 s in the future", ()),
        (
            "i64-max/now-max-minus-301",
            I64_MAX,
            I64_MAX - 301,
            "StaleTimestamp",
            "301 s in the future",
            (),
        ),
        (
            "i64-min-plus-1/now-equal",
            I64_MIN + 1,
            I64_MIN + 1,
            None,
            "timestamp and now I64_MIN + 1",
            (),
        ),
        ("i64-min-plus-1/now-plus-300", I64_MIN + 1, I64_MIN + 301, None, "300 s in the past", ()),
        (
            "i64-min-plus-1/now-plus-301",
            I64_MIN + 1,
            I64_MIN + 302,
            "StaleTimestamp",
            "301 s in the past",
            (),
        ),
        (
            "zero/now-i64-min-plus-1",
            0,
            I64_MIN + 1,
            "StaleTimestamp",
            "difference 2^63 - 1 (fits in i64)",
            (),
        ),
        ("i64-max/now-zero", I64_MAX, 0, "StaleTimestamp", "difference 2^63 - 1 (fits)", ()),
        (
            "overflow/ts-min-plus-1-now-max",
            I64_MIN + 1,
            I64_MAX,
            "StaleTimestamp",
            "now - ts = 2^64 - 2: wraps to -2 in i64, |-2| <= 300, the crate accepts",
            ("DriftOverflow",),
        ),
        (
            "overflow/ts-max-now-min-plus-1",
            I64_MAX,
            I64_MIN + 1,
            "StaleTimestamp",
            "now - ts = -(2^64 - 2): wraps to 2 in i64, the crate accepts",
            ("DriftOverflow",),
        ),
        (
            "overflow/ts-min-plus-1-now-1",
            I64_MIN + 1,
            1,
            "StaleTimestamp",
            "now - ts = 2^63: wraps to I64_MIN, abs() wraps too, the crate accepts",
            ("DriftOverflow",),
        ),
        (
            "overflow/ts-minus-1-now-max",
            -1,
            I64_MAX,
            "StaleTimestamp",
            "now - ts = 2^63: wraps to I64_MIN, the crate accepts",
            ("DriftOverflow",),
        ),
        (
            "overflow/ts-max-now-minus-1",
            I64_MAX,
            -1,
            "StaleTimestamp",
            "now - ts = -2^63: abs() of I64_MIN wraps, the crate accepts",
            ("DriftOverflow",),
        ),
        (
            "overflow/ts-max-now-minus-2",
            I64_MAX,
            -2,
            "StaleTimestamp",
            "now - ts = -2^63 - 1: overflows (panic in debug builds)",
            ("DriftOverflow",),
        ),
        (
            "overflow/ts-min-plus-1-now-max-drift-max",
            I64_MIN + 1,
            I64_MAX,
            "StaleTimestamp",
            "max drift 604,800; now - ts wraps to -2, the crate accepts",
            ("DriftOverflow",),
        ),
    )
    for tc, ts, now, verdict, comment, flags in extremes:
        capsule = encrypt_with(handle, timestamp=dec(ts))
        config = {"max_timestamp_drift": 604_800} if tc.endswith("drift-max") else {}
        extra = ("15.DriftOverflow",) if flags else ()
        cases.append(
            _case(
                f"drift/{tc}",
                comment,
                ("Drift", "EdgeCaseValue", *flags),
                (*rules, *extra),
                verdict,
                capsule=capsule,
                now=dec(now),
                config=config,
            )
        )
    return cases


def _argument_cases(base: dict[str, Any]) -> list[CaseSpec]:
    nonce = bytes.fromhex(base["client_nonce"])
    rows: tuple[ArgumentRow, ...] = (
        *SESSION_KEY_LENGTH_ROWS,
        (
            "now/i64-min",
            "InvalidTimestamp",
            "now = I64_MIN",
            {"now": dec(I64_MIN)},
            ("7.3.timestamp-min",),
        ),
        (
            "now/i64-max-plus-1",
            "InvalidTimestamp",
            "now = 2^63, outside i64",
            {"now": dec(I64_MAX + 1)},
            (),
        ),
        (
            "now/i64-min-minus-1",
            "InvalidTimestamp",
            "now = -2^63 - 1, outside i64",
            {"now": dec(I64_MIN - 1)},
            (),
        ),
        *ENV_HASH_LENGTH_ROWS,
        (
            "capsule/version-256",
            "Codec",
            "capsule version 256 is outside u8",
            {"capsule": _with(base, version=256)},
            (),
        ),
        (
            "capsule/header-id-u64-max-plus-1",
            "Codec",
            "capsule header_id 2^64",
            {"capsule": _with(base, header_id=dec(U64_MAX + 1))},
            (),
        ),
        (
            "capsule/profile-id-u64-max-plus-1",
            "Codec",
            "capsule server_profile_id 2^64",
            {"capsule": _with(base, server_profile_id=dec(U64_MAX + 1))},
            (),
        ),
        (
            "capsule/rtt-256",
            "Codec",
            "capsule rtt_bucket 256",
            {"capsule": _with(base, network_context=network(256, 120))},
            (),
        ),
        (
            "capsule/path-65536",
            "Codec",
            "capsule path_hint 65,536",
            {"capsule": _with(base, network_context=network(5, 65536))},
            (),
        ),
        (
            "capsule/nonce-length-11",
            "InvalidNonceLength",
            "an 11-byte capsule nonce",
            {"capsule": _with(base, client_nonce=hx(nonce[:11]))},
            (),
        ),
        (
            "capsule/nonce-length-13",
            "InvalidNonceLength",
            "a 13-byte capsule nonce",
            {"capsule": _with(base, client_nonce=hx(nonce + b"\x00"))},
            (),
        ),
        (
            "capsule/nonce-length-0",
            "InvalidNonceLength",
            "an empty capsule nonce",
            {"capsule": _with(base, client_nonce="")},
            (),
        ),
    )
    return [
        _case(
            f"argument/{tc}",
            comment,
            ("ArgumentRange",),
            ("7.5.0", "7.1.field-types", *rules),
            error,
            **over,
        )
        for tc, error, comment, over, rules in rows
    ]


def _check_cases(handle: Handler, base: dict[str, Any]) -> list[CaseSpec]:
    cases = []
    for tc, config in (
        ("drift-604801", {"max_timestamp_drift": 604_801}),
        ("drift-negative", {"max_timestamp_drift": -1}),
        ("versions-empty", {"allowed_versions": []}),
        ("versions-0", {"allowed_versions": [0]}),
        ("aead", {"aead_algorithm": "AES128GCM"}),
        ("payload-0", {"max_payload_bytes": 0}),
        ("payload-65537", {"max_payload_bytes": 65537}),
        ("fingerprint-0", {"max_fingerprint_bytes": 0}),
        ("fingerprint-4097", {"max_fingerprint_bytes": 4097}),
    ):
        cases.append(
            _case(
                f"config/{tc}",
                f"invalid config {config} (step 1)",
                ("InvalidConfig",),
                ("7.5.1", "4.validate"),
                "Config",
                config=config,
            )
        )
    for version, config, comment in (
        (2, {}, "version 2, default allow-list [1]"),
        (0, {}, "version 0, unknown"),
        (3, {}, "version 3, unknown"),
        (255, {}, "version 255, unknown"),
        (1, {"allowed_versions": [2]}, "version 1, allowed [2]"),
        (3, {"allowed_versions": [1, 2]}, "version 3, allowed [1, 2]"),
    ):
        allowed = "-".join(str(v) for v in config.get("allowed_versions", [1]))
        cases.append(
            _case(
                f"version/{version}-not-in-{allowed}",
                f"{comment} (step 2)",
                ("VersionNotAllowed",),
                ("7.5.2", "4.versions-range"),
                "InvalidVersion",
                capsule=_with(base, version=version),
                config=config,
            )
        )
    cases.append(
        _case(
            "path-hint-zero",
            "capsule path_hint 0 (step 3)",
            ("PathHintZero",),
            ("7.5.3", "7.1.path-hint-nonzero"),
            "Codec",
            capsule=_with(base, network_context=network(5, 0)),
        )
    )
    cases += _aead_cases(handle, base)
    cases += _plaintext_cases(base)
    for tc, header_id, comment in (
        ("plus-1", int(base["header_id"]) + 1, "header_id + 1"),
        ("zero", 0, "header_id 0"),
        ("u64-max", U64_MAX, "header_id U64_MAX"),
        ("high-bit", int(base["header_id"]) ^ (1 << 63), "top bit flipped"),
    ):
        cases.append(
            _case(
                f"header-id-mismatch/{tc}",
                f"clear {comment} (step 7)",
                ("HeaderIdMismatch",),
                ("7.5.7",),
                "HeaderIdMismatch",
                capsule=_with(base, header_id=dec(header_id)),
            )
        )
    return cases


def _aead_cases(handle: Handler, base: dict[str, Any]) -> list[CaseSpec]:
    payload = base["payload"]
    size = len(payload) // 2
    tag = ("ModifiedCiphertext",)
    rows: list[tuple[str, tuple[str, ...], str, dict[str, Any]]] = [
        (
            "wrong-session-key",
            ("WrongKey",),
            "session key with one bit flipped",
            {"session_key": _flip(BASE["session_key"], 0)},
        ),
        (
            "wrong-env-hash",
            ("WrongKey",),
            "env hash with one bit flipped",
            {"env_hash": _flip(BASE["env_hash"], 31, 0x80)},
        ),
        (
            "payload-first-bit",
            tag,
            "first ciphertext bit flipped",
            {"capsule": _with(base, payload=_flip(payload, 0))},
        ),
        (
            "payload-password-byte",
            tag,
            "a ciphertext byte inside the password flipped",
            {"capsule": _with(base, payload=_flip(payload, 6, 0xFF))},
        ),
        (
            "payload-tag-last-bit",
            tag,
            "last tag bit flipped",
            {"capsule": _with(base, payload=_flip(payload, size - 1, 0x80))},
        ),
        (
            "payload-truncated-1",
            tag,
            "payload one byte short",
            {"capsule": _with(base, payload=payload[:-2])},
        ),
        (
            "payload-extended-1",
            tag,
            "payload one byte longer",
            {"capsule": _with(base, payload=payload + "00")},
        ),
        (
            "payload-tag-only",
            tag,
            "the last 16 bytes only (no ciphertext)",
            {"capsule": _with(base, payload=payload[-32:])},
        ),
        (
            "payload-15-bytes",
            tag,
            "15 bytes: shorter than a tag (OPEN fails)",
            {"capsule": _with(base, payload=payload[:30])},
        ),
        (
            "payload-empty",
            tag,
            "an empty payload (OPEN fails)",
            {"capsule": _with(base, payload="")},
        ),
        (
            "nonce-changed",
            ("ModifiedAad",),
            "a different nonce",
            {"capsule": _with(base, client_nonce=_flip(base["client_nonce"], 11))},
        ),
        (
            "profile-id-changed",
            ("ModifiedAad",),
            "server_profile_id + 1 (in the AAD)",
            {"capsule": _with(base, server_profile_id=dec(int(base["server_profile_id"]) + 1))},
        ),
        (
            "rtt-changed",
            ("ModifiedAad",),
            "rtt_bucket changed (in the AAD)",
            {"capsule": _with(base, network_context=network(6, 120))},
        ),
        (
            "path-changed",
            ("ModifiedAad",),
            "path_hint changed (in the AAD)",
            {"capsule": _with(base, network_context=network(5, 121))},
        ),
        (
            "version-changed",
            ("ModifiedAad", "ExperimentalV2"),
            "version 1 capsule relabelled 2, both allowed (in the AAD)",
            {"capsule": _with(base, version=2), "config": {"allowed_versions": [1, 2]}},
        ),
        (
            "other-session",
            ("WrongKey",),
            "a capsule of another session (the golden fixture's)",
            {"capsule": fixture_keys(handle, GOLDEN_JSON)["capsule"], "now": dec(1_700_000_123)},
        ),
    ]
    rules = ("7.5.4",)
    out = []
    for tc, flags, comment, over in rows:
        short = tc in ("payload-15-bytes", "payload-empty")
        extra: tuple[str, ...] = ("2.open-short",) if short else ()
        extra += ("7.2.aad",) if "ModifiedAad" in flags else ()
        out.append(
            _case(
                f"aead/{tc}",
                f"{comment} (step 4)",
                flags,
                (*rules, *extra),
                "InvalidAeadTag",
                **over,
            )
        )
    return out


def _plaintext_cases(base: dict[str, Any]) -> list[CaseSpec]:
    pw = b"secret"
    header = int(base["header_id"])
    mp = ("MalformedPlaintext",)
    rows: tuple[tuple[str, bytes, str, str | None, dict[str, Any], tuple[str, ...]], ...] = (
        (
            "minimum",
            plaintext(b"", _T, header),
            "20 bytes: the smallest valid plaintext",
            None,
            {},
            (),
        ),
        ("empty", b"", "an empty plaintext (the payload is a bare tag)", "Codec", {}, ()),
        ("19-bytes", plaintext(b"", _T, header)[:19], "19 bytes: shorter than 20", "Codec", {}, ()),
        (
            "declared-plus-1",
            plaintext(pw, _T, header, declared=len(pw) + 1),
            "declared length one more than the password",
            "Codec",
            {},
            (),
        ),
        (
            "declared-minus-1",
            plaintext(pw, _T, header, declared=len(pw) - 1),
            "declared length one less than the password",
            "Codec",
            {},
            (),
        ),
        (
            "declared-u32-max",
            plaintext(pw, _T, header, declared=2**32 - 1),
            "declared length 2^32 - 1",
            "Codec",
            {},
            (),
        ),
        (
            "trailing-byte",
            plaintext(pw, _T, header, tail=b"\x00"),
            "one byte after the header id",
            "Codec",
            {},
            (),
        ),
        (
            "declared-over-config-max",
            plaintext(b"p" * 11, _T, header),
            "11-byte password, consistent length, max_payload_bytes 10",
            "Codec",
            {"config": {"max_payload_bytes": 10}},
            ("4.payload-range",),
        ),
        (
            "declared-65537",
            plaintext(b"p" * 65537, _T, header),
            "65,537-byte password, consistent length (over MAX_PAYLOAD_BYTES)",
            "Codec",
            {},
            ("Boundary",),
        ),
        (
            "timestamp-i64-min",
            plaintext(pw, I64_MIN, header),
            "embedded timestamp I64_MIN (step 6)",
            "InvalidTimestamp",
            {},
            ("7.3.timestamp-min",),
        ),
        (
            "timestamp-i64-min-plus-1",
            plaintext(pw, I64_MIN + 1, header),
            "embedded timestamp I64_MIN + 1 is a timestamp, just stale",
            "StaleTimestamp",
            {},
            (),
        ),
    )
    out = []
    for tc, pt, comment, error, over, extra in rows:
        step = "7.5.6" if error == "InvalidTimestamp" else "7.5.5"
        if error == "StaleTimestamp":
            step = "7.5.8"
        flags = tuple(f for f in extra if f == "Boundary")
        rules = tuple(r for r in extra if r != "Boundary")
        out.append(
            _case(
                f"plaintext/{tc}",
                comment,
                (*mp, *flags),
                (step, *rules),
                error,
                capsule=_crafted(base, pt),
                **over,
            )
        )
    return out


def _order_cases(handle: Handler, base: dict[str, Any]) -> list[CaseSpec]:
    header = int(base["header_id"])
    wrong_header = dec(header + 1)
    bad_length = _crafted(base, plaintext(b"pw", _T, header, declared=3))
    min_ts = _crafted(base, plaintext(b"pw", I64_MIN, header))
    rows: tuple[tuple[str, str, str, tuple[str, ...], dict[str, Any]], ...] = (
        (
            "0-key-before-1-config",
            "KeyLength",
            "31-byte key and an invalid config",
            ("7.5.0", "7.5.1"),
            {"session_key": hx(bytes(31)), "config": _BAD_CONFIG},
        ),
        (
            "0-now-before-1-config",
            "InvalidTimestamp",
            "now I64_MIN and an invalid config",
            ("7.5.0", "7.5.1"),
            {"now": dec(I64_MIN), "config": _BAD_CONFIG},
        ),
        (
            "0-nonce-before-1-config",
            "InvalidNonceLength",
            "11-byte nonce, an invalid config",
            ("7.5.0", "7.5.1"),
            {"capsule": _with(base, client_nonce=hx(bytes(11))), "config": _BAD_CONFIG},
        ),
        (
            "0-env-hash-before-2-version",
            "Codec",
            "33-byte env hash and version 3",
            ("7.5.0", "7.5.2"),
            {"env_hash": hx(bytes(33)), "capsule": _with(base, version=3)},
        ),
        (
            "1-config-before-2-version",
            "Config",
            "an invalid config and version 3",
            ("7.5.1", "7.5.2"),
            {"config": _BAD_CONFIG, "capsule": _with(base, version=3)},
        ),
        (
            "2-version-before-3-path",
            "InvalidVersion",
            "version 3 and path_hint 0",
            ("7.5.2", "7.5.3"),
            {"capsule": _with(base, version=3, network_context=network(5, 0))},
        ),
        (
            "3-path-before-4-aead",
            "Codec",
            "path_hint 0 with a wrong key",
            ("7.5.3", "7.5.4"),
            {
                "capsule": _with(base, network_context=network(5, 0)),
                "session_key": _flip(BASE["session_key"], 0),
            },
        ),
        (
            "4-aead-before-7-header",
            "InvalidAeadTag",
            "wrong key and clear header_id changed",
            ("7.5.4", "7.5.7"),
            {
                "session_key": _flip(BASE["session_key"], 0),
                "capsule": _with(base, header_id=wrong_header),
            },
        ),
        (
            "4-aead-before-8-drift",
            "InvalidAeadTag",
            "wrong key and now far in the future",
            ("7.5.4", "7.5.8"),
            {"session_key": _flip(BASE["session_key"], 0), "now": dec(_T + 10_000)},
        ),
        (
            "5-length-before-7-header",
            "Codec",
            "bad declared length and clear header_id changed",
            ("7.5.5", "7.5.7"),
            {"capsule": _with(bad_length, header_id=wrong_header)},
        ),
        (
            "5-length-before-8-drift",
            "Codec",
            "bad declared length and a stale now",
            ("7.5.5", "7.5.8"),
            {"capsule": bad_length, "now": dec(_T + 10_000)},
        ),
        (
            "6-timestamp-before-7-header",
            "InvalidTimestamp",
            "embedded I64_MIN and clear header_id changed",
            ("7.5.6", "7.5.7"),
            {"capsule": _with(min_ts, header_id=wrong_header)},
        ),
        (
            "6-timestamp-before-8-drift",
            "InvalidTimestamp",
            "embedded I64_MIN (also outside any drift window)",
            ("7.5.6", "7.5.8"),
            {"capsule": min_ts},
        ),
        (
            "7-header-before-8-drift",
            "HeaderIdMismatch",
            "clear header_id changed, stale now",
            ("7.5.7", "7.5.8"),
            {"capsule": _with(base, header_id=wrong_header), "now": dec(_T + 10_000)},
        ),
        (
            "1-config-before-8-drift",
            "Config",
            "invalid drift 604,801 and now 700,000 s after the timestamp",
            ("7.5.1", "7.5.8"),
            {"config": _BAD_CONFIG, "now": dec(_T + 700_000)},
        ),
    )
    return [
        _case(f"check-order/{tc}", comment, ("CheckOrder",), (*rules, "7.5.order"), error, **over)
        for tc, error, comment, rules, over in rows
    ]


def _ktv_cases(handle: Handler) -> list[CaseSpec]:
    cases = []
    for fixture, rule in ((GOLDEN_JSON, "17.golden-json"), (GOLDEN_HEX, "17.golden-hex")):
        keys = fixture_keys(handle, fixture)
        args = {
            "config": {},
            "capsule": keys["capsule"],
            "env_hash": keys["env_hash"],
            "session_key": keys["session_key"],
            "now": dec(fixture.timestamp),
        }
        cases.append(
            CaseSpec(
                f"decrypt/ktv/{fixture.name}",
                f"the {fixture.name} fixture decrypts at now = its timestamp (spec §17)",
                ("Ktv",),
                (rule, *_OK),
                args,
            )
        )
    return cases


def spec(handle: Handler) -> FileSpec:
    base = encrypt_with(handle)
    group_args = {
        "config": {},
        "capsule": base,
        "env_hash": BASE["env_hash"],
        "session_key": BASE["session_key"],
        "now": dec(_T),
    }
    return FileSpec(
        name="decrypt_capsule",
        operation="decrypt_capsule",
        profile="IHP-Core",
        header=(
            "Capsule decryption (spec §7.5): checks 0-8 in order (step 9, the replay "
            "guard, is in replay_guard.json).",
            "Cases replace some of their group's arguments; no case uses a replay guard.",
            "Generated by `ihp-vectors generate`; do not edit.",
        ),
        groups=[
            GroupSpec("the §17 fixtures", {}, _ktv_cases(handle), "spec-17"),
            GroupSpec("valid decryptions", group_args, _valid_cases(handle, base), "capsule"),
            GroupSpec(
                "step 8: the drift window, its boundaries and 64-bit extremes",
                group_args,
                _drift_cases(handle),
                "capsule",
            ),
            GroupSpec(
                "step 0: arguments outside their types",
                group_args,
                _argument_cases(base),
                "capsule",
            ),
            GroupSpec(
                "steps 1-7: the protocol checks", group_args, _check_cases(handle, base), "capsule"
            ),
            GroupSpec(
                "two rules broken at once: the earlier step wins",
                group_args,
                _order_cases(handle, base),
                "capsule",
            ),
        ],
    )
