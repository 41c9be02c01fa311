"""No key, nonce, password or plaintext bytes in a repr, str, error message or log record."""

from __future__ import annotations

import hmac
import logging

import pytest
from _ref_support import GOLDEN, sealed

import ihp_ref as ihp
from ihp_ref import CapsuleTimestamp, IhpConfig, IhpError

PASSWORD = b"hunter2-SECRET-PASSWORD"
KEY_BYTES = bytes(range(100, 132))


def _forms(data: bytes) -> list[str]:
    """Ways secret bytes could show up in text."""
    return [data.hex(), data.hex().upper(), repr(data), str(list(data))[1:-1],
            data.decode("latin-1")]


def _assert_clean(text: str, *secrets: bytes) -> None:
    for secret in secrets:
        for form in _forms(secret):
            assert form not in text


def test_key_reprs_hide_key_bytes() -> None:
    for cls in (ihp.MasterKey, ihp.ProfileKey, ihp.SessionKey):
        key = cls(KEY_BYTES)
        _assert_clean(repr(key) + str(key), KEY_BYTES)
    _assert_clean(repr(ihp.InMemoryKeyProvider(KEY_BYTES)), KEY_BYTES)


def test_password_and_nonce_reprs_hide_their_bytes() -> None:
    _assert_clean(repr(ihp.PasswordMaterial(PASSWORD)), PASSWORD)
    nonce = b"\xaa\xbb\xcc" * 4
    _assert_clean(repr(ihp.ClientNonce(nonce)) + repr(sealed(GOLDEN)), nonce, GOLDEN.nonce)


def test_plaintext_repr_hides_the_password() -> None:
    plaintext = ihp.decrypt_capsule(sealed(GOLDEN), GOLDEN.env_hash, GOLDEN.session_key(),
                                    CapsuleTimestamp(GOLDEN.timestamp), IhpConfig())
    _assert_clean(repr(plaintext) + str(plaintext), GOLDEN.password)


@pytest.mark.parametrize("make", [
    lambda: ihp.SessionKey(KEY_BYTES[:31]),
    lambda: ihp.ClientNonce(KEY_BYTES[:13]),
    lambda: ihp.PasswordMaterial(PASSWORD * 3000),
    lambda: ihp.decrypt_capsule(sealed(GOLDEN), GOLDEN.env_hash, ihp.SessionKey(KEY_BYTES),
                                CapsuleTimestamp(GOLDEN.timestamp), IhpConfig()),
])
def test_error_messages_are_the_fixed_spec_strings(make: object) -> None:
    with pytest.raises(IhpError) as info:
        make()  # type: ignore[operator]
    assert str(info.value) == info.value.code.message
    _assert_clean(str(info.value) + repr(info.value), KEY_BYTES, PASSWORD)


def test_keys_and_passwords_cannot_be_pickled() -> None:
    import pickle
    with pytest.raises(TypeError):
        pickle.dumps(ihp.SessionKey(KEY_BYTES))
    with pytest.raises(TypeError):
        pickle.dumps(ihp.PasswordMaterial(PASSWORD))


def test_nothing_secret_reaches_log_records(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    key = ihp.SessionKey(KEY_BYTES)
    logging.getLogger("test").info("key=%r password=%r", key, ihp.PasswordMaterial(PASSWORD))
    try:
        ihp.decrypt_capsule(sealed(GOLDEN), GOLDEN.env_hash, key,
                            CapsuleTimestamp(GOLDEN.timestamp), IhpConfig())
    except IhpError as error:
        logging.getLogger("test").exception("decrypt failed: %s", error)
    assert caplog.records
    _assert_clean(caplog.text, KEY_BYTES, PASSWORD, GOLDEN.password)


def test_password_material_compares_in_constant_time_and_cannot_be_hashed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bytes, bytes]] = []
    compare = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: seen.append((a, b)) or compare(a, b))
    assert ihp.PasswordMaterial(b"pw") == ihp.PasswordMaterial(b"pw")
    assert ihp.PasswordMaterial(b"pw") != ihp.PasswordMaterial(b"pX")
    assert seen == [(b"pw", b"pw"), (b"pw", b"pX")]
    with pytest.raises(TypeError):
        hash(ihp.PasswordMaterial(b"pw"))


@pytest.mark.parametrize("value", [list(KEY_BYTES), KEY_BYTES.decode("latin-1"), 32, None])
@pytest.mark.parametrize("cls", [ihp.MasterKey, ihp.ProfileKey, ihp.SessionKey])
def test_a_key_from_anything_but_bytes_is_a_type_error(cls: type, value: object) -> None:
    # a list of 32 ints would make a bytearray: it is misuse all the same
    with pytest.raises(TypeError, match=rf"^{cls.__name__} must be bytes$"):  # names the misuse
        cls(value)


def test_keys_of_different_kinds_are_never_equal_even_with_the_same_bytes() -> None:
    master, profile = ihp.MasterKey(KEY_BYTES), ihp.ProfileKey(KEY_BYTES)
    assert master == ihp.MasterKey(KEY_BYTES) and master != ihp.MasterKey(bytes(32))
    assert master != profile and profile != master
    assert (master == KEY_BYTES) is False and (master == bytearray(KEY_BYTES)) is False
    assert master != KEY_BYTES


def test_a_password_never_equals_its_bare_bytes() -> None:
    password = ihp.PasswordMaterial(PASSWORD)
    assert (password == PASSWORD) is False and password != PASSWORD
    with pytest.raises(TypeError, match="PasswordMaterial is not hashable"):
        {password}  # noqa: B018


def test_an_env_hash_is_public_and_its_repr_shows_it() -> None:
    # spec §5: the server publishes its environment hash; not a secret
    text = repr(GOLDEN.env_hash)
    assert text == f"ServerEnvHash({GOLDEN.env_hash.value.hex()})"


def test_a_replay_guard_repr_counts_its_entries_and_hides_their_nonces() -> None:
    guard = ihp.ReplayGuard(capacity=4)
    ihp.decrypt_capsule(sealed(GOLDEN), GOLDEN.env_hash, GOLDEN.session_key(),
                        CapsuleTimestamp(GOLDEN.timestamp), IhpConfig(), guard)
    text = repr(guard)
    assert "entries=1" in text and "capacity=4" in text
    _assert_clean(text, GOLDEN.nonce, GOLDEN.password)
