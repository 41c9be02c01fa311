"""How a harness reports a violated rule, and the comparisons every harness shares.

A finding's message starts with a stable bucket (`expected-HeaderIdMismatch-got-ok`)
before ` :: `; `ihp-fuzz` de-duplicates on it. Messages carry lengths and error codes,
never password, key or plaintext bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ihp_fuzz.harness.model import Outcome

__all__ = ["HarnessFinding", "check_metrics", "outcome_of", "require", "require_outcome"]


class HarnessFinding(AssertionError):
    """A rule of the harness does not hold: a bug in the implementation under test."""


def require(condition: bool, bucket: str, detail: str = "") -> None:
    if not condition:
        raise HarnessFinding(f"{bucket} :: {detail}")


def outcome_of(call: Callable[[], Any], ihp_error: type[Exception]) -> tuple[str | None, Any]:
    """(error code, None) when `call` raises `IhpError`, else (None, its value).
    Every other exception propagates: it is a bug by every harness's rule."""
    try:
        return None, call()
    except ihp_error as error:
        return str(getattr(error, "code", "?")), None


def require_outcome(expected: Outcome, actual_error: str | None, what: str) -> None:
    got = actual_error or "ok"
    want = expected.error or "ok"
    require(got == want, f"{what}-expected-{want}-got-{got}",
            f"{what}: the spec predicts {want}, the implementation gave {got}")


def check_metrics(counts: dict[str, int], failure_labels: list[str], operation: str,
                  expected_error_telemetry: str | None) -> None:
    """spec §16: every attempt counted once; a failure exactly once with its telemetry
    code, a success never as a failure. `counts` maps metric name to its total."""
    require(counts.get(f"ihp.{operation}.total", 0) == 1, f"metrics-{operation}-total",
            "the attempt was not counted exactly once")
    if expected_error_telemetry is None:
        require(counts.get(f"ihp.{operation}.failure", 0) == 0 and
                counts.get(f"ihp.{operation}.success", 0) == 1,
                f"metrics-{operation}-success", "a success was not counted exactly once")
    else:
        require(failure_labels == [expected_error_telemetry], f"metrics-{operation}-failure",
                f"failure labels {failure_labels}, want [{expected_error_telemetry}]")
