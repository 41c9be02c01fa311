"""decrypt_capsule vectors: spec §7.5, every step, its boundaries, its order, §15 traps.

Most rows replace the group's `capsule` with an edit of the base capsule (`{**base, ...}`:
the clear fields change, the payload does not), with a capsule the reference seals from
other inputs (`encrypt_with`), or with a payload sealing a hand-built plaintext (`_crafted`).
"""

from __future__ import annotations

from typing import Any

from ._build import CaseSpec, FileSpec, GroupSpec, Handler, Row, Table
from ._craft import plaintext, seal_plaintext
from ._ctx import (
    BASE,
    BASE_TIMESTAMP,
    ENV_HASH_LENGTH_ROWS,
    SESSION_KEY_LENGTH_ROWS,
    encrypt_with,
    version_not_allowed_rows,
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
from ._fixtures import GOLDEN_JSON, Fixture, fixture_keys, ktv_rows

__all__ = ["spec"]

Capsule = dict[str, Any]  # a shim capsule object

# what every successful decryption exercises
_OK = ("7.5.result", "7.5.4", "2.seal", "7.2.aad", "7.3.plaintext", "7.5.8")
_T = BASE_TIMESTAMP
_BAD_CONFIG = {"max_timestamp_drift": 604_801}


def _flip(hex_text: str, index: int, mask: int = 0x01) -> str:
    data = bytearray(bytes.fromhex(hex_text))
    data[index] ^= mask
    return data.hex()


_WRONG_KEY = {"session_key": _flip(BASE["session_key"], 0)}  # the BASE key, one bit flipped


def _fields(capsule: Capsule) -> CapsuleFields:
    return CapsuleFields(
        capsule["version"],
        int(capsule["header_id"]),
        bytes.fromhex(capsule["client_nonce"]),
        int(capsule["server_profile_id"]),
        capsule["network_context"]["rtt_bucket"],
        capsule["network_context"]["path_hint"],
        b"",
    )


def _crafted(capsule: Capsule, pt: bytes) -> Capsule:
    """`capsule` with its payload replaced by a sealing of `pt` under the BASE key."""
    payload = seal_plaintext(
        bytes.fromhex(BASE["session_key"]), bytes.fromhex(BASE["env_hash"]), _fields(capsule), pt
    )
    return capsule_obj(CapsuleFields(**{**_fields(capsule).__dict__, "payload": payload}))


# --- valid decryptions ----------------------------------------------------------------------

# clear fields at the edges of their types: the capsule the reference seals with them
_EDGES: tuple[tuple[str, dict[str, Any], str], ...] = (
    ("header-id-0", {"header_id": "0"}, "header_id 0"),
    ("header-id-u64-max", {"header_id": dec(U64_MAX)}, "header_id U64_MAX"),
    ("profile-id-0", {"server_profile_id": "0"}, "server_profile_id 0"),
    ("profile-id-u64-max", {"server_profile_id": dec(U64_MAX)}, "server_profile_id U64_MAX"),
    ("rtt-0", {"network_context": network(0, 120)}, "rtt_bucket 0"),
    ("rtt-255", {"network_context": network(255, 120)}, "rtt_bucket 255"),
    ("path-1", {"network_context": network(5, 1)}, "path_hint 1"),
    ("path-65535", {"network_context": network(5, 65535)}, "path_hint 65,535"),
)


def _password_and_version_rows(handle: Handler) -> tuple[Row, ...]:
    v2 = ("ExperimentalV2", "V2NotCompiled")
    cap_v2 = encrypt_with(handle, {"version": 2, "config": {"allowed_versions": [1, 2]}})
    return (
        *(
            Row(
                tc=f"password/{n}",
                comment=f"a {n}-byte password",
                args={"capsule": encrypt_with(handle, {"password": hx(det_bytes("dec/pw", n))})},
                flags=("Boundary",),
                rules=("7.5.5",),
            )
            for n in (0, 1, 65536)
        ),
        Row(
            tc="password/config-max",
            comment="password of 100 bytes, max_payload_bytes 100",
            args={
                "config": {"max_payload_bytes": 100},
                "capsule": encrypt_with(handle, {"password": hx(b"p" * 100)}),
            },
            flags=("Boundary",),
            rules=("7.5.5", "4.payload-range"),
        ),
        *(
            Row(
                tc=f"edge/{tc}",
                comment=comment,
                args={"capsule": encrypt_with(handle, replaced)},
                flags=("EdgeCaseValue",),
                rules=("7.1.field-types",),
            )
            for tc, replaced, comment in _EDGES
        ),
        Row(
            tc="version/v2-allowed",
            comment="a version 2 capsule, allowed [1, 2]",
            args={"capsule": cap_v2, "config": {"allowed_versions": [1, 2]}},
            flags=v2,
            rules=("7.5.2", "4.versions-range"),
        ),
        Row(
            tc="version/v2-only",
            comment="a version 2 capsule, allowed [2]",
            args={"capsule": cap_v2, "config": {"allowed_versions": [2]}},
            flags=v2,
            rules=("7.5.2", "4.versions-range"),
        ),
    )


def _random_row(handle: Handler, i: int) -> Row:
    label = f"dec/random/{i}"
    ts = det_int(label + "/ts", 40)
    key, env = hx(det_bytes(label + "/k", 32)), hx(det_bytes(label + "/e", 32))
    sealed_from = {
        "header_id": dec(det_int(label + "/h", 64)),
        "client_nonce": hx(det_bytes(label + "/n", 12)),
        "server_profile_id": dec(det_int(label + "/id", 64)),
        "network_context": network(det_int(label + "/rtt", 8), 1 + det_int(label + "/p", 15)),
        "env_hash": env,
        "session_key": key,
        "timestamp": dec(ts),
        "password": hx(det_bytes(label + "/pw", det_int(label + "/len", 7))),
    }
    return Row(
        tc=f"random/{i}",
        comment="pseudorandom inputs, now within 200 s",
        args={
            "capsule": encrypt_with(handle, sealed_from),
            "env_hash": env,
            "session_key": key,
            "now": dec(ts + det_int(label + "/d", 8) - 100),
        },
        flags=("Pseudorandom",),
    )


def _valid_cases(handle: Handler) -> list[CaseSpec]:
    return Table(prefix="decrypt/", valid_rules=_OK).cases(
        (
            Row(tc="base", comment="the group's arguments: now = timestamp"),
            *_password_and_version_rows(handle),
            *(_random_row(handle, i) for i in range(10)),
        )
    )


# --- step 8: the drift window ---------------------------------------------------------------


def _window_rows() -> list[Row]:
    """Each max drift at and one past its bound, the capsule in the past and the future."""
    rows = []
    for drift in (300, 0, 1, 604_800):
        config = {} if drift == 300 else {"max_timestamp_drift": drift}
        for sign in (1, -1):
            # now - timestamp = sign * delta: sign 1 puts the capsule's timestamp in the past
            direction = "past" if sign == 1 else "future"
            for delta, error in ((drift, None), (drift + 1, "StaleTimestamp")):
                name = "max" if delta == drift else "max-plus-1"
                if drift == 0 and delta == 0 and sign == -1:
                    continue  # same case as the +0 one
                rows.append(
                    Row(
                        tc=f"{drift}/{direction}-{name}",
                        comment=f"max drift {drift}, capsule {delta} s in the {direction}",
                        args={"config": config, "now": dec(_T + sign * delta)},
                        error=error,
                    )
                )
    return rows


def _extreme_rows(handle: Handler) -> tuple[Row, ...]:
    """64-bit extremes of timestamp and now; `DriftOverflow` rows are where the Rust
    crate's i64 `(now - ts).abs()` wraps (spec §15), the exact difference is stale."""

    def at(timestamp: int, now: int, config: dict[str, Any] | None = None) -> dict[str, Any]:
        capsule = encrypt_with(handle, {"timestamp": dec(timestamp)})
        return {"capsule": capsule, "now": dec(now), "config": config or {}}

    overflow = ("DriftOverflow",)
    stale = "StaleTimestamp"
    return (
        Row(
            tc="i64-max/now-equal",
            comment="timestamp and now I64_MAX",
            args=at(I64_MAX, I64_MAX),
        ),
        Row(
            tc="i64-max/now-max-minus-300",
            comment="300 s in the future",
            args=at(I64_MAX, I64_MAX - 300),
        ),
        Row(
            tc="i64-max/now-max-minus-301",
            comment="301 s in the future",
            args=at(I64_MAX, I64_MAX - 301),
            error=stale,
        ),
        Row(
            tc="i64-min-plus-1/now-equal",
            comment="timestamp and now I64_MIN + 1",
            args=at(I64_MIN + 1, I64_MIN + 1),
        ),
        Row(
            tc="i64-min-plus-1/now-plus-300",
            comment="300 s in the past",
            args=at(I64_MIN + 1, I64_MIN + 301),
        ),
        Row(
            tc="i64-min-plus-1/now-plus-301",
            comment="301 s in the past",
            args=at(I64_MIN + 1, I64_MIN + 302),
            error=stale,
        ),
        Row(
            tc="zero/now-i64-min-plus-1",
            comment="difference 2^63 - 1 (fits in i64)",
            args=at(0, I64_MIN + 1),
            error=stale,
        ),
        Row(
            tc="i64-max/now-zero",
            comment="difference 2^63 - 1 (fits)",
            args=at(I64_MAX, 0),
            error=stale,
        ),
        Row(
            tc="overflow/ts-min-plus-1-now-max",
            comment="now - ts = 2^64 - 2: wraps to -2 in i64, |-2| <= 300, the crate accepts",
            args=at(I64_MIN + 1, I64_MAX),
            error=stale,
            flags=overflow,
        ),
        Row(
            tc="overflow/ts-max-now-min-plus-1",
            comment="now - ts = -(2^64 - 2): wraps to 2 in i64, the crate accepts",
            args=at(I64_MAX, I64_MIN + 1),
            error=stale,
            flags=overflow,
        ),
        Row(
            tc="overflow/ts-min-plus-1-now-1",
            comment="now - ts = 2^63: wraps to I64_MIN, abs() wraps too, the crate accepts",
            args=at(I64_MIN + 1, 1),
            error=stale,
            flags=overflow,
        ),
        Row(
            tc="overflow/ts-minus-1-now-max",
            comment="now - ts = 2^63: wraps to I64_MIN, the crate accepts",
            args=at(-1, I64_MAX),
            error=stale,
            flags=overflow,
        ),
        Row(
            tc="overflow/ts-max-now-minus-1",
            comment="now - ts = -2^63: abs() of I64_MIN wraps, the crate accepts",
            args=at(I64_MAX, -1),
            error=stale,
            flags=overflow,
        ),
        Row(
            tc="overflow/ts-max-now-minus-2",
            comment="now - ts = -2^63 - 1: overflows (panic in debug builds)",
            args=at(I64_MAX, -2),
            error=stale,
            flags=overflow,
        ),
        Row(
            tc="overflow/ts-min-plus-1-now-max-drift-max",
            comment="max drift 604,800; now - ts wraps to -2, the crate accepts",
            args=at(I64_MIN + 1, I64_MAX, {"max_timestamp_drift": 604_800}),
            error=stale,
            flags=overflow,
        ),
    )


def _drift_cases(handle: Handler) -> list[CaseSpec]:
    rules = ("7.5.8", "4.drift-range")
    return [
        *Table(
            prefix="decrypt/drift/", flags=("Drift", "Boundary"), rules=rules, valid_rules=_OK
        ).cases(_window_rows()),
        *Table(
            prefix="decrypt/drift/", flags=("Drift", "EdgeCaseValue"), rules=rules, valid_rules=_OK
        ).cases(_extreme_rows(handle)),
    ]


# --- step 0: arguments outside their types --------------------------------------------------

_NOW_ROWS = (
    Row(
        tc="now/i64-min",
        comment="now = I64_MIN",
        args={"now": dec(I64_MIN)},
        error="InvalidTimestamp",
        rules=("7.3.timestamp-min",),
    ),
    Row(
        tc="now/i64-max-plus-1",
        comment="now = 2^63, outside i64",
        args={"now": dec(I64_MAX + 1)},
        error="InvalidTimestamp",
    ),
    Row(
        tc="now/i64-min-minus-1",
        comment="now = -2^63 - 1, outside i64",
        args={"now": dec(I64_MIN - 1)},
        error="InvalidTimestamp",
    ),
)


def _capsule_field_rows(base: Capsule) -> tuple[Row, ...]:
    nonce = bytes.fromhex(base["client_nonce"])
    # (tc, the fields replaced in the base capsule, error, comment)
    edits: tuple[tuple[str, dict[str, Any], str, str], ...] = (
        ("version-256", {"version": 256}, "Codec", "capsule version 256 is outside u8"),
        (
            "header-id-u64-max-plus-1",
            {"header_id": dec(U64_MAX + 1)},
            "Codec",
            "capsule header_id 2^64",
        ),
        (
            "profile-id-u64-max-plus-1",
            {"server_profile_id": dec(U64_MAX + 1)},
            "Codec",
            "capsule server_profile_id 2^64",
        ),
        ("rtt-256", {"network_context": network(256, 120)}, "Codec", "capsule rtt_bucket 256"),
        (
            "path-65536",
            {"network_context": network(5, 65536)},
            "Codec",
            "capsule path_hint 65,536",
        ),
        (
            "nonce-length-11",
            {"client_nonce": hx(nonce[:11])},
            "InvalidNonceLength",
            "an 11-byte capsule nonce",
        ),
        (
            "nonce-length-13",
            {"client_nonce": hx(nonce + b"\x00")},
            "InvalidNonceLength",
            "a 13-byte capsule nonce",
        ),
        ("nonce-length-0", {"client_nonce": ""}, "InvalidNonceLength", "an empty capsule nonce"),
    )
    return tuple(
        Row(tc=f"capsule/{tc}", comment=comment, args={"capsule": {**base, **edit}}, error=error)
        for tc, edit, error, comment in edits
    )


def _argument_cases(base: Capsule) -> list[CaseSpec]:
    table = Table(
        prefix="decrypt/argument/", flags=("ArgumentRange",), rules=("7.5.0", "7.1.field-types")
    )
    return table.cases(
        (*SESSION_KEY_LENGTH_ROWS, *_NOW_ROWS, *ENV_HASH_LENGTH_ROWS, *_capsule_field_rows(base))
    )


# --- steps 1-7: the protocol checks ---------------------------------------------------------

_INVALID_CONFIGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("drift-604801", {"max_timestamp_drift": 604_801}),
    ("drift-negative", {"max_timestamp_drift": -1}),
    ("versions-empty", {"allowed_versions": []}),
    ("versions-0", {"allowed_versions": [0]}),
    ("aead", {"aead_algorithm": "AES128GCM"}),
    ("payload-0", {"max_payload_bytes": 0}),
    ("payload-65537", {"max_payload_bytes": 65537}),
    ("fingerprint-0", {"max_fingerprint_bytes": 0}),
    ("fingerprint-4097", {"max_fingerprint_bytes": 4097}),
)


