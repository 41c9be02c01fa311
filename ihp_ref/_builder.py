"""The runbook's `IhpConfigBuilder` (spec §4). No shim operation reaches this module: a
shim is handed a whole config (`config_validate`); the builder's tests pin it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ._config import IhpConfig, within
from ._constants import MAX_ALLOWED_DRIFT_SECONDS
from ._errors import ErrorCode, IhpError

__all__ = ["IhpConfigBuilder"]


class IhpConfigBuilder:
    """The runbook's builder. Only the drift setter checks eagerly (spec §4)."""

    __slots__ = ("_config",)

    def __init__(self) -> None:
        self._config = IhpConfig()

    def max_timestamp_drift(self, seconds: int) -> IhpConfigBuilder:
        # spec §4: a negative or > 604,800 drift never reaches the config
        if not within(seconds, 0, MAX_ALLOWED_DRIFT_SECONDS):
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
