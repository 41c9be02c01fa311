"""encrypt_capsule vectors: spec §7.4, every step, its boundaries and its order."""

from __future__ import annotations

from typing import Any

from ._build import CaseSpec, FileSpec, GroupSpec, Handler
from ._ctx import BASE, ENV_HASH_LENGTH_ROWS, SESSION_KEY_LENGTH_ROWS, ArgumentRow
from ._enc import I64_MAX, I64_MIN, U64_MAX, dec, det_bytes, det_int, hx, network
from ._fixtures import GOLDEN_HEX, GOLDEN_JSON, fixture_keys

__all__ = ["spec"]

_OK = ("7.4.5", "2.seal", "7.2.aad", "7.3.plaintext")
_BAD_CONFIG = {"max_timestamp_drift": 604_801}
_ERROR_RULE = {
    "Codec": "8.Codec",
    "Config": "8.Config",
    "InvalidVersion": "8.InvalidVersion",
    "KeyLength": "8.KeyLength",
    "InvalidNonceLength": "8.InvalidNonceLength",
    "InvalidTimestamp": "8.InvalidTimestamp",
}


def _case(
    tc: str,
    comment: str,
    flags: tuple[str, ...],
    rules: tuple[str, ...],
    error: str | None = None,
    **over: Any,
) -> CaseSpec:
    extra = _OK if error is None else (_ERROR_RULE[error],)
    return CaseSpec(f"encrypt/{tc}", comment, flags, (*rules, *extra), over, error)