def _config_version_path_rows(base: Capsule) -> tuple[Row, ...]:
    return (
        *(
            Row(
                tc=f"config/{tc}",
                comment=f"invalid config {config} (step 1)",
                args={"config": config},
                error="Config",
                flags=("InvalidConfig",),
                rules=("7.5.1", "4.validate"),
            )
            for tc, config in _INVALID_CONFIGS
        ),
        *version_not_allowed_rows(
            "7.5.2", lambda version: {"capsule": {**base, "version": version}}
        ),
        Row(
            tc="path-hint-zero",
            comment="capsule path_hint 0 (step 3)",
            args={"capsule": {**base, "network_context": network(5, 0)}},
            error="Codec",
            flags=("PathHintZero",),
            rules=("7.5.3", "7.1.path-hint-nonzero"),
        ),
    )


def _aead_rows(handle: Handler, base: Capsule) -> tuple[Row, ...]:
    """Step 4: every change the tag covers (table rule 7.5.4, error InvalidAeadTag)."""
    payload = base["payload"]
    size = len(payload) // 2
    tag, aad, short = ("ModifiedCiphertext",), ("ModifiedAad",), ("2.open-short",)

    def tampered(tc: str, comment: str, edited: str, rules: tuple[str, ...] = ()) -> Row:
        return Row(
            tc=tc,
            comment=f"{comment} (step 4)",
            args={"capsule": {**base, "payload": edited}},
            error="InvalidAeadTag",
            flags=tag,
            rules=rules,
        )

    def relabelled(tc: str, comment: str, args: dict[str, Any], flags: tuple[str, ...]) -> Row:
        return Row(
            tc=tc,
            comment=f"{comment} (step 4)",
            args=args,
            error="InvalidAeadTag",
            flags=flags,
            rules=("7.2.aad",) if "ModifiedAad" in flags else (),
        )

    golden = fixture_keys(handle, GOLDEN_JSON)["capsule"]
    return (
        relabelled(
            "wrong-session-key", "session key with one bit flipped", _WRONG_KEY, ("WrongKey",)
        ),
        relabelled(
            "wrong-env-hash",
            "env hash with one bit flipped",
            {"env_hash": _flip(BASE["env_hash"], 31, 0x80)},
            ("WrongKey",),
        ),
        tampered("payload-first-bit", "first ciphertext bit flipped", _flip(payload, 0)),
        tampered(
            "payload-password-byte",
            "a ciphertext byte inside the password flipped",
            _flip(payload, 6, 0xFF),
        ),
        tampered("payload-tag-last-bit", "last tag bit flipped", _flip(payload, size - 1, 0x80)),
        tampered("payload-truncated-1", "payload one byte short", payload[:-2]),
        tampered("payload-extended-1", "payload one byte longer", payload + "00"),
        tampered("payload-tag-only", "the last 16 bytes only (no ciphertext)", payload[-32:]),
        tampered(
            "payload-15-bytes", "15 bytes: shorter than a tag (OPEN fails)", payload[:30], short
        ),
        tampered("payload-empty", "an empty payload (OPEN fails)", "", short),
        relabelled(
            "nonce-changed",
            "a different nonce",
            {"capsule": {**base, "client_nonce": _flip(base["client_nonce"], 11)}},
            aad,
        ),
        relabelled(
            "profile-id-changed",
            "server_profile_id + 1 (in the AAD)",
            {"capsule": {**base, "server_profile_id": dec(int(base["server_profile_id"]) + 1)}},
            aad,
        ),
        relabelled(
            "rtt-changed",
            "rtt_bucket changed (in the AAD)",
            {"capsule": {**base, "network_context": network(6, 120)}},
            aad,
        ),
        relabelled(
            "path-changed",
            "path_hint changed (in the AAD)",
            {"capsule": {**base, "network_context": network(5, 121)}},
            aad,
        ),
        relabelled(
            "version-changed",
            "version 1 capsule relabelled 2, both allowed (in the AAD)",
            {"capsule": {**base, "version": 2}, "config": {"allowed_versions": [1, 2]}},
            (*aad, "ExperimentalV2"),
        ),
        relabelled(
            "other-session",
            "a capsule of another session (the golden fixture's)",
            {"capsule": golden, "now": dec(1_700_000_123)},
            ("WrongKey",),
        ),
    )


