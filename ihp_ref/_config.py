"""`IhpConfig` and `validate` (spec §4); the runbook's builder is `_builder`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._constants import (
    DEFAULT_MAX_TIMESTAMP_DRIFT_SECONDS,
    MAX_ALLOWED_DRIFT_SECONDS,
    MAX_FINGERPRINT_BYTES,
    MAX_PAYLOAD_BYTES,
    PROTOCOL_VERSION_EXPERIMENTAL_V2,
    PROTOCOL_VERSION_V1,
)
from ._errors import ErrorCode, IhpError
from ._values import ProtocolVersion

if TYPE_CHECKING:
    from ._builder import IhpConfigBuilder

__all__ = ["AEAD_AES256GCM", "IhpConfig", "validate"]

AEAD_AES256GCM = "AES256GCM"  # spec §4: the wire name of the only AEAD
_KNOWN_VERSIONS = frozenset({PROTOCOL_VERSION_V1, PROTOCOL_VERSION_EXPERIMENTAL_V2})


@dataclass(frozen=True, slots=True)
class IhpConfig:
    """A configuration is a value (spec §4): made freely, checked by `validate`, which
    encryption and decryption call first so that their order of checks holds."""

    max_timestamp_drift: int = DEFAULT_MAX_TIMESTAMP_DRIFT_SECONDS
    allowed_versions: frozenset[int] = field(default=frozenset({PROTOCOL_VERSION_V1}))
    aead_algorithm: str = AEAD_AES256GCM
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    max_fingerprint_bytes: int = MAX_FINGERPRINT_BYTES
    # computed once: the config is immutable, and decryption asks on every call
    _valid: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.allowed_versions, frozenset):
            object.__setattr__(self, "allowed_versions", frozenset(self.allowed_versions))
        object.__setattr__(self, "_valid", _in_range(self))

    @staticmethod
    def builder() -> IhpConfigBuilder:
        from ._builder import IhpConfigBuilder

        return IhpConfigBuilder()

    def validate(self) -> None:
        validate(self)


def within(value: object, low: int, high: int) -> bool:
    """`value` is an int (not a bool) from `low` to `high`."""
    return type(value) is int and low <= value <= high


def validate(config: IhpConfig) -> None:
    """spec §4: any field outside its range → `Config`."""
    if not config._valid:
        raise IhpError(ErrorCode.CONFIG)


def _in_range(config: IhpConfig) -> bool:
    return bool(
        within(config.max_timestamp_drift, 0, MAX_ALLOWED_DRIFT_SECONDS)
        and config.allowed_versions
        and all(type(v) is int or type(v) is ProtocolVersion for v in config.allowed_versions)
        and config.allowed_versions <= _KNOWN_VERSIONS
        and config.aead_algorithm == AEAD_AES256GCM
        and within(config.max_payload_bytes, 1, MAX_PAYLOAD_BYTES)
        and within(config.max_fingerprint_bytes, 1, MAX_FINGERPRINT_BYTES)
    )
