"""Adapters between the model's plain values and the `ihp_ref` typed values.

Imported by the harnesses after `ihp_ref` (so that it uses the instrumented modules).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from functools import cache

import ihp_ref
from ihp_fuzz.harness import golden
from ihp_fuzz.harness.findings import require
from ihp_fuzz.harness.model import CapsuleFields, ModelConfig

__all__ = [
    "MetricTally",
    "fields_of",
    "golden_session_key",
    "ref_config",
    "require_decoder_agrees",
]


@cache
def golden_session_key() -> bytes:
    """K_session of the golden capsule, derived with `ihp_ref` and checked against the
    derivation of spec §6 without it (`golden.independent_session_key`)."""
    env_hash = ihp_ref.ServerEnvHash(golden.GOLDEN_ENV_HASH)
    profile_id = ihp_ref.ServerProfileId(golden.GOLDEN_PROFILE_ID)
    with ihp_ref.MasterKey(golden.GOLDEN_MASTER_KEY) as master:
        profile_key = ihp_ref.derive_profile_key(master, profile_id, env_hash)
    session_key = ihp_ref.derive_session_key(
        profile_key, golden.GOLDEN_TLS_EXPORTER_KEY, ihp_ref.ClientNonce(golden.GOLDEN_NONCE),
        ihp_ref.IhpNetworkContext(golden.GOLDEN_RTT_BUCKET, golden.GOLDEN_PATH_HINT), profile_id)
    key = bytes(session_key.value)
    if not hmac.compare_digest(key, golden.independent_session_key()):
        raise RuntimeError("ihp_ref derives a different §17 session key than spec §6 says")
    return key


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


class MetricTally:
    """A metrics sink (`ihp_ref.MetricsSink`) that keeps what the spec §16 rule needs and
    no more: the name of every increment, and the `code` label of every failure. It runs
    once per execution, so it does not sort labels as `RecordingMetrics` does."""

    __slots__ = ("codes", "names")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.codes: list[tuple[str, str]] = []

    def increment(self, name: str, labels: Mapping[str, str] | None = None) -> None:
        self.names.append(name)
        if labels is not None and "code" in labels:
            self.codes.append((name, labels["code"]))

    def observe(self, name: str, value: float) -> None:
        pass

    def summary(self, operation: str) -> tuple[dict[str, int], list[str]]:
        """(total of each `ihp.<operation>.*` counter the rule reads, telemetry codes of
        the `ihp.<operation>.failure` counts)."""
        names = self.names
        totals = {name: names.count(name) for name in (
            f"ihp.{operation}.total", f"ihp.{operation}.success", f"ihp.{operation}.failure")}
        failure_name = f"ihp.{operation}.failure"
        return totals, [code for name, code in self.codes if name == failure_name]


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
