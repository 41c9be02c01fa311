"""Flags of generated cases, by the kind of case: what it is about, named as the vectors
name it. The spec §15 divergence flags are not here: they are computed from every case's
inputs (`conformance.cases.with_divergences`)."""

from __future__ import annotations

from collections.abc import Sequence

from conformance.cases import Step

__all__ = ["case_flags"]

_BY_KIND: dict[tuple[str, str], str] = {
    ("capsule_from_json", "duplicate"): "JsonDuplicateKey",
    ("capsule_from_json", "duplicate-nested"): "JsonDuplicateKey",
}


def case_flags(operation: str, kind: str, steps: Sequence[Step], sequence: bool) -> tuple[str, ...]:
    """("Generated", and what the case is about, if its kind says)."""
    flag = _BY_KIND.get((operation, kind))
    if flag is not None and steps[-1].error is not None:
        return ("Generated", flag)
    return ("Generated",)
