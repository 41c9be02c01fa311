"""spec §5: the SEP encoding, its hash and its byte-length limits."""

from __future__ import annotations

import _independent as indep
import pytest

import ihp_ref as ihp
from ihp_ref import ErrorCode, IhpConfig, IhpError, ServerEnvironmentProfile


def _sep(cpu: str = "c", nic: str = "n", os_: str = "o", build: str = "b",
         quote: bytes | None = None) -> ServerEnvironmentProfile:
    return ServerEnvironmentProfile(cpu, nic, os_, build, quote)


@pytest.mark.parametrize("sep", [
    _sep(), _sep(quote=b""), _sep(quote=b"\x00\xff" * 10), _sep("", "", "", ""),
    _sep("cpu:é", "nic:日本", "os: spaced ", "build:\t"),
])
def test_sep_hash_matches_the_spec_encoding(sep: ServerEnvironmentProfile) -> None:
    expected = indep.sep_hash(sep.cpu_fingerprint, sep.nic_fingerprint, sep.os_fingerprint,
                              sep.app_build_fingerprint, sep.tpm_quote)
    assert ihp.compute_server_env_hash(sep).value == expected


def test_absent_quote_and_empty_quote_hash_differently() -> None:
    assert ihp.compute_server_env_hash(_sep()) != ihp.compute_server_env_hash(_sep(quote=b""))


def test_nul_in_fingerprints_is_ambiguous_as_the_spec_warns() -> None:
    # spec §14: "a\0" ‖ "b" and "a" ‖ "\0b" hash alike; implementations MUST hash as specified
    assert ihp.compute_server_env_hash(_sep("a\0", "b")) == ihp.compute_server_env_hash(
        _sep("a", "\0b"))


def test_fingerprints_are_not_trimmed_or_normalised() -> None:
    assert ihp.compute_server_env_hash(_sep("c")) != ihp.compute_server_env_hash(_sep("c "))
    assert ihp.compute_server_env_hash(_sep("\u00e9")) != ihp.compute_server_env_hash(
        _sep("e\u0301"))


def test_fingerprint_limit_counts_utf8_bytes_not_characters() -> None:
    two_byte = "é" * 2048  # 4,096 bytes: at the limit
    ihp.compute_server_env_hash(_sep(cpu=two_byte))
    with pytest.raises(IhpError) as info:
        ihp.compute_server_env_hash(_sep(cpu=two_byte + "a"))
    assert info.value.code is ErrorCode.CODEC


@pytest.mark.parametrize("field", ["cpu", "nic", "os_", "build", "quote"])
def test_each_field_over_the_configured_limit_is_codec(field: str) -> None:
    config = IhpConfig(max_fingerprint_bytes=8)
    at_limit = {field: b"12345678" if field == "quote" else "12345678"}
    ihp.compute_server_env_hash(_sep(**at_limit), config)  # type: ignore[arg-type]
    over = {field: b"123456789" if field == "quote" else "123456789"}
    with pytest.raises(IhpError) as info:
        ihp.compute_server_env_hash(_sep(**over), config)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.CODEC


def test_a_lone_surrogate_is_not_utf8_and_is_codec() -> None:
    with pytest.raises(IhpError) as info:
        ihp.compute_server_env_hash(_sep(cpu="\ud800"))
    assert info.value.code is ErrorCode.CODEC


def test_an_invalid_config_limit_is_config() -> None:
    with pytest.raises(IhpError) as info:
        ihp.compute_server_env_hash(_sep(), IhpConfig(max_fingerprint_bytes=0))
    assert info.value.code is ErrorCode.CONFIG


@pytest.mark.parametrize("field,value", [("cpu_fingerprint", b"cpu:x"), ("nic_fingerprint", None),
                                         ("os_fingerprint", 1), ("app_build_fingerprint", [])])
def test_a_fingerprint_that_is_not_text_is_a_type_error(field: str, value: object) -> None:
    fields: dict[str, object] = {"cpu_fingerprint": "cpu:a", "nic_fingerprint": "nic:b",
                                 "os_fingerprint": "os:c", "app_build_fingerprint": "build:d"}
    with pytest.raises(TypeError):
        ServerEnvironmentProfile(**{**fields, field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("quote", ["quote", bytearray(b"q"), memoryview(b"q"), 0])
def test_a_tpm_quote_that_is_not_bytes_or_none_is_a_type_error(quote: object) -> None:
    with pytest.raises(TypeError):
        ServerEnvironmentProfile("cpu:a", "nic:b", "os:c", "build:d", quote)  # type: ignore[arg-type]
