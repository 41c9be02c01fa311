"""encrypt_capsule vectors: spec §7.4, every step, its boundaries and its order."""

from __future__ import annotations

from typing import Any

from ._build import CaseSpec, FileSpec, GroupSpec, Handler, Row, Table
from ._ctx import BASE, ENV_HASH_LENGTH_ROWS, SESSION_KEY_LENGTH_ROWS, version_not_allowed_rows
from ._enc import I64_MAX, I64_MIN, U64_MAX, dec, det_bytes, det_int, hx, network
from ._fixtures import Fixture, ktv_rows

__all__ = ["spec"]

# what every successful encryption exercises
_OK = ("7.4.5", "2.seal", "7.2.aad", "7.3.plaintext")
_BAD_CONFIG = {"max_timestamp_drift": 604_801}
_BIG_PASSWORD = hx(det_bytes("enc/password", 65537))
_NONCE = bytes.fromhex(BASE["client_nonce"])
_V2 = ("ExperimentalV2", "V2NotCompiled")


def _password_rows() -> tuple[Row, ...]:
    sizes = (
        (0, "an empty password"),
        (1, "a 1-byte password"),
        (4096, "a 4,096-byte password"),
        (65536, "65,536 bytes: MAX_PAYLOAD_BYTES, the default limit"),
    )
    return (
        *(
            Row(
                tc=f"password/{n}",
                comment=comment,
                args={"password": hx(det_bytes("enc/password", n))},
                flags=("Boundary",) if n in (0, 65536) else (),
                rules=("7.4.4",),
            )
            for n, comment in sizes
        ),
        Row(
            tc="password/binary",
            comment="a password with NUL and non-UTF-8 bytes",
            args={"password": hx(bytes(range(256)))},
        ),
        Row(
            tc="password/config-max",
            comment="password of 100 bytes, max_payload_bytes 100",
            args={"config": {"max_payload_bytes": 100}, "password": hx(b"p" * 100)},
            flags=("Boundary",),
            rules=("7.4.4", "4.payload-range"),
        ),
        Row(
            tc="password/config-max-1",
            comment="password of 1 byte, max_payload_bytes 1",
            args={"config": {"max_payload_bytes": 1}, "password": hx(b"p")},
            flags=("Boundary",),
            rules=("7.4.4", "4.payload-range"),
        ),
    )


_TIMESTAMP_ROWS = tuple(
    Row(
        tc=f"timestamp/{value}",
        comment=comment,
        args={"timestamp": dec(value)},
        flags=("EdgeCaseValue",),
        rules=("7.3.timestamp-min",),
    )
    for value, comment in (
        (0, "timestamp 0 (the epoch)"),
        (-1, "timestamp -1"),
        (I64_MIN + 1, "timestamp I64_MIN + 1, the smallest valid"),
        (I64_MAX, "timestamp I64_MAX"),
    )
)

# every field at the edges of its type: table flags EdgeCaseValue, rule 7.1.field-types
_EDGE_ROWS = (
    Row(tc="header-id-0", comment="header_id 0", args={"header_id": "0"}),
    Row(tc="header-id-u64-max", comment="header_id U64_MAX", args={"header_id": dec(U64_MAX)}),
    Row(tc="profile-id-0", comment="server_profile_id 0", args={"server_profile_id": "0"}),
    Row(
        tc="profile-id-u64-max",
        comment="server_profile_id U64_MAX",
        args={"server_profile_id": dec(U64_MAX)},
    ),
    Row(tc="rtt-0", comment="rtt_bucket 0", args={"network_context": network(0, 120)}),
    Row(tc="rtt-255", comment="rtt_bucket 255", args={"network_context": network(255, 120)}),
    Row(tc="path-1", comment="path_hint 1", args={"network_context": network(5, 1)}),
    Row(tc="path-65535", comment="path_hint 65,535", args={"network_context": network(5, 65535)}),
    Row(tc="nonce-zero", comment="all-zero nonce", args={"client_nonce": hx(bytes(12))}),
    Row(tc="nonce-ff", comment="all-0xff nonce", args={"client_nonce": hx(b"\xff" * 12)}),
)