def _plaintext_rows(base: Capsule) -> tuple[Row, ...]:
    """Steps 5 and 6 (and 8): plaintexts the reference's encryption cannot make, sealed by
    the generator (table flag MalformedPlaintext)."""
    pw, header = b"secret", int(base["header_id"])
    length, stamp = ("7.5.5",), ("7.5.6",)

    def sealing(pt: bytes) -> dict[str, Any]:
        return {"capsule": _crafted(base, pt)}

    return (
        Row(
            tc="minimum",
            comment="20 bytes: the smallest valid plaintext",
            args=sealing(plaintext(b"", _T, header)),
            rules=length,
        ),
        Row(
            tc="empty",
            comment="an empty plaintext (the payload is a bare tag)",
            args=sealing(b""),
            error="Codec",
            rules=length,
        ),
        Row(
            tc="19-bytes",
            comment="19 bytes: shorter than 20",
            args=sealing(plaintext(b"", _T, header)[:19]),
            error="Codec",
            rules=length,
        ),
        Row(
            tc="declared-plus-1",
            comment="declared length one more than the password",
            args=sealing(plaintext(pw, _T, header, declared=len(pw) + 1)),
            error="Codec",
            rules=length,
        ),
        Row(
            tc="declared-minus-1",
            comment="declared length one less than the password",
            args=sealing(plaintext(pw, _T, header, declared=len(pw) - 1)),
            error="Codec",
            rules=length,
        ),
        Row(
            tc="declared-u32-max",
            comment="declared length 2^32 - 1",
            args=sealing(plaintext(pw, _T, header, declared=2**32 - 1)),
            error="Codec",
            rules=length,
        ),
        Row(
            tc="trailing-byte",
            comment="one byte after the header id",
            args=sealing(plaintext(pw, _T, header, tail=b"\x00")),
            error="Codec",
            rules=length,
        ),
        Row(
            tc="declared-over-config-max",
            comment="11-byte password, consistent length, max_payload_bytes 10",
            args={**sealing(plaintext(b"p" * 11, _T, header)), "config": {"max_payload_bytes": 10}},
            error="Codec",
            rules=(*length, "4.payload-range"),
        ),
        Row(
            tc="declared-65537",
            comment="65,537-byte password, consistent length (over MAX_PAYLOAD_BYTES)",
            args=sealing(plaintext(b"p" * 65537, _T, header)),
            error="Codec",
            flags=("Boundary",),
            rules=length,
        ),
        Row(
            tc="timestamp-i64-min",
            comment="embedded timestamp I64_MIN (step 6)",
            args=sealing(plaintext(pw, I64_MIN, header)),
            error="InvalidTimestamp",
            rules=(*stamp, "7.3.timestamp-min"),
        ),
        Row(
            tc="timestamp-i64-min-plus-1",
            comment="embedded timestamp I64_MIN + 1 is a timestamp, just stale",
            args=sealing(plaintext(pw, I64_MIN + 1, header)),
            error="StaleTimestamp",
            rules=("7.5.8",),
        ),
    )


