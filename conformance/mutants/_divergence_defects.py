"""The spec §15 divergences of the original Rust crate, as behaviours (not as predicates).

Each function here does what crate `ihp` 0.1.0 does where §15 says it diverges, written
from the crate's side (serde reads arrays, bincode ignores trailing bytes, ...), never by
asking `ihp_vectors.divergences` whether a request is affected: `tests/test_divergences.py`
checks the predicates against these behaviours, so the two must stay independent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from conformance.mutants._kit import Args, Handler, MutantSession, fail

__all__ = ["crate_json", "v2_not_compiled"]

_FIELDS = ("version", "header_id", "client_nonce", "server_profile_id", "network_context",
           "payload")  # fmt: skip
_NETWORK = ("rtt_bucket", "path_hint")


class _Raw(str):
    """A JSON number token kept as written, so re-encoding changes nothing about it."""


def _pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({k for k, _ in items}) != len(items):
        raise ValueError("duplicate key")  # the reference's strictest reading, kept
    return dict(items)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _encode(value: Any) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    return json.dumps(value)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def crate_json(*, size_cap: bool, depth_cap: bool, arrays: bool) -> Callable[..., Any]:
    """A `capsule_from_json` decoder as serde's derived one reads a document: no size cap
    unless `size_cap` (§15 JsonNoSizeCap), unknown values skipped at any depth unless
    `depth_cap` (JsonDepthUnbounded), arrays read as structs when `arrays`
    (JsonStructAsArray). The typed field checks are the reference's."""

    def decode(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
        text = a.get("json")
        if not isinstance(text, str):
            return ref(a)
        if size_cap and len(text.encode("utf-8", "surrogatepass")) > 1 << 20:
            raise fail("Codec")
        try:
            document = json.loads(text, object_pairs_hook=_pairs, parse_int=_Raw,
                                  parse_float=_Raw, parse_constant=_reject_constant)  # fmt: skip
        except (ValueError, RecursionError):
            raise fail("Codec") from None
        if depth_cap and _depth(document) > 64:
            raise fail("Codec")
        if arrays and isinstance(document, list) and len(document) == len(_FIELDS):
            document = dict(zip(_FIELDS, document, strict=True))
        if not isinstance(document, dict):
            raise fail("Codec")
        known = {k: document[k] for k in _FIELDS if k in document}
        network = known.get("network_context")
        if arrays and isinstance(network, list) and len(network) == len(_NETWORK):
            known["network_context"] = dict(zip(_NETWORK, network, strict=True))
        elif isinstance(network, dict):
            known["network_context"] = {k: network[k] for k in _NETWORK if k in network}
        return ref({"json": _encode(known)})

    return decode


def _names_v2(config: object) -> bool:
    versions = config.get("allowed_versions") if isinstance(config, dict) else None
    return isinstance(versions, list) and 2 in versions


def _capsule_is_v2(capsule: object) -> bool:
    return isinstance(capsule, dict) and capsule.get("version") == 2


def v2_not_compiled(s: MutantSession, ref: Handler, a: Args) -> dict[str, Any]:
    """Without the `experimental_v2` feature version 2 is no value of the crate's version
    type: an argument or a decoded capsule holding it is a decoding error, a config
    naming it is rejected (§15 V2NotCompiled). Wraps every operation."""
    if a.get("version") == 2 or _capsule_is_v2(a.get("capsule")):
        raise fail("Codec")
    if _names_v2(a.get("config")):
        raise fail("Config")
    result = ref(a)
    if _capsule_is_v2(result.get("capsule")):
        raise fail("Codec")
    return result
