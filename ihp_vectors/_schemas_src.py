"""The JSON Schemas of `schemas/` (2020-12), rendered by `ihp-vectors generate`.

Written as data here so that the flag and rule enums can never drift from the notes and
rules tables; `ihp-vectors check` proves the committed schemas are the rendered ones.
"""

from __future__ import annotations

from typing import Any

from ._build import SCHEMA_VERSION
from ._notes import NOTES
from ._rules import RULES

__all__ = ["SCHEMA_BASE", "render_schemas"]

SCHEMA_BASE = "https://ihp-conformance.invalid/schemas/"
_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_ERROR_CODES = [
    "InvalidAeadTag",
    "StaleTimestamp",
    "HeaderIdMismatch",
    "InvalidVersion",
    "KeyLength",
    "Config",
    "Codec",
    "NonceReuse",
    "NonceCollision",
    "KeyDerivation",
    "InvalidNonceLength",
    "InvalidTimestamp",
    "SerializationFailed",
]  # spec §8


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"common.schema.json#/$defs/{name}"}


def _obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


def _common() -> dict[str, Any]:
    integer = {"type": "integer"}
    defs = {
        "hex": {"type": "string", "pattern": "^([0-9a-f]{2})*$"},
        "decimal": {"type": "string", "pattern": "^-?(0|[1-9][0-9]*)$"},
        "errorCode": {"enum": _ERROR_CODES},
        "flag": {"enum": sorted(NOTES)},
        "ruleId": {"enum": [rule.rule_id for rule in RULES if rule.not_vectorized is None]},
        "tcId": {"type": "string", "pattern": "^[a-z0-9-]+(/[a-z0-9._-]+)+$"},
        "config": _obj(
            {
                "max_timestamp_drift": integer,
                "allowed_versions": {"type": "array", "items": integer},
                "aead_algorithm": {"type": "string"},
                "max_payload_bytes": integer,
                "max_fingerprint_bytes": integer,
            }
        ),
        "network": _obj({"rtt_bucket": integer, "path_hint": integer}, ["rtt_bucket", "path_hint"]),
        "capsule": _obj(
            {
                "version": integer,
                "header_id": _ref("decimal"),
                "client_nonce": _ref("hex"),
                "server_profile_id": _ref("decimal"),
                "network_context": _ref("network"),
                "payload": _ref("hex"),
            },
            [
                "version",
                "header_id",
                "client_nonce",
                "server_profile_id",
                "network_context",
                "payload",
            ],
        ),
        "sep": _obj(
            {
                "cpu": {"type": "string"},
                "nic": {"type": "string"},
                "os": {"type": "string"},
                "build": {"type": "string"},
                "tpm_quote": {"oneOf": [_ref("hex"), {"type": "null"}]},
            },
            ["cpu", "nic", "os", "build", "tpm_quote"],
        ),
        "note": _obj(
            {
                "bugType": {"type": "string", "pattern": "^[A-Z_]+$"},
                "description": {"type": "string", "minLength": 1},
            },
            ["bugType", "description"],
        ),
        "source": _obj(
            {"name": {"type": "string"}, "version": {"type": "string"}}, ["name", "version"]
        ),
    }
    return {
        "$schema": _DRAFT,
        "$id": SCHEMA_BASE + "common.schema.json",
        "title": "Shared definitions of the IHP v1 vector files",
        "$defs": defs,
    }