def _header_id_rows(base: Capsule) -> tuple[Row, ...]:
    header = int(base["header_id"])
    return tuple(
        Row(
            tc=tc,
            comment=f"clear {comment} (step 7)",
            args={"capsule": {**base, "header_id": dec(header_id)}},
            error="HeaderIdMismatch",
        )
        for tc, header_id, comment in (
            ("plus-1", header + 1, "header_id + 1"),
            ("zero", 0, "header_id 0"),
            ("u64-max", U64_MAX, "header_id U64_MAX"),
            ("high-bit", header ^ (1 << 63), "top bit flipped"),
        )
    )


def _check_cases(handle: Handler, base: Capsule) -> list[CaseSpec]:
    return [
        *Table(prefix="decrypt/").cases(_config_version_path_rows(base)),
        *Table(prefix="decrypt/aead/", rules=("7.5.4",)).cases(_aead_rows(handle, base)),
        *Table(prefix="decrypt/plaintext/", flags=("MalformedPlaintext",), valid_rules=_OK).cases(
            _plaintext_rows(base)
        ),
        *Table(
            prefix="decrypt/header-id-mismatch/", flags=("HeaderIdMismatch",), rules=("7.5.7",)
        ).cases(_header_id_rows(base)),
    ]


# --- two rules broken at once ---------------------------------------------------------------


