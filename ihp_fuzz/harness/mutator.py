"""The structure-aware custom mutator of the capsule harnesses (issue 5 §1).

Decode the capsule, mutate one field with `atheris.Mutate` (or an interesting value),
re-encode, and sometimes re-seal with the harness key so that mutations get past the AEAD
and reach the checks behind it (spec §7.5 steps 5-8). A share of the time (1/8 for
nonce_mutation, 1/2 for json_model and binary_decode, whose subject is malformed bytes),
and whenever the input does not decode, it falls back to libFuzzer's byte-level mutation.
(json_decode uses libFuzzer's mutations alone.)
"""

from __future__ import annotations

import struct
from typing import TypeVar

import atheris  # type: ignore[import-untyped]

from ihp_fuzz.harness import golden, inputs, reference
from ihp_fuzz.harness.model import I64_MAX, I64_MIN, U64_MAX, CapsuleFields, open_payload, seal

__all__ = ["CapsuleMutator", "decoder_mutator"]

T = TypeVar("T")

_INTERESTING_U64 = (0, 1, 44, 0x7F, 0x80, 0xFF, 0x100, 2**32 - 1, 2**32, 2**63 - 1, 2**63,
                    U64_MAX)
_INTERESTING_SMALL = {"version": (0, 1, 2, 3, 255), "rtt_bucket": (0, 1, 5, 255),
                      "path_hint": (0, 1, 120, 0xFFFF)}
_INT_FIELDS = ("version", "header_id", "server_profile_id", "rtt_bucket", "path_hint")
_WIDTH = {"version": 1, "header_id": 8, "server_profile_id": 8, "rtt_bucket": 1, "path_hint": 2}


class _Rng:
    """xorshift32 seeded by libFuzzer's seed: `random.Random(seed)` alone costs ~10 µs,
    a fifth of the per-execution budget; this needs well under 1 µs per draw."""

    __slots__ = ("_state",)

    def __init__(self, seed: int) -> None:
        self._state = (seed & 0xFFFFFFFF) or 0x9E3779B9

    def _next(self) -> int:
        x = self._state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self._state = x
        return x

    def random(self) -> float:
        return self._next() / 4294967296.0

    def randrange(self, n: int) -> int:
        return self._next() % n if n > 1 else 0

    def randint(self, low: int, high: int) -> int:
        return low + self.randrange(high - low + 1)

    def choice(self, items: tuple[T, ...]) -> T:
        return items[self.randrange(len(items))]


def _mutate_int(rng: _Rng, value: int, width: int, interesting: tuple[int, ...]) -> int:
    if rng.random() < 0.5:
        return rng.choice(interesting)
    raw = atheris.Mutate(value.to_bytes(width, "little"), width)
    return int.from_bytes(raw.ljust(width, b"\0")[:width], "little")


def decoder_mutator() -> CapsuleMutator:
    """The decoder harnesses' mutator: golden capsules, byte-level half of the time."""
    return CapsuleMutator(reference.golden_session_key(), golden.GOLDEN_ENV_HASH,
                          timestamp_hint=golden.GOLDEN_TIMESTAMP, byte_level_share=0.5)