def _valid_cases() -> list[CaseSpec]:
    cases = [
        _case("base", "the group's arguments", (), ()),
        _case(
            "deterministic/first",
            "the same inputs as deterministic/second",
            (),
            ("7.4.deterministic",),
        ),
        _case(
            "deterministic/second",
            "the same inputs as deterministic/first: same capsule",
            (),
            ("7.4.deterministic",),
        ),
    ]
    for n, comment in (
        (0, "an empty password"),
        (1, "a 1-byte password"),
        (4096, "a 4,096-byte password"),
        (65536, "65,536 bytes: MAX_PAYLOAD_BYTES, the default limit"),
    ):
        cases.append(
            _case(
                f"password/{n}",
                comment,
                ("Boundary",) if n in (0, 65536) else (),
                ("7.4.4",),
                password=hx(det_bytes("enc/password", n)),
            )
        )
    cases.append(
        _case(
            "password/binary",
            "a password with NUL and non-UTF-8 bytes",
            (),
            (),
            password=hx(bytes(range(256))),
        )
    )
    cases.append(
        _case(
            "password/config-max",
            "password of 100 bytes, max_payload_bytes 100",
            ("Boundary",),
            ("7.4.4", "4.payload-range"),
            config={"max_payload_bytes": 100},
            password=hx(b"p" * 100),
        )
    )
    cases.append(
        _case(
            "password/config-max-1",
            "password of 1 byte, max_payload_bytes 1",
            ("Boundary",),
            ("7.4.4", "4.payload-range"),
            config={"max_payload_bytes": 1},
            password=hx(b"p"),
        )
    )
    for value, comment in (
        (0, "timestamp 0 (the epoch)"),
        (-1, "timestamp -1"),
        (I64_MIN + 1, "timestamp I64_MIN + 1, the smallest valid"),
        (I64_MAX, "timestamp I64_MAX"),
    ):
        cases.append(
            _case(
                f"timestamp/{value}",
                comment,
                ("EdgeCaseValue",),
                ("7.3.timestamp-min",),
                timestamp=dec(value),
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
        ("nonce-zero", {"client_nonce": hx(bytes(12))}, "all-zero nonce"),
        ("nonce-ff", {"client_nonce": hx(b"\xff" * 12)}, "all-0xff nonce"),
    )
    for tc, over, comment in edges:
        cases.append(_case(f"edge/{tc}", comment, ("EdgeCaseValue",), ("7.1.field-types",), **over))
    v2 = ("ExperimentalV2", "V2NotCompiled")
    cases += [
        _case(
            "version/v2-allowed",
            "version 2 with allowed_versions [1, 2]",
            v2,
            ("7.4.3", "4.versions-range"),
            version=2,
            config={"allowed_versions": [1, 2]},
        ),
        _case(
            "version/v2-only",
            "version 2 with allowed_versions [2]",
            v2,
            ("7.4.3", "4.versions-range"),
            version=2,
            config={"allowed_versions": [2]},
        ),
        _case(
            "version/v1-of-two",
            "version 1 with allowed_versions [1, 2]",
            ("V2NotCompiled",),
            ("7.4.3", "4.versions-range"),
            config={"allowed_versions": [1, 2]},
        ),
    ]
    for i in range(10):
        label = f"enc/random/{i}"
        cases.append(
            _case(
                f"random/{i}",
                "pseudorandom inputs",
                ("Pseudorandom",),
                (),
                header_id=dec(det_int(label + "/h", 64)),
                client_nonce=hx(det_bytes(label + "/n", 12)),
                server_profile_id=dec(det_int(label + "/id", 64)),
                network_context=network(det_int(label + "/rtt", 8), 1 + det_int(label + "/p", 15)),
                env_hash=hx(det_bytes(label + "/e", 32)),
                session_key=hx(det_bytes(label + "/k", 32)),
                password=hx(det_bytes(label + "/pw", det_int(label + "/len", 7))),
                timestamp=dec(det_int(label + "/ts", 63) - 2**62),
            )
        )
    return cases


def _argument_cases() -> list[CaseSpec]:
    a = ("ArgumentRange",)
    s0 = ("7.4.0",)
    nonce = bytes.fromhex(BASE["client_nonce"])
    rows: tuple[ArgumentRow, ...] = (
        ("nonce-length/0", "InvalidNonceLength", "an empty nonce", {"client_nonce": ""}, ()),
        (
            "nonce-length/11",
            "InvalidNonceLength",
            "an 11-byte nonce",
            {"client_nonce": hx(nonce[:11])},
            (),
        ),
        (
            "nonce-length/13",
            "InvalidNonceLength",
            "a 13-byte nonce",
            {"client_nonce": hx(nonce + b"\x00")},
            (),
        ),
        *SESSION_KEY_LENGTH_ROWS,
        (
            "timestamp/i64-min",
            "InvalidTimestamp",
            "timestamp I64_MIN is not a timestamp",
            {"timestamp": dec(I64_MIN)},
            ("7.3.timestamp-min",),
        ),
        (
            "timestamp/i64-max-plus-1",
            "InvalidTimestamp",
            "timestamp 2^63 is outside i64",
            {"timestamp": dec(I64_MAX + 1)},
            (),
        ),
        (
            "timestamp/i64-min-minus-1",
            "InvalidTimestamp",
            "timestamp -2^63 - 1 is outside i64",
            {"timestamp": dec(I64_MIN - 1)},
            (),
        ),
        (
            "timestamp/u64-max",
            "InvalidTimestamp",
            "timestamp U64_MAX is outside i64",
            {"timestamp": dec(U64_MAX)},
            (),
        ),
        (
            "password/65537",
            "Codec",
            "65,537 bytes: longer than MAX_PAYLOAD_BYTES",
            {"password": hx(det_bytes("enc/password", 65537))},
            (),
        ),
        *ENV_HASH_LENGTH_ROWS,
        ("env-hash-length/0", "Codec", "an empty env hash", {"env_hash": ""}, ()),
        ("version-256", "Codec", "version 256 is outside u8", {"version": 256}, ()),
        (
            "header-id-u64-max-plus-1",
            "Codec",
            "header_id 2^64 is outside u64",
            {"header_id": dec(U64_MAX + 1)},
            (),
        ),
        ("header-id-negative", "Codec", "header_id -1 is outside u64", {"header_id": "-1"}, ()),
        (
            "profile-id-u64-max-plus-1",
            "Codec",
            "server_profile_id 2^64 is outside u64",
            {"server_profile_id": dec(U64_MAX + 1)},
            (),
        ),
        (
            "rtt-256",
            "Codec",
            "rtt_bucket 256 is outside u8",
            {"network_context": network(256, 120)},
            (),
        ),
        (
            "path-65536",
            "Codec",
            "path_hint 65,536 is outside u16",
            {"network_context": network(5, 65536)},
            (),
        ),
    )
    return [
        _case(
            f"argument/{tc}",
            comment,
            ("ArgumentRange", "Boundary") if tc.startswith("password") else a,
            (*s0, "7.1.field-types", *rules),
            error,
            **over,
        )
        for tc, error, comment, over, rules in rows
    ]


def _check_cases() -> list[CaseSpec]:
    cfg = ("InvalidConfig",)
    rows: list[CaseSpec] = [
        _case(
            "path-hint-zero",
            "path_hint 0 (step 1)",
            ("PathHintZero",),
            ("7.4.1", "7.1.path-hint-nonzero"),
            "Codec",
            network_context=network(5, 0),
        ),
        _case(
            "path-hint-zero/rtt-255",
            "path_hint 0 with rtt_bucket 255 (step 1)",
            ("PathHintZero",),
            ("7.4.1", "7.1.path-hint-nonzero"),
            "Codec",
            network_context=network(255, 0),
        ),
    ]
    for tc, config in (
        ("drift-604801", {"max_timestamp_drift": 604_801}),
        ("drift-negative", {"max_timestamp_drift": -1}),
        ("versions-empty", {"allowed_versions": []}),
        ("versions-3", {"allowed_versions": [3]}),
        ("aead", {"aead_algorithm": "CHACHA20POLY1305"}),
        ("payload-0", {"max_payload_bytes": 0}),
        ("payload-65537", {"max_payload_bytes": 65537}),
        ("fingerprint-0", {"max_fingerprint_bytes": 0}),
        ("fingerprint-4097", {"max_fingerprint_bytes": 4097}),
    ):
        rows.append(
            _case(
                f"config/{tc}",
                f"invalid config {config} (step 2)",
                cfg,
                ("7.4.2", "4.validate"),
                "Config",
                config=config,
            )
        )
    vna = ("VersionNotAllowed",)
    for version, config, comment in (
        (2, {}, "version 2, default allow-list [1]"),
        (0, {}, "version 0, unknown"),
        (3, {}, "version 3, unknown"),
        (255, {}, "version 255, unknown"),
        (1, {"allowed_versions": [2]}, "version 1, allowed [2]"),
        (3, {"allowed_versions": [1, 2]}, "version 3, allowed [1, 2]"),
    ):
        allowed = "-".join(str(v) for v in config.get("allowed_versions", [1]))
        tc = f"version/{version}-not-in-{allowed}"
        rows.append(
            _case(
                tc,
                f"{comment} (step 3)",
                vna,
                ("7.4.3", "4.versions-range"),
                "InvalidVersion",
                version=version,
                config=config,
            )
        )
    for limit, length in ((100, 101), (1, 2), (65535, 65536)):
        rows.append(
            _case(
                f"password/config-max-{limit}-plus-1",
                f"password of {length} bytes, max_payload_bytes {limit} (step 4)",
                ("Boundary",),
                ("7.4.4", "4.payload-range"),
                "Codec",
                config={"max_payload_bytes": limit},
                password=hx(det_bytes("enc/password", length)),
            )
        )
    return rows


def _order_cases() -> list[CaseSpec]:
    order = ("CheckOrder",)
    big = hx(det_bytes("enc/password", 65537))
    rows: tuple[tuple[str, str, str, tuple[str, ...], dict[str, Any]], ...] = (
        (
            "0-timestamp-before-1-path",
            "InvalidTimestamp",
            "timestamp I64_MIN and path_hint 0: step 0 wins",
            ("7.4.0", "7.4.1"),
            {"timestamp": dec(I64_MIN), "network_context": network(5, 0)},
        ),
        (
            "0-key-before-1-path",
            "KeyLength",
            "31-byte key and path_hint 0: step 0 wins",
            ("7.4.0", "7.4.1"),
            {"session_key": hx(bytes(31)), "network_context": network(5, 0)},
        ),
        (
            "0-nonce-before-2-config",
            "InvalidNonceLength",
            "11-byte nonce and an invalid config: step 0 wins",
            ("7.4.0", "7.4.2"),
            {"client_nonce": hx(bytes(11)), "config": _BAD_CONFIG},
        ),
        (
            "0-key-before-2-config",
            "KeyLength",
            "33-byte key and an invalid config: step 0 wins",
            ("7.4.0", "7.4.2"),
            {"session_key": hx(bytes(33)), "config": _BAD_CONFIG},
        ),
        (
            "0-password-before-3-version",
            "Codec",
            "65,537-byte password and version 3: step 0 wins",
            ("7.4.0", "7.4.3"),
            {"password": big, "version": 3},
        ),
        (
            "0-env-hash-before-3-version",
            "Codec",
            "33-byte env hash and version 3: step 0 wins",
            ("7.4.0", "7.4.3"),
            {"env_hash": hx(bytes(33)), "version": 3},
        ),
        (
            "1-path-before-2-config",
            "Codec",
            "path_hint 0 and an invalid config: step 1 wins",
            ("7.4.1", "7.4.2"),
            {"network_context": network(5, 0), "config": _BAD_CONFIG},
        ),
        (
            "1-path-before-3-version",
            "Codec",
            "path_hint 0 and version 3: step 1 wins",
            ("7.4.1", "7.4.3"),
            {"network_context": network(5, 0), "version": 3},
        ),
        (
            "2-config-before-3-version",
            "Config",
            "invalid config and version 3: step 2 wins",
            ("7.4.2", "7.4.3"),
            {"config": {"allowed_versions": [], "max_timestamp_drift": 300}, "version": 3},
        ),
        (
            "2-config-before-4-password",
            "Config",
            "invalid drift, password over max_payload_bytes 10: step 2 wins",
            ("7.4.2", "7.4.4"),
            {
                "config": {"max_timestamp_drift": 604_801, "max_payload_bytes": 10},
                "password": hx(b"p" * 11),
            },
        ),
        (
            "3-version-before-4-password",
            "InvalidVersion",
            "version 2 not allowed, password over max_payload_bytes 10: step 3 wins",
            ("7.4.3", "7.4.4"),
            {"version": 2, "config": {"max_payload_bytes": 10}, "password": hx(b"p" * 11)},
        ),
    )
    return [
        _case(f"check-order/{tc}", comment, order, (*rules, "7.4.order"), error, **over)
        for tc, error, comment, rules, over in rows
    ]


def _ktv_cases(handle: Handler) -> list[CaseSpec]:
    cases = []
    for fixture, rule in ((GOLDEN_JSON, "17.golden-json"), (GOLDEN_HEX, "17.golden-hex")):
        keys = fixture_keys(handle, fixture)
        args = {
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
        cases.append(
            CaseSpec(
                f"encrypt/ktv/{fixture.name}",
                f"the {fixture.name} fixture inputs (spec §17)",
                ("Ktv",),
                (rule, *_OK),
                args,
            )
        )
    return cases


def spec(handle: Handler) -> FileSpec:
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
            GroupSpec("step 0: arguments outside their types", BASE, _argument_cases(), "capsule"),
            GroupSpec("steps 1-4: the protocol checks", BASE, _check_cases(), "capsule"),
            GroupSpec(
                "two rules broken at once: the earlier step wins", BASE, _order_cases(), "capsule"
            ),
        ],
    )