def _order_rows(base: Capsule) -> tuple[Row, ...]:
    """Table flag CheckOrder, rule 7.5.order: the earlier step's error wins."""
    header = int(base["header_id"])
    wrong_header = dec(header + 1)
    bad_length = _crafted(base, plaintext(b"pw", _T, header, declared=3))
    min_ts = _crafted(base, plaintext(b"pw", I64_MIN, header))
    return (
        Row(
            tc="0-key-before-1-config",
            comment="31-byte key and an invalid config",
            args={"session_key": hx(bytes(31)), "config": _BAD_CONFIG},
            error="KeyLength",
            rules=("7.5.0", "7.5.1"),
        ),
        Row(
            tc="0-now-before-1-config",
            comment="now I64_MIN and an invalid config",
            args={"now": dec(I64_MIN), "config": _BAD_CONFIG},
            error="InvalidTimestamp",
            rules=("7.5.0", "7.5.1"),
        ),
        Row(
            tc="0-nonce-before-1-config",
            comment="11-byte nonce, an invalid config",
            args={"capsule": {**base, "client_nonce": hx(bytes(11))}, "config": _BAD_CONFIG},
            error="InvalidNonceLength",
            rules=("7.5.0", "7.5.1"),
        ),
        Row(
            tc="0-env-hash-before-2-version",
            comment="33-byte env hash and version 3",
            args={"env_hash": hx(bytes(33)), "capsule": {**base, "version": 3}},
            error="Codec",
            rules=("7.5.0", "7.5.2"),
        ),
        Row(
            tc="1-config-before-2-version",
            comment="an invalid config and version 3",
            args={"config": _BAD_CONFIG, "capsule": {**base, "version": 3}},
            error="Config",
            rules=("7.5.1", "7.5.2"),
        ),
        Row(
            tc="2-version-before-3-path",
            comment="version 3 and path_hint 0",
            args={"capsule": {**base, "version": 3, "network_context": network(5, 0)}},
            error="InvalidVersion",
            rules=("7.5.2", "7.5.3"),
        ),
        Row(
            tc="3-path-before-4-aead",
            comment="path_hint 0 with a wrong key",
            args={"capsule": {**base, "network_context": network(5, 0)}, **_WRONG_KEY},
            error="Codec",
            rules=("7.5.3", "7.5.4"),
        ),
        Row(
            tc="4-aead-before-7-header",
            comment="wrong key and clear header_id changed",
            args={**_WRONG_KEY, "capsule": {**base, "header_id": wrong_header}},
            error="InvalidAeadTag",
            rules=("7.5.4", "7.5.7"),
        ),
        Row(
            tc="4-aead-before-8-drift",
            comment="wrong key and now far in the future",
            args={**_WRONG_KEY, "now": dec(_T + 10_000)},
            error="InvalidAeadTag",
            rules=("7.5.4", "7.5.8"),
        ),
        Row(
            tc="5-length-before-7-header",
            comment="bad declared length and clear header_id changed",
            args={"capsule": {**bad_length, "header_id": wrong_header}},
            error="Codec",
            rules=("7.5.5", "7.5.7"),
        ),
        Row(
            tc="5-length-before-8-drift",
            comment="bad declared length and a stale now",
            args={"capsule": bad_length, "now": dec(_T + 10_000)},
            error="Codec",
            rules=("7.5.5", "7.5.8"),
        ),
        Row(
            tc="6-timestamp-before-7-header",
            comment="embedded I64_MIN and clear header_id changed",
            args={"capsule": {**min_ts, "header_id": wrong_header}},
            error="InvalidTimestamp",
            rules=("7.5.6", "7.5.7"),
        ),
        Row(
            tc="6-timestamp-before-8-drift",
            comment="embedded I64_MIN (also outside any drift window)",
            args={"capsule": min_ts},
            error="InvalidTimestamp",
            rules=("7.5.6", "7.5.8"),
        ),
        Row(
            tc="7-header-before-8-drift",
            comment="clear header_id changed, stale now",
            args={"capsule": {**base, "header_id": wrong_header}, "now": dec(_T + 10_000)},
            error="HeaderIdMismatch",
            rules=("7.5.7", "7.5.8"),
        ),
        Row(
            tc="1-config-before-8-drift",
            comment="invalid drift 604,801 and now 700,000 s after the timestamp",
            args={"config": _BAD_CONFIG, "now": dec(_T + 700_000)},
            error="Config",
            rules=("7.5.1", "7.5.8"),
        ),
    )