_I = {"type": "integer"}
_ARGS: dict[str, dict[str, Any]] = {
    "config_validate": {"config": _ref("config")},
    "sep_hash": {"sep": _ref("sep"), "max_fingerprint_bytes": _I},
    "derive_profile_key": {
        "master_key": _ref("hex"),
        "env_hash": _ref("hex"),
        "server_profile_id": _ref("decimal"),
    },
    "derive_session_key": {
        "profile_key": _ref("hex"),
        "tls_exporter_key": _ref("hex"),
        "client_nonce": _ref("hex"),
        "network_context": _ref("network"),
        "server_profile_id": _ref("decimal"),
    },
    "encrypt_capsule": {
        "config": _ref("config"),
        "version": _I,
        "header_id": _ref("decimal"),
        "client_nonce": _ref("hex"),
        "server_profile_id": _ref("decimal"),
        "network_context": _ref("network"),
        "env_hash": _ref("hex"),
        "session_key": _ref("hex"),
        "password": _ref("hex"),
        "timestamp": _ref("decimal"),
    },
    "decrypt_capsule": {
        "config": _ref("config"),
        "capsule": _ref("capsule"),
        "env_hash": _ref("hex"),
        "session_key": _ref("hex"),
        "now": _ref("decimal"),
    },
    "capsule_from_json": {"json": {"type": "string"}},
    "capsule_to_json": {"capsule": _ref("capsule")},
    "capsule_from_binary": {"hex": _ref("hex")},
    "capsule_to_binary": {"capsule": _ref("capsule")},
    "session_token": {
        "session_key": _ref("hex"),
        "client_nonce": _ref("hex"),
        "timestamp": _ref("decimal"),
    },
    "rtt_bucket": {
        "samples_ms": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4}
    },
}
_RESULT: dict[str, dict[str, Any]] = {
    "config_validate": _obj({}),
    "sep_hash": _obj({"env_hash": _ref("hex")}, ["env_hash"]),
    "derive_profile_key": _obj({"profile_key": _ref("hex")}, ["profile_key"]),
    "derive_session_key": _obj({"session_key": _ref("hex")}, ["session_key"]),
    "encrypt_capsule": _obj({"capsule": _ref("capsule")}, ["capsule"]),
    "decrypt_capsule": _obj(
        {"password": _ref("hex"), "timestamp": _ref("decimal"), "header_id": _ref("decimal")},
        ["password", "timestamp", "header_id"],
    ),
    "capsule_from_json": _obj({"capsule": _ref("capsule")}, ["capsule"]),
    "capsule_to_json": _obj({"json": {"type": "string"}}, ["json"]),
    "capsule_from_binary": _obj({"capsule": _ref("capsule")}, ["capsule"]),
    "capsule_to_binary": _obj({"hex": _ref("hex")}, ["hex"]),
    "session_token": _obj(
        {"token": {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$"}}, ["token"]
    ),
    "rtt_bucket": _obj({"bucket": {"type": "integer", "minimum": 0, "maximum": 255}}, ["bucket"]),
}
_FILES = {  # file stem → (operation, profile)
    "config_validate": ("config_validate", "IHP-Core"),
    "sep_hash": ("sep_hash", "IHP-Core"),
    "derive_profile_key": ("derive_profile_key", "IHP-Core"),
    "derive_session_key": ("derive_session_key", "IHP-Core"),
    "encrypt_capsule": ("encrypt_capsule", "IHP-Core"),
    "decrypt_capsule": ("decrypt_capsule", "IHP-Core"),
    "capsule_from_json": ("capsule_from_json", "IHP-Wire"),
    "capsule_to_json": ("capsule_to_json", "IHP-Wire"),
    "capsule_from_binary": ("capsule_from_binary", "IHP-Wire"),
    "capsule_to_binary": ("capsule_to_binary", "IHP-Wire"),
    "session_token": ("session_token", "IHP-Token"),
    "rtt_bucket": ("rtt_bucket", "IHP-Client"),
    "replay_guard": ("decrypt_capsule", "IHP-Replay"),
}


def _outcome_rule() -> list[dict[str, Any]]:
    """`result` valid ⇔ `expected`; invalid ⇔ `error` (exactly one of them)."""
    return [
        {
            "if": {"properties": {"result": {"const": "valid"}}},
            "then": {"required": ["expected"], "not": {"required": ["error"]}},
            "else": {"required": ["error"], "not": {"required": ["expected"]}},
        }
    ]


def _file_schema(stem: str) -> dict[str, Any]:
    operation, profile = _FILES[stem]
    args = _obj(_ARGS[operation])
    if stem == "replay_guard":  # a step may size its guard (shim protocol)
        args = _obj({**_ARGS[operation], "replay_guard_capacity": {
            "type": "integer", "minimum": 1, "maximum": 65_536}})
        step = _obj(
            {"args": args, "expected": _RESULT[operation], "error": _ref("errorCode")}, ["args"]
        )
        step["oneOf"] = [{"required": ["expected"]}, {"required": ["error"]}]
        case = _obj(
            {
                "tcId": _ref("tcId"),
                "comment": {"type": "string"},
                "flags": {"type": "array", "items": _ref("flag"), "uniqueItems": True},
                "rules": {
                    "type": "array",
                    "items": _ref("ruleId"),
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "result": {"enum": ["valid", "invalid"]},
                "args": args,
                "steps": {"type": "array", "items": step, "minItems": 1},
            },
            ["tcId", "comment", "flags", "rules", "result", "args", "steps"],
        )
    else:
        case = _obj(
            {
                "tcId": _ref("tcId"),
                "comment": {"type": "string"},
                "flags": {"type": "array", "items": _ref("flag"), "uniqueItems": True},
                "rules": {
                    "type": "array",
                    "items": _ref("ruleId"),
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "result": {"enum": ["valid", "invalid"]},
                "args": args,
                "expected": _RESULT[operation],
                "error": _ref("errorCode"),
            },
            ["tcId", "comment", "flags", "rules", "result", "args"],
        )
        case["allOf"] = _outcome_rule()
    group = _obj(
        {
            "source": _ref("source"),
            "comment": {"type": "string"},
            "args": args,
            "tests": {"type": "array", "items": case},
        },
        ["source", "comment", "args", "tests"],
    )
    return {
        "$schema": _DRAFT,
        "$id": f"{SCHEMA_BASE}{stem}.schema.json",
        "title": f"IHP v1 vectors: {stem}",
        **_obj(
            {
                "schema": {"const": f"{stem}.schema.json"},
                "version": {"const": SCHEMA_VERSION},
                "operation": {"const": operation},
                "profile": {"const": profile},
                "numberOfTests": {"type": "integer", "minimum": 0},
                "header": {"type": "array", "items": {"type": "string"}},
                "notes": {
                    "type": "object",
                    "propertyNames": _ref("flag"),
                    "additionalProperties": _ref("note"),
                },
                "testGroups": {"type": "array", "items": group, "minItems": 1},
            },
            [
                "schema",
                "version",
                "operation",
                "profile",
                "numberOfTests",
                "header",
                "notes",
                "testGroups",
            ],
        ),
    }


def _golden_schema() -> dict[str, Any]:
    byte = {"type": "integer", "minimum": 0, "maximum": 255}
    u64 = {"type": "integer", "minimum": 0, "maximum": 2**64 - 1}
    return {
        "$schema": _DRAFT,
        "$id": SCHEMA_BASE + "golden_capsule.schema.json",
        "title": "The JSON form of a capsule (spec §9.1), as in golden_capsule_v1.json",
        **_obj(
            {
                "version": byte,
                "header_id": u64,
                "client_nonce": {"type": "array", "items": byte, "minItems": 12, "maxItems": 12},
                "server_profile_id": u64,
                "network_context": _obj(
                    {
                        "rtt_bucket": byte,
                        "path_hint": {"type": "integer", "minimum": 1, "maximum": 65535},
                    },
                    ["rtt_bucket", "path_hint"],
                ),
                "payload": {"type": "array", "items": byte, "minItems": 16},
            },
            [
                "version",
                "header_id",
                "client_nonce",
                "server_profile_id",
                "network_context",
                "payload",
            ],
        ),
    }


def render_schemas() -> dict[str, dict[str, Any]]:
    """schema file name → schema document."""
    schemas = {"common.schema.json": _common(), "golden_capsule.schema.json": _golden_schema()}
    schemas.update({f"{stem}.schema.json": _file_schema(stem) for stem in _FILES})
    return schemas
