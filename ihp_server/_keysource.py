"""Where K_master comes from: a key *source* string names it without holding it (spec §6).

Forms: ``hex:<64 hex>`` (tests only: the key sits in the process list), ``file:PATH``
(64 hex characters or standard base64 of 32 bytes), ``env:NAME`` (the same two encodings
in an environment variable), ``provider:module:callable`` (the HSM/KMS hook: a callable
with no arguments returning a `MasterKeyProvider`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ihp_ref import InMemoryKeyProvider, MasterKeyProvider

__all__ = ["KEY_SOURCE_KINDS", "KeySource", "KeySourceError", "decode_key_text", "key_id",
           "write_new_key_file"]

KEY_SOURCE_KINDS = ("hex", "file", "env", "provider")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


class KeySourceError(ValueError):
    """A key source that cannot be read. Messages never contain key bytes."""


def decode_key_text(text: str) -> bytes:
    """64 hex characters or standard base64 of exactly 32 bytes."""
    text = text.strip()
    if _HEX64.fullmatch(text):
        return bytes.fromhex(text)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise KeySourceError("key material must be 64 hex characters or base64 of 32 bytes")
    return raw


def key_id(provider: MasterKeyProvider) -> str:
    """A short public name for a key (first 8 bytes of a domain-separated SHA-256):
    lets operators tell keys apart in logs without revealing them."""
    with provider.master_key() as key:
        return hashlib.sha256(b"ihp-server key id v1\x00" + key.value).hexdigest()[:16]


@dataclass(frozen=True, slots=True, repr=False)
class KeySource:
    """A parsed key source; `repr` hides the reference of a ``hex:`` source."""

    kind: str
    ref: str

    def __repr__(self) -> str:
        shown = "<redacted>" if self.kind == "hex" else self.ref
        return f"KeySource({self.kind}:{shown})"

    def __str__(self) -> str:
        return repr(self)

    @classmethod
    def parse(cls, text: str) -> KeySource:
        kind, sep, ref = text.partition(":")
        if not sep or kind not in KEY_SOURCE_KINDS or not ref:
            raise KeySourceError(f"key source must be one of {', '.join(KEY_SOURCE_KINDS)}:…")
        return cls(kind, ref)

    def spec(self) -> str:
        """The source string, for writing back to a key ring file."""
        return f"{self.kind}:{self.ref}"

    def load(self, environ: Mapping[str, str] | None = None) -> MasterKeyProvider:
        environ = os.environ if environ is None else environ
        if self.kind == "provider":
            return _load_provider(self.ref)
        if self.kind == "hex":
            text = self.ref
        elif self.kind == "env":
            if self.ref not in environ:
                raise KeySourceError(f"environment variable {self.ref} is not set")
            text = environ[self.ref]
        else:
            try:
                text = Path(self.ref).read_text(encoding="ascii")
            except (OSError, UnicodeDecodeError) as exc:
                raise KeySourceError(f"cannot read key file {self.ref}") from exc
        return InMemoryKeyProvider(decode_key_text(text))


def _load_provider(ref: str) -> MasterKeyProvider:
    module_name, sep, attr = ref.partition(":")
    if not sep:
        raise KeySourceError("provider source must be provider:module:callable")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise KeySourceError(f"cannot import key provider {ref}") from exc
    provider = factory()
    if not callable(getattr(provider, "master_key", None)):
        raise KeySourceError(f"{ref} did not return a MasterKeyProvider")
    return provider  # type: ignore[no-any-return]


def write_new_key_file(path: Path) -> None:
    """A fresh CSPRNG key as 64 hex characters, mode 0600; never overwrites a file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
