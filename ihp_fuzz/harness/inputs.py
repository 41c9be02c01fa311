"""Input layouts of the capsule harnesses (what a corpus file holds).

`nonce_mutation`: ``i64le(now) ‖ u8(config variant) ‖ capsule``, the capsule in the binary
form (spec §9.2), or in the JSON form (§9.1) when its first byte is ``{``.

`json_model`: any bytes; but ``ff fe ‖ u32le(size) ‖ document`` (never UTF-8) stands for
the document grown to `size` bytes with spaces before its last byte, so that spec §9.1's
1 MiB cap is a few input bytes away (an input of 1 MiB would be truncated by -max_len,
and cost its parse on every mutation).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from ihp_fuzz.harness import wire
from ihp_fuzz.harness.model import CapsuleFields, ModelConfig

__all__ = [
    "CONFIG_VARIANTS",
    "PADDED_PREFIX_BYTES",
    "PREFIX_BYTES",
    "MutationInput",
    "decode_capsule",
    "decode_padded",
    "encode_capsule",
    "encode_padded",
    "parse_mutation_input",
]

PREFIX_BYTES = 9

# Configurations the nonce_mutation harness decrypts under; the input's byte 8 picks one
# (modulo the table's length). Invalid ones are there so the Config step is reached too.
CONFIG_VARIANTS: tuple[ModelConfig, ...] = (
    ModelConfig(),
    ModelConfig(allowed_versions=frozenset({1, 2})),
    ModelConfig(max_timestamp_drift=0),
    ModelConfig(max_timestamp_drift=604_800),
    ModelConfig(max_payload_bytes=8),
    ModelConfig(allowed_versions=frozenset({2})),
    ModelConfig(max_timestamp_drift=604_801),  # invalid: Config
    ModelConfig(allowed_versions=frozenset()),  # invalid: Config
)


class MutationInput(NamedTuple):  # a tuple: made once per execution, cheaply
    now: int
    config_index: int
    capsule_bytes: bytes
    is_json: bool

    @property
    def config(self) -> ModelConfig:
        return CONFIG_VARIANTS[self.config_index % len(CONFIG_VARIANTS)]

    def encode(self) -> bytes:
        return struct.pack("<qB", self.now, self.config_index) + self.capsule_bytes


def parse_mutation_input(data: bytes) -> MutationInput | None:
    """None when the input is too short to hold the prefix."""
    if len(data) < PREFIX_BYTES:
        return None
    now, index = struct.unpack_from("<qB", data)
    body = data[PREFIX_BYTES:]
    return MutationInput(now, index, body, body[:1] == b"{")


def decode_capsule(body: bytes, is_json: bool) -> CapsuleFields | None:
    return wire.from_json(body) if is_json else wire.from_binary(body)


def encode_capsule(fields: CapsuleFields, as_json: bool) -> bytes:
    return wire.to_json(fields).encode() if as_json else wire.to_binary(fields)


PADDED_MAGIC = b"\xff\xfe"
PADDED_PREFIX_BYTES = 6
_MAX_PADDED = (1 << 20) + 64  # the cap and a little more: past it, nothing new


def encode_padded(size: int, document: bytes) -> bytes:
    return PADDED_MAGIC + struct.pack("<I", size) + document


def decode_padded(data: bytes) -> bytes:
    """The document a padded input stands for; any other input as it is."""
    if not data.startswith(PADDED_MAGIC) or len(data) <= PADDED_PREFIX_BYTES:
        return data
    size: int = struct.unpack_from("<I", data, 2)[0]
    document = data[PADDED_PREFIX_BYTES:]
    if not len(document) <= size <= _MAX_PADDED:
        return data
    return document[:-1] + b" " * (size - len(document)) + document[-1:]
