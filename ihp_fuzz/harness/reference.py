"""Adapters between the model's plain values and the `ihp_ref` typed values.

Imported by the harnesses after `ihp_ref` (so that it uses the instrumented modules).
"""

from __future__ import annotations

from functools import cache

import ihp_ref
from ihp_fuzz.harness.findings import require
from ihp_fuzz.harness.model import CapsuleFields, ModelConfig

__all__ = ["fields_of", "metric_summary", "ref_config",
           "require_decoder_agrees"]


def fields_of(capsule: ihp_ref.IhpCapsule) -> CapsuleFields:
    network = capsule.network_context
    return CapsuleFields(capsule.version, capsule.header_id, capsule.client_nonce.value,
                         capsule.server_profile_id.value, network.rtt_bucket,
                         network.path_hint, capsule.payload)


@cache
def ref_config(config: ModelConfig) -> ihp_ref.IhpConfig:
    return ihp_ref.IhpConfig(config.max_timestamp_drift, config.allowed_versions,
                             config.aead_algorithm, config.max_payload_bytes,
                             config.max_fingerprint_bytes)


def metric_summary(metrics: ihp_ref.RecordingMetrics,
                   operation: str) -> tuple[dict[str, int], list[str]]:
    """(total per metric name, telemetry codes of the `ihp.<operation>.failure` counts), in
    one pass over the recorded counts."""
    totals: dict[str, int] = {}
    failure_name = f"ihp.{operation}.failure"
    codes: list[str] = []
    for (name, labels), count in metrics.counts.items():
        totals[name] = totals.get(name, 0) + count
        if name == failure_name:
            codes += [dict(labels).get("code", "?")] * count
    return totals, codes


def require_decoder_agrees(form: str, size: int, error: str | None,
                           capsule: ihp_ref.IhpCapsule | None,
                           expected: CapsuleFields | None) -> None:
    """The rule the decoder harnesses share: the reference decodes exactly what the model
    decodes, to the same fields, and fails only with `Codec`."""
    if error is not None:
        require(error == "Codec", f"{form}-raised-{error}", "a decoder may only fail Codec")
        require(expected is None, f"{form}-rejects-valid", f"{size} bytes rejected")
        return
    require(expected is not None and capsule is not None, f"{form}-accepts-invalid",
            f"{size} bytes accepted")
    require(fields_of(capsule) == expected, f"{form}-fields-differ")  # type: ignore[arg-type]
