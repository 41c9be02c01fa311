"""The key hierarchy (spec §6): K_master → K_profile → K_session. Where K_master comes
from (memory, an HSM/KMS, a rotation ring) is `_providers`."""

from __future__ import annotations

import struct

from ._constants import LABEL_PROFILE, LABEL_SESSION
from ._primitives import hkdf_sha256
from ._providers import MasterKeyProvider
from ._values import (
    ClientNonce,
    IhpNetworkContext,
    MasterKey,
    ProfileKey,
    ServerEnvHash,
    ServerProfileId,
    SessionKey,
    check_bytes,
)

__all__ = ["derive_profile_key", "derive_session_key"]

_SESSION_CONTEXT = struct.Struct("<BHQ")  # u8(rtt_bucket) ‖ u16le(path_hint) ‖ u64le(id)


def derive_profile_key(
    master: MasterKeyProvider | MasterKey,
    server_profile_id: ServerProfileId,
    env_hash: ServerEnvHash,
) -> ProfileKey:
    """K_profile = HKDF(salt = ServerEnvHash, ikm = K_master, info = LABEL_PROFILE).

    `server_profile_id` is deliberately not an input (spec §6): two ids on one SEP and
    master key share a profile key; the id is bound into K_session and the AAD instead.
    """
    del server_profile_id
    key = master if isinstance(master, MasterKey) else master.master_key()
    return ProfileKey._derived(hkdf_sha256(env_hash.value, key._buffer, LABEL_PROFILE))


def derive_session_key(
    profile_key: ProfileKey,
    tls_exporter_key: bytes,
    client_nonce: ClientNonce,
    network_context: IhpNetworkContext,
    server_profile_id: ServerProfileId,
) -> SessionKey:
    """K_session = HKDF(salt = K_profile, ikm = tls_exporter_key, info = …) (spec §6).

    The network context is validated first (a zero path hint → `Codec`).
    """
    network_context.check()  # spec §7.1, checked before deriving (spec §6)
    exporter = check_bytes(tls_exporter_key, "tls_exporter_key")
    # info = LABEL_SESSION ‖ nonce(12) ‖ u8(rtt) ‖ u16le(path) ‖ u64le(profile id)
    info = LABEL_SESSION + client_nonce.value + _SESSION_CONTEXT.pack(
        network_context.rtt_bucket, network_context.path_hint, server_profile_id.value)
    return SessionKey._derived(hkdf_sha256(bytes(profile_key._buffer), exporter, info))
