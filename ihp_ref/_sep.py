"""Server environment profile (SEP) and its hash (spec §5)."""

from __future__ import annotations

from dataclasses import dataclass

from ._config import IhpConfig, validate
from ._errors import ErrorCode, IhpError
from ._primitives import blake3_256
from ._values import ServerEnvHash

__all__ = ["ServerEnvironmentProfile", "compute_server_env_hash", "encode_sep"]

_DEFAULT_CONFIG = IhpConfig()


@dataclass(frozen=True, slots=True)
class ServerEnvironmentProfile:
    """Four UTF-8 fingerprints and an optional TPM quote, hashed as given (no trimming)."""

    cpu_fingerprint: str
    nic_fingerprint: str
    os_fingerprint: str
    app_build_fingerprint: str
    tpm_quote: bytes | None = None

    def __post_init__(self) -> None:
        for name in ("cpu_fingerprint", "nic_fingerprint", "os_fingerprint",
                     "app_build_fingerprint"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"{name} must be str")
        if self.tpm_quote is not None and not isinstance(self.tpm_quote, bytes):
            raise TypeError("tpm_quote must be bytes or None")


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate is not UTF-8 text
        raise IhpError(ErrorCode.CODEC) from None


def encode_sep(sep: ServerEnvironmentProfile, max_len: int) -> bytes:
    """The hash input of spec §5; every field's byte length MUST be ≤ `max_len`."""
    fields = [_utf8(sep.cpu_fingerprint), _utf8(sep.nic_fingerprint),
              _utf8(sep.os_fingerprint), _utf8(sep.app_build_fingerprint)]
    quote = sep.tpm_quote
    if any(len(f) > max_len for f in fields) or (quote is not None and len(quote) > max_len):
        raise IhpError(ErrorCode.CODEC)
    # Q = 0x01 ‖ quote when present (even empty), 0x00 when absent
    q = b"\x00" if quote is None else b"\x01" + quote
    return b"\x00".join(fields) + b"\x00" + q


def compute_server_env_hash(
    sep: ServerEnvironmentProfile, config: IhpConfig = _DEFAULT_CONFIG
) -> ServerEnvHash:
    """ServerEnvHash = BLAKE3(cpu ‖ 0 ‖ nic ‖ 0 ‖ os ‖ 0 ‖ build ‖ 0 ‖ Q) (spec §5).

    The limit is the config's `max_fingerprint_bytes`, so the config is validated first.
    """
    validate(config)
    return ServerEnvHash(blake3_256(encode_sep(sep, config.max_fingerprint_bytes)))