_VERSION_ROWS = (
    Row(
        tc="version/v2-allowed",
        comment="version 2 with allowed_versions [1, 2]",
        args={"version": 2, "config": {"allowed_versions": [1, 2]}},
        flags=_V2,
        rules=("7.4.3", "4.versions-range"),
    ),
    Row(
        tc="version/v2-only",
        comment="version 2 with allowed_versions [2]",
        args={"version": 2, "config": {"allowed_versions": [2]}},
        flags=_V2,
        rules=("7.4.3", "4.versions-range"),
    ),
    Row(
        tc="version/v1-of-two",
        comment="version 1 with allowed_versions [1, 2]",
        args={"config": {"allowed_versions": [1, 2]}},
        flags=("V2NotCompiled",),
        rules=("7.4.3", "4.versions-range"),
    ),
)


def _random_row(i: int) -> Row:
    label = f"enc/random/{i}"
    return Row(
        tc=f"random/{i}",
        comment="pseudorandom inputs",
        args={
            "header_id": dec(det_int(label + "/h", 64)),
            "client_nonce": hx(det_bytes(label + "/n", 12)),
            "server_profile_id": dec(det_int(label + "/id", 64)),
            "network_context": network(det_int(label + "/rtt", 8), 1 + det_int(label + "/p", 15)),
            "env_hash": hx(det_bytes(label + "/e", 32)),
            "session_key": hx(det_bytes(label + "/k", 32)),
            "password": hx(det_bytes(label + "/pw", det_int(label + "/len", 7))),
            "timestamp": dec(det_int(label + "/ts", 63) - 2**62),
        },
        flags=("Pseudorandom",),
    )


def _valid_cases() -> list[CaseSpec]:
    table = Table(prefix="encrypt/", valid_rules=_OK)
    return [
        *table.cases(
            (
                Row(tc="base", comment="the group's arguments"),
                Row(
                    tc="deterministic/first",
                    comment="the same inputs as deterministic/second",
                    rules=("7.4.deterministic",),
                ),
                Row(
                    tc="deterministic/second",
                    comment="the same inputs as deterministic/first: same capsule",
                    rules=("7.4.deterministic",),
                ),
                *_password_rows(),
                *_TIMESTAMP_ROWS,
            )
        ),
        *Table(
            prefix="encrypt/edge/",
            flags=("EdgeCaseValue",),
            rules=("7.1.field-types",),
            valid_rules=_OK,
        ).cases(_EDGE_ROWS),
        *table.cases(_VERSION_ROWS),
        *table.cases(_random_row(i) for i in range(10)),
    ]


# step 0: each argument outside its type (table rules 7.4.0, 7.1.field-types)
_ARGUMENT_ROWS: tuple[Row, ...] = (
    Row(
        tc="nonce-length/0",
        comment="an empty nonce",
        args={"client_nonce": ""},
        error="InvalidNonceLength",
    ),
    Row(
        tc="nonce-length/11",
        comment="an 11-byte nonce",
        args={"client_nonce": hx(_NONCE[:11])},
        error="InvalidNonceLength",
    ),
    Row(
        tc="nonce-length/13",
        comment="a 13-byte nonce",
        args={"client_nonce": hx(_NONCE + b"\x00")},
        error="InvalidNonceLength",
    ),
    *SESSION_KEY_LENGTH_ROWS,
    Row(
        tc="timestamp/i64-min",
        comment="timestamp I64_MIN is not a timestamp",
        args={"timestamp": dec(I64_MIN)},
        error="InvalidTimestamp",
        rules=("7.3.timestamp-min",),
    ),
    Row(
        tc="timestamp/i64-max-plus-1",
        comment="timestamp 2^63 is outside i64",
        args={"timestamp": dec(I64_MAX + 1)},
        error="InvalidTimestamp",
    ),
    Row(
        tc="timestamp/i64-min-minus-1",
        comment="timestamp -2^63 - 1 is outside i64",
        args={"timestamp": dec(I64_MIN - 1)},
        error="InvalidTimestamp",
    ),
    Row(
        tc="timestamp/u64-max",
        comment="timestamp U64_MAX is outside i64",
        args={"timestamp": dec(U64_MAX)},
        error="InvalidTimestamp",
    ),
    Row(
        tc="password/65537",
        comment="65,537 bytes: longer than MAX_PAYLOAD_BYTES",
        args={"password": _BIG_PASSWORD},
        error="Codec",
        flags=("Boundary",),
    ),
    *ENV_HASH_LENGTH_ROWS,
    Row(tc="env-hash-length/0", comment="an empty env hash", args={"env_hash": ""}, error="Codec"),
    Row(
        tc="version-256", comment="version 256 is outside u8", args={"version": 256}, error="Codec"
    ),
    Row(
        tc="header-id-u64-max-plus-1",
        comment="header_id 2^64 is outside u64",
        args={"header_id": dec(U64_MAX + 1)},
        error="Codec",
    ),
    Row(
        tc="header-id-negative",
        comment="header_id -1 is outside u64",
        args={"header_id": "-1"},
        error="Codec",
    ),
    Row(
        tc="profile-id-u64-max-plus-1",
        comment="server_profile_id 2^64 is outside u64",
        args={"server_profile_id": dec(U64_MAX + 1)},
        error="Codec",
    ),
    Row(
        tc="rtt-256",
        comment="rtt_bucket 256 is outside u8",
        args={"network_context": network(256, 120)},
        error="Codec",
    ),
    Row(
        tc="path-65536",
        comment="path_hint 65,536 is outside u16",
        args={"network_context": network(5, 65536)},
        error="Codec",
    ),
)

