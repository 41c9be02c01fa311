"""config_validate vectors: every field of spec §4 at and past its range."""

from __future__ import annotations

from ._build import FileSpec, GroupSpec, Handler, Row, Table

__all__ = ["spec"]

_MAX_DRIFT = 604_800  # spec §3 MAX_ALLOWED_DRIFT_SECONDS


_DRIFT, _VERSIONS, _AEAD = ("4.drift-range",), ("4.versions-range",), ("4.aead",)
_PAYLOAD, _FINGERPRINT = ("4.payload-range",), ("4.fingerprint-range",)
_EVERY_FIELD = (*_DRIFT, *_VERSIONS, *_AEAD, *_PAYLOAD, *_FINGERPRINT)
_V2 = ("ExperimentalV2", "V2NotCompiled")
# an invalid config: validate() fails with Config (spec §4)
_INVALID = ("InvalidConfig", "Boundary")
_VALIDATE = "4.validate"

_ROWS: tuple[Row, ...] = (
    Row(
        tc="default",
        comment="every key absent: the spec §4 defaults",
        args={"config": {}},
        flags=("Ktv",),
        rules=_EVERY_FIELD,
    ),
    Row(
        tc="explicit-defaults",
        comment="every key at its default value",
        args={
            "config": {
                "max_timestamp_drift": 300,
                "allowed_versions": [1],
                "aead_algorithm": "AES256GCM",
                "max_payload_bytes": 65536,
                "max_fingerprint_bytes": 4096,
            }
        },
        flags=("Ktv",),
        rules=_EVERY_FIELD,
    ),
    Row(
        tc="drift/zero",
        comment="drift 0 is the lower bound",
        args={"config": {"max_timestamp_drift": 0}},
        flags=("Boundary",),
        rules=_DRIFT,
    ),
    Row(
        tc="drift/max",
        comment="drift 604,800 is the upper bound",
        args={"config": {"max_timestamp_drift": _MAX_DRIFT}},
        flags=("Boundary",),
        rules=_DRIFT,
    ),
    Row(
        tc="drift/max-plus-1",
        comment="drift 604,801",
        args={"config": {"max_timestamp_drift": _MAX_DRIFT + 1}},
        error="Config",
        flags=_INVALID,
        rules=(*_DRIFT, _VALIDATE),
    ),
    Row(
        tc="drift/negative",
        comment="drift -1 (validate: Config)",
        args={"config": {"max_timestamp_drift": -1}},
        error="Config",
        flags=_INVALID,
        rules=(*_DRIFT, _VALIDATE),
    ),
    Row(
        tc="drift/i64-max",
        comment="drift I64_MAX",
        args={"config": {"max_timestamp_drift": 2**63 - 1}},
        error="Config",
        flags=("InvalidConfig", "EdgeCaseValue"),
        rules=(*_DRIFT, _VALIDATE),
    ),
    Row(
        tc="versions/v1",
        comment="allowed [1]",
        args={"config": {"allowed_versions": [1]}},
        flags=("Boundary",),
        rules=_VERSIONS,
    ),
    Row(
        tc="versions/v2-only",
        comment="allowed [2]: experimental v2 only",
        args={"config": {"allowed_versions": [2]}},
        flags=_V2,
        rules=_VERSIONS,
    ),
    Row(
        tc="versions/v1-v2",
        comment="allowed [1, 2]",
        args={"config": {"allowed_versions": [1, 2]}},
        flags=_V2,
        rules=_VERSIONS,
    ),
    Row(
        tc="versions/v2-v1",
        comment="allowed [2, 1]: a set, order is irrelevant",
        args={"config": {"allowed_versions": [2, 1]}},
        flags=_V2,
        rules=_VERSIONS,
    ),
    *(
        Row(
            tc=f"versions/{tc}",
            comment=comment,
            args={"config": {"allowed_versions": allowed}},
            error="Config",
            flags=_INVALID,
            rules=(*_VERSIONS, _VALIDATE),
        )
        for tc, allowed, comment in (
            ("empty", [], "allowed []: must be non-empty"),
            ("zero", [0], "allowed [0]"),
            ("three", [3], "allowed [3]"),
            ("v1-and-three", [1, 3], "allowed [1, 3]: one unknown member"),
            ("255", [255], "allowed [255]"),
        )
    ),
    *(
        Row(
            tc=f"aead/{tc}",
            comment=comment,
            args={"config": {"aead_algorithm": algorithm}},
            error="Config",
            flags=("InvalidConfig",),
            rules=(*_AEAD, _VALIDATE),
        )
        for tc, algorithm, comment in (
            ("chacha", "CHACHA20POLY1305", "aead CHACHA20POLY1305"),
            ("aes128", "AES128GCM", "aead AES128GCM"),
            ("empty", "", "aead empty string"),
        )
    ),
    Row(
        tc="payload/one",
        comment="max_payload_bytes 1 is the lower bound",
        args={"config": {"max_payload_bytes": 1}},
        flags=("Boundary",),
        rules=_PAYLOAD,
    ),
    Row(
        tc="payload/max",
        comment="max_payload_bytes 65,536",
        args={"config": {"max_payload_bytes": 65536}},
        flags=("Boundary",),
        rules=_PAYLOAD,
    ),
    *(
        Row(
            tc=f"payload/{tc}",
            comment=f"max_payload_bytes {comment}",
            args={"config": {"max_payload_bytes": limit}},
            error="Config",
            flags=_INVALID,
            rules=(*_PAYLOAD, _VALIDATE),
        )
        for tc, limit, comment in (
            ("zero", 0, "0"),
            ("max-plus-1", 65537, "65,537"),
            ("negative", -1, "-1"),
        )
    ),
    Row(
        tc="fingerprint/one",
        comment="max_fingerprint_bytes 1",
        args={"config": {"max_fingerprint_bytes": 1}},
        flags=("Boundary",),
        rules=_FINGERPRINT,
    ),
    Row(
        tc="fingerprint/max",
        comment="max_fingerprint_bytes 4,096",
        args={"config": {"max_fingerprint_bytes": 4096}},
        flags=("Boundary",),
        rules=_FINGERPRINT,
    ),
    Row(
        tc="fingerprint/zero",
        comment="max_fingerprint_bytes 0",
        args={"config": {"max_fingerprint_bytes": 0}},
        error="Config",
        flags=_INVALID,
        rules=(*_FINGERPRINT, _VALIDATE),
    ),
    Row(
        tc="fingerprint/max-plus-1",
        comment="max_fingerprint_bytes 4,097",
        args={"config": {"max_fingerprint_bytes": 4097}},
        error="Config",
        flags=_INVALID,
        rules=(*_FINGERPRINT, _VALIDATE),
    ),
    Row(
        tc="multiple/all-fields",
        comment="every field out of range at once",
        args={
            "config": {
                "max_timestamp_drift": _MAX_DRIFT + 1,
                "allowed_versions": [],
                "aead_algorithm": "NONE",
                "max_payload_bytes": 0,
                "max_fingerprint_bytes": 0,
            }
        },
        error="Config",
        flags=("InvalidConfig", "CheckOrder"),
        rules=(*_EVERY_FIELD, _VALIDATE),
    ),
    Row(
        tc="multiple/drift-and-payload",
        comment="drift and payload limit out of range",
        args={"config": {"max_timestamp_drift": -5, "max_payload_bytes": 70000}},
        error="Config",
        flags=("InvalidConfig", "CheckOrder"),
        rules=(*_DRIFT, *_PAYLOAD, _VALIDATE),
    ),
)


def spec(handle: Handler) -> FileSpec:
    return FileSpec(
        name="config_validate",
        operation="config_validate",
        profile="IHP-Core",
        header=(
            "Configuration validation (spec §4): each field at, inside and past its range.",
            "Generated by `ihp-vectors generate`; do not edit.",
        ),
        groups=[
            GroupSpec(
                "validate(config): {} on success, Config otherwise",
                {},
                Table(prefix="config/").cases(_ROWS),
                "config",
            )
        ],
    )