class CapsuleMutator:
    """`custom_mutator` for inputs that are a capsule, optionally after a fixed prefix.

    `key`/`env_hash` are the harness's session key and env hash (re-sealing needs them);
    `prefix_bytes` is 9 for nonce_mutation (now, config), 0 for the decoder harnesses.
    """

    def __init__(self, key: bytes, env_hash: bytes, *, prefix_bytes: int = 0,
                 timestamp_hint: int = 0, byte_level_share: float = 0.125) -> None:
        self._key = key
        self._env_hash = env_hash
        self._prefix_bytes = prefix_bytes
        self._timestamp_hint = timestamp_hint
        self._byte_level_share = byte_level_share

    def __call__(self, data: bytes, max_size: int, seed: int) -> bytes:
        rng = _Rng(seed)
        if rng.random() < self._byte_level_share:  # before decoding: the cheap path
            return bytes(atheris.Mutate(data, max_size))
        prefix, body = data[: self._prefix_bytes], data[self._prefix_bytes:]
        is_json = body[:1] == b"{"
        fields = inputs.decode_capsule(body, is_json) if len(prefix) == self._prefix_bytes else None
        if fields is None:
            return bytes(atheris.Mutate(data, max_size))
        choice = rng.random()
        if self._prefix_bytes and choice < 0.2:
            prefix = self._mutate_prefix(rng, prefix)
        elif choice < 0.55:
            fields = self._mutate_field(rng, fields)
        else:
            fields = self._reseal(rng, fields)
        # the input keeps its wire form: the JSON seeds are entry points, not the bulk
        out = prefix + inputs.encode_capsule(fields, is_json)
        return out if len(out) <= max_size else atheris.Mutate(data, max_size)

    def _mutate_prefix(self, rng: _Rng, prefix: bytes) -> bytes:
        now, config_index = struct.unpack("<qB", prefix)
        if rng.random() < 0.3:
            config_index = rng.randrange(256)
        else:
            hint = self._timestamp_hint
            now = rng.choice((hint, hint + 300, hint + 301, hint - 300, hint - 301, hint + 1,
                              hint + 604_800, hint - 604_801, I64_MIN, I64_MIN + 1, I64_MAX,
                              0, now + rng.randint(-1000, 1000)))
            now = max(I64_MIN, min(I64_MAX, now))
        return struct.pack("<qB", now, config_index)

    def _mutate_field(self, rng: _Rng, fields: CapsuleFields) -> CapsuleFields:
        name = rng.choice((*_INT_FIELDS, "client_nonce", "payload", "payload"))
        if name == "client_nonce":
            nonce = atheris.Mutate(fields.client_nonce, 12).ljust(12, b"\0")[:12]
            return fields._replace(client_nonce=nonce)
        if name == "payload":
            return fields._replace(payload=self._mutate_payload(rng, fields.payload))
        interesting = _INTERESTING_SMALL.get(name, _INTERESTING_U64)
        value = _mutate_int(rng, getattr(fields, name), _WIDTH[name], interesting)
        return fields._replace(**{name: value})  # type: ignore[arg-type]

    @staticmethod
    def _mutate_payload(rng: _Rng, payload: bytes) -> bytes:
        if payload and rng.random() < 0.3:  # flip one bit: nonce, ciphertext or tag
            index = rng.randrange(len(payload))
            return payload[:index] + bytes([payload[index] ^ (1 << rng.randrange(8))]) + \
                payload[index + 1:]
        return bytes(atheris.Mutate(payload, len(payload) + 64))

    def _reseal(self, rng: _Rng, fields: CapsuleFields) -> CapsuleFields:
        """Mutate the plaintext (or a clear field) and seal it again with the harness key."""
        body = open_payload(self._key, fields, self._env_hash)
        if body is None or len(body) < 20:
            body = _default_body(fields.header_id, self._timestamp_hint)
        if rng.random() < 0.3:
            fields = self._mutate_field(rng, fields._replace(payload=b""))
        body = _mutate_body(rng, body, fields.header_id, self._timestamp_hint)
        return fields._replace(payload=seal(self._key, fields, self._env_hash, body))


def _default_body(header_id: int, timestamp: int) -> bytes:
    """A well-formed plaintext (spec §7.3) to re-seal when the payload does not open."""
    return struct.pack("<I", 12) + b"known-answer" + struct.pack("<qQ", timestamp, header_id)


def _mutate_body(rng: _Rng, body: bytes, header_id: int, hint: int) -> bytes:
    """One plaintext-level change (spec §7.3 fields), keeping the layout most of the time."""
    if len(body) < 20 or rng.random() < 0.15:
        return bytes(atheris.Mutate(body, len(body) + 32))
    (declared,) = struct.unpack_from("<I", body)
    if 4 + declared + 16 != len(body):
        return bytes(atheris.Mutate(body, len(body) + 32))
    password = body[4:4 + declared]
    timestamp, embedded = struct.unpack_from("<qQ", body, 4 + declared)
    what = rng.randrange(5)
    if what == 0:
        password = atheris.Mutate(password, max(len(password) * 2, 16))
    elif what == 1:
        timestamp = rng.choice((I64_MIN, I64_MIN + 1, I64_MAX, 0, hint, hint + 300, hint + 301,
                                hint - 300, hint - 301, timestamp + rng.randint(-500, 500)))
        timestamp = max(I64_MIN, min(I64_MAX, timestamp))
    elif what == 2:
        embedded = _mutate_int(rng, embedded, 8, (header_id, header_id ^ 1, 0, U64_MAX))
    elif what == 3:
        declared = rng.choice((declared + 1, declared - 1 if declared else 1, 65_536, 65_537,
                               2**32 - 1, 0))
        return struct.pack("<I", declared) + password + struct.pack("<qQ", timestamp, embedded)
    else:
        return body[: rng.randrange(len(body))]  # truncated plaintext: < 20 bytes or bad total
    return struct.pack("<I", len(password)) + password + struct.pack("<qQ", timestamp, embedded)