_INVALID_CONFIGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("drift-604801", {"max_timestamp_drift": 604_801}),
    ("drift-negative", {"max_timestamp_drift": -1}),
    ("versions-empty", {"allowed_versions": []}),
    ("versions-3", {"allowed_versions": [3]}),
    ("aead", {"aead_algorithm": "CHACHA20POLY1305"}),
    ("payload-0", {"max_payload_bytes": 0}),
    ("payload-65537", {"max_payload_bytes": 65537}),
    ("fingerprint-0", {"max_fingerprint_bytes": 0}),
    ("fingerprint-4097", {"max_fingerprint_bytes": 4097}),
)


def _check_rows() -> tuple[Row, ...]:
    path_hint_zero = ("7.4.1", "7.1.path-hint-nonzero")
    return (
        Row(
            tc="path-hint-zero",
            comment="path_hint 0 (step 1)",
            args={"network_context": network(5, 0)},
            error="Codec",
            flags=("PathHintZero",),
            rules=path_hint_zero,
        ),
        Row(
            tc="path-hint-zero/rtt-255",
            comment="path_hint 0 with rtt_bucket 255 (step 1)",
            args={"network_context": network(255, 0)},
            error="Codec",
            flags=("PathHintZero",),
            rules=path_hint_zero,
        ),
        *(
            Row(
                tc=f"config/{tc}",
                comment=f"invalid config {config} (step 2)",
                args={"config": config},
                error="Config",
                flags=("InvalidConfig",),
                rules=("7.4.2", "4.validate"),
            )
            for tc, config in _INVALID_CONFIGS
        ),
        *version_not_allowed_rows("7.4.3", lambda version: {"version": version}),
        *(
            Row(
                tc=f"password/config-max-{limit}-plus-1",
                comment=f"password of {length} bytes, max_payload_bytes {limit} (step 4)",
                args={
                    "config": {"max_payload_bytes": limit},
                    "password": hx(det_bytes("enc/password", length)),
                },
                error="Codec",
                flags=("Boundary",),
                rules=("7.4.4", "4.payload-range"),
            )
            for limit, length in ((100, 101), (1, 2), (65535, 65536))
        ),
    )