def _fixture_args(fixture: Fixture, keys: dict[str, Any]) -> dict[str, Any]:
    return {
        "config": {},
        "capsule": keys["capsule"],
        "env_hash": keys["env_hash"],
        "session_key": keys["session_key"],
        "now": dec(fixture.timestamp),
    }


def _ktv_cases(handle: Handler) -> list[CaseSpec]:
    comment = "the {name} fixture decrypts at now = its timestamp (spec §17)"
    rows = ktv_rows(handle, comment, _fixture_args)
    return Table(prefix="decrypt/ktv/", valid_rules=_OK).cases(rows)


def spec(handle: Handler) -> FileSpec:
    base = encrypt_with(handle)
    group_args = {
        "config": {},
        "capsule": base,
        "env_hash": BASE["env_hash"],
        "session_key": BASE["session_key"],
        "now": dec(_T),
    }
    order = Table(prefix="decrypt/check-order/", flags=("CheckOrder",), rules=("7.5.order",))
    groups = (
        ("valid decryptions", _valid_cases(handle)),
        ("step 8: the drift window, its boundaries and 64-bit extremes", _drift_cases(handle)),
        ("step 0: arguments outside their types", _argument_cases(base)),
        ("steps 1-7: the protocol checks", _check_cases(handle, base)),
        ("two rules broken at once: the earlier step wins", order.cases(_order_rows(base))),
    )
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
            *(GroupSpec(comment, group_args, cases, "capsule") for comment, cases in groups),
        ],
    )
