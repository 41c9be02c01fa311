"""vectors/golden/: the two fixtures of spec §17, rendered from the reference."""

from __future__ import annotations

import json

from ._build import Handler, call
from ._fixtures import GOLDEN_HEX, GOLDEN_JSON, fixture_keys

__all__ = ["GOLDEN_HEX_PATH", "GOLDEN_JSON_PATH", "render_golden"]

GOLDEN_JSON_PATH = "vectors/golden/golden_capsule_v1.json"
GOLDEN_HEX_PATH = "vectors/golden/capsule_v1.hex"


def render_golden(handle: Handler) -> dict[str, str]:
    """Both fixture files, keyed by path.

    The JSON fixture is laid out as the Rust crate writes it (serde_json::to_string_pretty:
    2-space indent, one array element per line, no trailing newline); the key order is the
    canonical one of spec §9.1. The hex fixture is lowercase hex and a newline (spec §9.2).
    """
    json_capsule = fixture_keys(handle, GOLDEN_JSON)["capsule"]
    canonical = call(handle, "capsule_to_json", {"capsule": json_capsule})["json"]
    pretty = json.dumps(json.loads(canonical), indent=2)
    hex_capsule = fixture_keys(handle, GOLDEN_HEX)["capsule"]
    binary = call(handle, "capsule_to_binary", {"capsule": hex_capsule})["hex"]
    return {GOLDEN_JSON_PATH: pretty, GOLDEN_HEX_PATH: binary + "\n"}