# two rules broken at once: the earlier step wins (table flag CheckOrder, rule 7.4.order)
_ORDER_ROWS: tuple[Row, ...] = (
    Row(
        tc="0-timestamp-before-1-path",
        comment="timestamp I64_MIN and path_hint 0: step 0 wins",
        args={"timestamp": dec(I64_MIN), "network_context": network(5, 0)},
        error="InvalidTimestamp",
        rules=("7.4.0", "7.4.1"),
    ),
    Row(
        tc="0-key-before-1-path",
        comment="31-byte key and path_hint 0: step 0 wins",
        args={"session_key": hx(bytes(31)), "network_context": network(5, 0)},
        error="KeyLength",
        rules=("7.4.0", "7.4.1"),
    ),
    Row(
        tc="0-nonce-before-2-config",
        comment="11-byte nonce and an invalid config: step 0 wins",
        args={"client_nonce": hx(bytes(11)), "config": _BAD_CONFIG},
        error="InvalidNonceLength",
        rules=("7.4.0", "7.4.2"),
    ),
    Row(
        tc="0-key-before-2-config",
        comment="33-byte key and an invalid config: step 0 wins",
        args={"session_key": hx(bytes(33)), "config": _BAD_CONFIG},
        error="KeyLength",
        rules=("7.4.0", "7.4.2"),
    ),
    Row(
        tc="0-password-before-3-version",
        comment="65,537-byte password and version 3: step 0 wins",
        args={"password": _BIG_PASSWORD, "version": 3},
        error="Codec",
        rules=("7.4.0", "7.4.3"),
    ),
    Row(
        tc="0-env-hash-before-3-version",
        comment="33-byte env hash and version 3: step 0 wins",
        args={"env_hash": hx(bytes(33)), "version": 3},
        error="Codec",
        rules=("7.4.0", "7.4.3"),
    ),
    Row(
        tc="1-path-before-2-config",
        comment="path_hint 0 and an invalid config: step 1 wins",
        args={"network_context": network(5, 0), "config": _BAD_CONFIG},
        error="Codec",
        rules=("7.4.1", "7.4.2"),
    ),
    Row(
        tc="1-path-before-3-version",
        comment="path_hint 0 and version 3: step 1 wins",
        args={"network_context": network(5, 0), "version": 3},
        error="Codec",
        rules=("7.4.1", "7.4.3"),
    ),
    Row(
        tc="2-config-before-3-version",
        comment="invalid config and version 3: step 2 wins",
        args={"config": {"allowed_versions": [], "max_timestamp_drift": 300}, "version": 3},
        error="Config",
        rules=("7.4.2", "7.4.3"),
    ),
    Row(
        tc="2-config-before-4-password",
        comment="invalid drift, password over max_payload_bytes 10: step 2 wins",
        args={
            "config": {"max_timestamp_drift": 604_801, "max_payload_bytes": 10},
            "password": hx(b"p" * 11),
        },
        error="Config",
        rules=("7.4.2", "7.4.4"),
    ),
    Row(
        tc="3-version-before-4-password",
        comment="version 2 not allowed, password over max_payload_bytes 10: step 3 wins",
        args={"version": 2, "config": {"max_payload_bytes": 10}, "password": hx(b"p" * 11)},
        error="InvalidVersion",
        rules=("7.4.3", "7.4.4"),
    ),
)


def _fixture_args(fixture: Fixture, keys: dict[str, Any]) -> dict[str, Any]:
    return {
        "config": {},
        "version": fixture.version,
        "header_id": dec(fixture.header_id),
        "client_nonce": hx(fixture.client_nonce),
        "server_profile_id": dec(fixture.server_profile_id),
        "network_context": network(fixture.rtt_bucket, fixture.path_hint),
        "env_hash": keys["env_hash"],
        "session_key": keys["session_key"],
        "password": hx(fixture.password),
        "timestamp": dec(fixture.timestamp),
    }


def _ktv_cases(handle: Handler) -> list[CaseSpec]:
    rows = ktv_rows(handle, "the {name} fixture inputs (spec §17)", _fixture_args)
    return Table(prefix="encrypt/ktv/", valid_rules=_OK).cases(rows)


def spec(handle: Handler) -> FileSpec:
    arguments = Table(
        prefix="encrypt/argument/", flags=("ArgumentRange",), rules=("7.4.0", "7.1.field-types")
    )
    order = Table(prefix="encrypt/check-order/", flags=("CheckOrder",), rules=("7.4.order",))
    return FileSpec(
        name="encrypt_capsule",
        operation="encrypt_capsule",
        profile="IHP-Core",
        header=(
            "Capsule encryption (spec §7.4): checks 0-4 in order, then SEAL.",
            "Cases replace some of their group's arguments.",
            "Generated by `ihp-vectors generate`; do not edit.",
        ),
        groups=[
            GroupSpec("the §17 fixtures", {}, _ktv_cases(handle), "spec-17"),
            GroupSpec("valid encryptions around one base context", BASE, _valid_cases(), "capsule"),
            GroupSpec(
                "step 0: arguments outside their types",
                BASE,
                arguments.cases(_ARGUMENT_ROWS),
                "capsule",
            ),
            GroupSpec(
                "steps 1-4: the protocol checks",
                BASE,
                Table(prefix="encrypt/").cases(_check_rows()),
                "capsule",
            ),
            GroupSpec(
                "two rules broken at once: the earlier step wins",
                BASE,
                order.cases(_ORDER_ROWS),
                "capsule",
            ),
        ],
    )
