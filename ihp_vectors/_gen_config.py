"""config_validate vectors: every field of spec §4 at and past its range."""

from __future__ import annotations

from typing import Any

from ._build import CaseSpec, FileSpec, GroupSpec, Handler

__all__ = ["spec"]

_MAX_DRIFT = 604_800  # spec §3 MAX_ALLOWED_DRIFT_SECONDS


def _valid(
    tc: str,
    comment: str,
    config: dict[str, Any],
    rules: tuple[str, ...],
    flags: tuple[str, ...] = ("Boundary",),
) -> CaseSpec:
    return CaseSpec(f"config/{tc}", comment, flags, rules, {"config": config})


def _invalid(
    tc: str,
    comment: str,
    config: dict[str, Any],
    rules: tuple[str, ...],
    flags: tuple[str, ...] = ("InvalidConfig", "Boundary"),
) -> CaseSpec:
    return CaseSpec(
        f"config/{tc}",
        comment,
        flags,
        (*rules, "4.validate", "8.Config"),
        {"config": config},
        error="Config",
    )


def _cases() -> list[CaseSpec]:
    d, v, a = ("4.drift-range",), ("4.versions-range",), ("4.aead",)
    p, f = ("4.payload-range",), ("4.fingerprint-range",)
    return [
        _valid(
            "default", "every key absent: the spec §4 defaults", {}, (*d, *v, *a, *p, *f), ("Ktv",)
        ),
        _valid(
            "explicit-defaults",
            "every key at its default value",
            {
                "max_timestamp_drift": 300,
                "allowed_versions": [1],
                "aead_algorithm": "AES256GCM",
                "max_payload_bytes": 65536,
                "max_fingerprint_bytes": 4096,
            },
            (*d, *v, *a, *p, *f),
            ("Ktv",),
        ),
        _valid("drift/zero", "drift 0 is the lower bound", {"max_timestamp_drift": 0}, d),
        _valid(
            "drift/max", "drift 604,800 is the upper bound", {"max_timestamp_drift": _MAX_DRIFT}, d
        ),
        _invalid("drift/max-plus-1", "drift 604,801", {"max_timestamp_drift": _MAX_DRIFT + 1}, d),
        _invalid("drift/negative", "drift -1 (validate: Config)", {"max_timestamp_drift": -1}, d),
        _invalid(
            "drift/i64-max",
            "drift I64_MAX",
            {"max_timestamp_drift": 2**63 - 1},
            d,
            ("InvalidConfig", "EdgeCaseValue"),
        ),
        _valid("versions/v1", "allowed [1]", {"allowed_versions": [1]}, v),
        _valid(
            "versions/v2-only",
            "allowed [2]: experimental v2 only",
            {"allowed_versions": [2]},
            v,
            ("ExperimentalV2", "V2NotCompiled"),
        ),
        _valid(
            "versions/v1-v2",
            "allowed [1, 2]",
            {"allowed_versions": [1, 2]},
            v,
            ("ExperimentalV2", "V2NotCompiled"),
        ),
        _valid(
            "versions/v2-v1",
            "allowed [2, 1]: a set, order is irrelevant",
            {"allowed_versions": [2, 1]},
            v,
            ("ExperimentalV2", "V2NotCompiled"),
        ),
        _invalid("versions/empty", "allowed []: must be non-empty", {"allowed_versions": []}, v),
        _invalid("versions/zero", "allowed [0]", {"allowed_versions": [0]}, v),
        _invalid("versions/three", "allowed [3]", {"allowed_versions": [3]}, v),
        _invalid(
            "versions/v1-and-three",
            "allowed [1, 3]: one unknown member",
            {"allowed_versions": [1, 3]},
            v,
        ),
        _invalid("versions/255", "allowed [255]", {"allowed_versions": [255]}, v),
        _invalid(
            "aead/chacha",
            "aead CHACHA20POLY1305",
            {"aead_algorithm": "CHACHA20POLY1305"},
            a,
            ("InvalidConfig",),
        ),
        _invalid(
            "aead/aes128", "aead AES128GCM", {"aead_algorithm": "AES128GCM"}, a, ("InvalidConfig",)
        ),
        _invalid("aead/empty", "aead empty string", {"aead_algorithm": ""}, a, ("InvalidConfig",)),
        _valid(
            "payload/one", "max_payload_bytes 1 is the lower bound", {"max_payload_bytes": 1}, p
        ),
        _valid("payload/max", "max_payload_bytes 65,536", {"max_payload_bytes": 65536}, p),
        _invalid("payload/zero", "max_payload_bytes 0", {"max_payload_bytes": 0}, p),
        _invalid("payload/max-plus-1", "max_payload_bytes 65,537", {"max_payload_bytes": 65537}, p),
        _invalid("payload/negative", "max_payload_bytes -1", {"max_payload_bytes": -1}, p),
        _valid("fingerprint/one", "max_fingerprint_bytes 1", {"max_fingerprint_bytes": 1}, f),
        _valid(
            "fingerprint/max", "max_fingerprint_bytes 4,096", {"max_fingerprint_bytes": 4096}, f
        ),
        _invalid("fingerprint/zero", "max_fingerprint_bytes 0", {"max_fingerprint_bytes": 0}, f),
        _invalid(
            "fingerprint/max-plus-1",
            "max_fingerprint_bytes 4,097",
            {"max_fingerprint_bytes": 4097},
            f,
        ),
        _invalid(
            "multiple/all-fields",
            "every field out of range at once",
            {
                "max_timestamp_drift": _MAX_DRIFT + 1,
                "allowed_versions": [],
                "aead_algorithm": "NONE",
                "max_payload_bytes": 0,
                "max_fingerprint_bytes": 0,
            },
            (*d, *v, *a, *p, *f),
            ("InvalidConfig", "CheckOrder"),
        ),
        _invalid(
            "multiple/drift-and-payload",
            "drift and payload limit out of range",
            {"max_timestamp_drift": -5, "max_payload_bytes": 70000},
            (*d, *p),
            ("InvalidConfig", "CheckOrder"),
        ),
    ]


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
            GroupSpec("validate(config): {} on success, Config otherwise", {}, _cases(), "config")
        ],
    )
