"""spec §4: configuration ranges, the builder's drift setter, validate."""

from __future__ import annotations

import pytest

import ihp_ref as ihp
from ihp_ref import ErrorCode, IhpConfig, IhpError


def _code(fn: object) -> ErrorCode:
    with pytest.raises(IhpError) as info:
        fn()  # type: ignore[operator]
    return info.value.code


def test_default_config_is_the_spec_default() -> None:
    config = IhpConfig()
    assert (config.max_timestamp_drift, config.allowed_versions, config.aead_algorithm,
            config.max_payload_bytes, config.max_fingerprint_bytes) == (
        300, frozenset({1}), "AES256GCM", 65_536, 4_096)
    ihp.validate(config)


@pytest.mark.parametrize("field,value", [
    ("max_timestamp_drift", 0), ("max_timestamp_drift", 604_800),
    ("allowed_versions", frozenset({2})), ("allowed_versions", frozenset({1, 2})),
    ("max_payload_bytes", 1), ("max_payload_bytes", 65_536),
    ("max_fingerprint_bytes", 1), ("max_fingerprint_bytes", 4_096),
])
def test_validate_accepts_every_boundary_inside_the_range(field: str, value: object) -> None:
    ihp.validate(IhpConfig(**{field: value}))


@pytest.mark.parametrize("field,value", [
    ("max_timestamp_drift", -1), ("max_timestamp_drift", 604_801),
    ("max_timestamp_drift", True), ("max_timestamp_drift", 300.0),
    ("allowed_versions", frozenset()), ("allowed_versions", frozenset({3})),
    ("allowed_versions", frozenset({0, 1})), ("allowed_versions", frozenset({True})),
    ("allowed_versions", frozenset({1.0})), ("aead_algorithm", "CHACHA20POLY1305"),
    ("aead_algorithm", "aes256gcm"),
    ("max_payload_bytes", 0), ("max_payload_bytes", 65_537),
    ("max_fingerprint_bytes", 0), ("max_fingerprint_bytes", 4_097),
])
def test_validate_rejects_every_field_outside_its_range_with_config(
    field: str, value: object
) -> None:
    assert _code(lambda: ihp.validate(IhpConfig(**{field: value}))) is ErrorCode.CONFIG


@pytest.mark.parametrize("drift", [-1, 604_801, -(2**63)])
def test_builder_drift_setter_rejects_out_of_range_with_invalid_timestamp(drift: int) -> None:
    assert _code(lambda: IhpConfig.builder().max_timestamp_drift(drift)) is (
        ErrorCode.INVALID_TIMESTAMP)


@pytest.mark.parametrize("drift", [0, 1, 604_799, 604_800])
def test_builder_drift_setter_accepts_every_value_of_the_spec_range(drift: int) -> None:
    config = IhpConfig.builder().max_timestamp_drift(drift).build()
    assert config == IhpConfig(max_timestamp_drift=drift)
    config.validate()


def test_builder_leaves_other_fields_to_validate() -> None:
    config = IhpConfig.builder().max_payload_bytes(0).build()
    assert config.max_payload_bytes == 0
    assert _code(config.validate) is ErrorCode.CONFIG


def test_builder_builds_the_runbook_example() -> None:
    config = (IhpConfig.builder().max_timestamp_drift(120)
              .allowed_versions({ihp.ProtocolVersion.V1, ihp.ProtocolVersion.EXPERIMENTAL_V2})
              .build())
    assert config == IhpConfig(max_timestamp_drift=120, allowed_versions=frozenset({1, 2}))


def test_configs_are_independent_values() -> None:
    strict = IhpConfig(max_timestamp_drift=0)
    loose = IhpConfig(max_timestamp_drift=604_800)
    assert strict.max_timestamp_drift == 0 and loose.max_timestamp_drift == 604_800
    with pytest.raises(AttributeError):
        strict.max_timestamp_drift = 5  # type: ignore[misc]


def test_a_config_repr_shows_the_spec_fields_only() -> None:
    text = repr(IhpConfig())
    assert text.startswith("IhpConfig(max_timestamp_drift=300, ") and "_valid" not in text


@pytest.mark.parametrize("versions", [{1, 2}, [1, 2], (2, 1)])
def test_allowed_versions_of_any_iterable_become_a_frozenset(versions: object) -> None:
    config = IhpConfig(allowed_versions=versions)  # type: ignore[arg-type]
    assert type(config.allowed_versions) is frozenset and config.allowed_versions == {1, 2}
    config.validate()


def test_every_builder_setter_returns_the_builder_and_sets_its_field() -> None:
    # the runbook chains the setters; each one must hand the builder back
    config = (IhpConfig.builder().max_timestamp_drift(60).allowed_versions([2])
              .aead_algorithm("CHACHA20POLY1305").max_payload_bytes(7)
              .max_fingerprint_bytes(9).build())
    assert config == IhpConfig(max_timestamp_drift=60, allowed_versions=frozenset({2}),
                               aead_algorithm="CHACHA20POLY1305", max_payload_bytes=7,
                               max_fingerprint_bytes=9)
