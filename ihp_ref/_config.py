"""`IhpConfig`, its builder and `validate` (spec §4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

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

__all__ = ["AEAD_AES256GCM", "IhpConfig", "IhpConfigBuilder", "validate"]

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
        return IhpConfigBuilder()

    def validate(self) -> None:
        validate(self)


def _within(value: object, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def validate(config: IhpConfig) -> None:
    """spec §4: any field outside its range → `Config`."""
    if not config._valid:
        raise IhpError(ErrorCode.CONFIG)


def _in_range(config: IhpConfig) -> bool:
    return bool(
        _within(config.max_timestamp_drift, 0, MAX_ALLOWED_DRIFT_SECONDS)
        and config.allowed_versions
        and all(type(v) is int or type(v) is ProtocolVersion for v in config.allowed_versions)
        and config.allowed_versions <= _KNOWN_VERSIONS
        and config.aead_algorithm == AEAD_AES256GCM
        and _within(config.max_payload_bytes, 1, MAX_PAYLOAD_BYTES)
        and _within(config.max_fingerprint_bytes, 1, MAX_FINGERPRINT_BYTES)
    )


class IhpConfigBuilder:
    """The runbook's builder. Only the drift setter checks eagerly (spec §4)."""

    __slots__ = ("_config",)

    def __init__(self) -> None:
        self._config = IhpConfig()

    def max_timestamp_drift(self, seconds: int) -> IhpConfigBuilder:
        # spec §4: a negative or > 604,800 drift never reaches the config
        if not _within(seconds, 0, MAX_ALLOWED_DRIFT_SECONDS):
            raise IhpError(ErrorCode.INVALID_TIMESTAMP)
        self._config = replace(self._config, max_timestamp_drift=seconds)
        return self

    def allowed_versions(self, versions: Iterable[int]) -> IhpConfigBuilder:
        self._config = replace(self._config, allowed_versions=frozenset(versions))
        return self

    def aead_algorithm(self, name: str) -> IhpConfigBuilder:
        self._config = replace(self._config, aead_algorithm=name)
        return self

    def max_payload_bytes(self, limit: int) -> IhpConfigBuilder:
        self._config = replace(self._config, max_payload_bytes=limit)
        return self

    def max_fingerprint_bytes(self, limit: int) -> IhpConfigBuilder:
        self._config = replace(self._config, max_fingerprint_bytes=limit)
        return self

    def build(self) -> IhpConfig:
        return self._config
