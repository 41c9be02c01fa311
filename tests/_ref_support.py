"""Shared inputs for the reference's tests: the spec §17 fixture inputs, and builders."""

from __future__ import annotations

from dataclasses import dataclass

import ihp_ref as ihp

__all__ = ["FIXTURE_HEX", "GOLDEN", "CapsuleInputs", "sealed"]


@dataclass(frozen=True)
class CapsuleInputs:
    master_key: bytes
    env_hash: ihp.ServerEnvHash
    profile_id: int
    nonce: bytes
    rtt_bucket: int
    path_hint: int
    exporter: bytes
    password: bytes
    timestamp: int
    header_id: int
    version: int = 1

    @property
    def network(self) -> ihp.IhpNetworkContext:
        return ihp.IhpNetworkContext(self.rtt_bucket, self.path_hint)

    def session_key(self) -> ihp.SessionKey:
        profile_id = ihp.ServerProfileId(self.profile_id)
        profile_key = ihp.derive_profile_key(
            ihp.InMemoryKeyProvider(self.master_key), profile_id, self.env_hash)
        return ihp.derive_session_key(profile_key, self.exporter, ihp.ClientNonce(self.nonce),
                                      self.network, profile_id)


# spec §17, golden_capsule_v1.json
GOLDEN = CapsuleInputs(
    master_key=b"IHP deterministic master keyseed",
    env_hash=ihp.ServerEnvHash(b"\x42" * 32),
    profile_id=1, nonce=b"\x01" * 12, rtt_bucket=5, path_hint=120,
    exporter=b"tls exporter key material", password=b"known-answer",
    timestamp=1_700_000_123, header_id=44,
)

# spec §17, capsule_v1.hex
FIXTURE_SEP = ihp.ServerEnvironmentProfile("cpu:fixture", "nic:fixture", "os:fixture",
                                           "build:fixture")
FIXTURE_HEX = CapsuleInputs(
    master_key=b"master key material for ihp pro!",
    env_hash=ihp.compute_server_env_hash(FIXTURE_SEP),
    profile_id=42, nonce=b"\x07" * 12, rtt_bucket=7, path_hint=120,
    exporter=b"tls exporter key material", password=b"fixture payload",
    timestamp=1_700_000_000, header_id=99,
)


def sealed(inputs: CapsuleInputs, config: ihp.IhpConfig | None = None) -> ihp.IhpCapsule:
    """The capsule the reference makes from `inputs`."""
    return ihp.encrypt_capsule(
        inputs.version, config or ihp.IhpConfig(), inputs.header_id,
        ihp.ClientNonce(inputs.nonce), ihp.ServerProfileId(inputs.profile_id), inputs.network,
        inputs.env_hash, inputs.session_key(), ihp.PasswordMaterial(inputs.password),
        ihp.CapsuleTimestamp(inputs.timestamp))
