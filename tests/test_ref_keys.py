"""spec §6: the key hierarchy, providers, the key ring, key hygiene."""

from __future__ import annotations

import _independent as indep
import pytest

import ihp_ref as ihp
from ihp_ref import ErrorCode, IhpError

ENV = ihp.ServerEnvHash(bytes(range(32)))
NONCE = ihp.ClientNonce(b"\x09" * 12)
NET = ihp.IhpNetworkContext(3, 120)


def test_profile_key_is_hkdf_of_master_key_salted_by_env_hash() -> None:
    master = b"m" * 32
    key = ihp.derive_profile_key(ihp.InMemoryKeyProvider(master), ihp.ServerProfileId(1), ENV)
    assert key.value == indep.profile_key(master, ENV.value)


def test_profile_id_is_not_an_input_of_the_profile_key() -> None:
    provider = ihp.InMemoryKeyProvider(b"m" * 32)
    assert ihp.derive_profile_key(provider, ihp.ServerProfileId(1), ENV) == (
        ihp.derive_profile_key(provider, ihp.ServerProfileId(2**64 - 1), ENV))


@pytest.mark.parametrize("exporter", [b"", b"\x00", b"x" * 1000])
@pytest.mark.parametrize("profile_id", [0, 42, 2**64 - 1])
def test_session_key_binds_exporter_nonce_network_and_profile_id(
    exporter: bytes, profile_id: int
) -> None:
    profile_key = ihp.ProfileKey(b"p" * 32)
    key = ihp.derive_session_key(profile_key, exporter, NONCE, NET,
                                 ihp.ServerProfileId(profile_id))
    assert key.value == indep.session_key(b"p" * 32, exporter, NONCE.value, 3, 120, profile_id)


def test_session_key_rejects_zero_path_hint_before_deriving() -> None:
    with pytest.raises(IhpError) as info:
        ihp.derive_session_key(ihp.ProfileKey(b"p" * 32), b"", NONCE,
                               ihp.IhpNetworkContext(0, 0), ihp.ServerProfileId(1))
    assert info.value.code is ErrorCode.CODEC


@pytest.mark.parametrize("cls", [ihp.MasterKey, ihp.ProfileKey, ihp.SessionKey])
@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_keys_must_be_exactly_32_bytes(cls: type, length: int) -> None:
    with pytest.raises(IhpError) as info:
        cls(b"k" * length)
    assert info.value.code is ErrorCode.KEY_LENGTH


def test_in_memory_provider_rejects_a_short_master_key() -> None:
    with pytest.raises(IhpError) as info:
        ihp.InMemoryKeyProvider(b"short")
    assert info.value.code is ErrorCode.KEY_LENGTH


def test_provider_returns_a_fresh_copy_each_call() -> None:
    provider = ihp.InMemoryKeyProvider(b"m" * 32)
    first = provider.master_key()
    first.wipe()
    assert provider.master_key().value == b"m" * 32


def test_hsm_wrapped_provider_unwraps_through_the_callback() -> None:
    provider = ihp.InMemoryKeyProvider.from_hsm_wrapped(
        bytes(b ^ 0x5A for b in b"m" * 32), lambda w: bytes(b ^ 0x5A for b in w))
    assert provider.master_key().value == b"m" * 32


def test_wipe_zeroes_the_key_and_context_manager_wipes() -> None:
    key = ihp.SessionKey(b"s" * 32)
    with key:
        assert key.value == b"s" * 32
    assert key.value == bytes(32)


def test_key_ring_offers_previous_keys_only_until_their_window_closes() -> None:
    old, new = ihp.InMemoryKeyProvider(b"o" * 32), ihp.InMemoryKeyProvider(b"n" * 32)
    ring = ihp.KeyRing(old).rotated(new, window_closes_at=1_000)
    assert ring.master_key().value == b"n" * 32
    assert ring.decryption_providers(1_000) == [new, old]
    assert ring.decryption_providers(1_001) == [new]
