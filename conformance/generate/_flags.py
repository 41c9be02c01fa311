"""Flags of generated cases: the spec §15 divergence a case exposes, named as the vectors
name it, so that one expectations entry (`{"flag": "DriftOverflow", ...}`) covers vector and
generated cases alike. A case carries a divergence flag only when an implementation with
that divergence fails it (an xfail by flag must not turn into XPASS)."""

from __future__ import annotations

from collections.abc import Sequence

from conformance.cases import Step

__all__ = ["case_flags"]

_BY_KIND: dict[tuple[str, str], str] = {
    ("decrypt_capsule", "drift-extreme-wraps"): "DriftOverflow",
    ("capsule_from_binary", "trailing"): "BincodeTrailingBytes",
    ("capsule_from_binary", "length-under"): "BincodeTrailingBytes",
    ("capsule_from_binary", "max-payload-plus-1"): "BincodeHugeLength",
    ("capsule_from_json", "unknown-deep"): "JsonDepthUnbounded",
    ("capsule_from_json", "nested-network-deep"): "JsonDepthUnbounded",
    ("capsule_from_json", "duplicate"): "JsonDuplicateKey",
    ("capsule_from_json", "duplicate-nested"): "JsonDuplicateKey",
}


def case_flags(operation: str, kind: str, steps: Sequence[Step], sequence: bool) -> tuple[str, ...]:
    """("Generated", and the divergence the case exposes, if any)."""
    flag = _BY_KIND.get((operation, kind))
    if flag is not None and steps[-1].error is not None:
        return ("Generated", flag)
    if sequence and any(s.error in ("NonceReuse", "NonceCollision") for s in steps):
        return ("Generated", "NoNonceTracking")
    return ("Generated",)
