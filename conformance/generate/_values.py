"""Random values in the shim encoding, drawn from one seeded `random.Random`."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, TypeVar

__all__ = ["I64_MAX", "I64_MIN", "U64_MAX", "Draw"]

I64_MIN = -(2**63)
I64_MAX = 2**63 - 1
U64_MAX = 2**64 - 1

T = TypeVar("T")

_TEXT_ALPHABETS = (
    "abcdefghijklmnopqrstuvwxyz0123456789:-_.",
    "é€中\U0001f600 \t",
    "\x00:",
)


class Draw:
    """Value makers; every choice comes from `rng`, so a seed fixes every case."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._turns: dict[str, int] = {}

    def cycle(self, key: str, options: Sequence[T]) -> T:
        """The options in turn (per key), so that even a small volume covers every kind."""
        turn = self._turns.get(key, 0)
        self._turns[key] = turn + 1
        return options[turn % len(options)]

    def hexbytes(self, n: int) -> str:
        return self.rng.randbytes(n).hex()

    def u64(self) -> str:
        r = self.rng.random()
        if r < 0.1:
            return str(self.rng.choice((0, 1, U64_MAX, U64_MAX - 1, 2**63, 2**32)))
        if r < 0.5:
            return str(self.rng.randrange(0, 1 << 16))
        return str(self.rng.randrange(0, U64_MAX + 1))

    def timestamp(self) -> int:
        r = self.rng.random()
        if r < 0.1:
            return self.rng.choice((I64_MIN + 1, I64_MAX, 0, -1, 1))
        if r < 0.8:
            return self.rng.randrange(1_500_000_000, 2_000_000_000)
        return self.rng.randrange(I64_MIN + 1, I64_MAX + 1)

    def network(self) -> dict[str, int]:
        rtt = self.rng.choice((0, 255, self.rng.randrange(0, 256)))
        path = self.rng.choice((1, 120, 65535, self.rng.randrange(1, 65536)))
        return {"rtt_bucket": rtt, "path_hint": path}

    def text(self, max_len: int = 24) -> str:
        alphabet = (
            self.rng.choice(_TEXT_ALPHABETS[:2])
            if self.rng.random() < 0.9
            else "".join(_TEXT_ALPHABETS)
        )
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randrange(0, max_len)))

    def sep(self) -> dict[str, Any]:
        quote: str | None = None
        r = self.rng.random()
        if r < 0.3:
            quote = ""
        elif r < 0.6:
            quote = self.hexbytes(self.rng.randrange(1, 64))
        return {
            "cpu": self.text(),
            "nic": self.text(),
            "os": self.text(),
            "build": self.text(),
            "tpm_quote": quote,
        }

    def password(self, limit: int = 96) -> str:
        return self.hexbytes(self.rng.randrange(0, limit))

    def config(self) -> dict[str, Any]:
        """A valid configuration, sometimes with non-default fields, keys sometimes omitted."""
        cfg: dict[str, Any] = {
            "max_timestamp_drift": self.rng.choice((0, 1, 300, 3600, 604_800)),
            "allowed_versions": self.rng.choice(([1], [1, 2], [2, 1])),
            "aead_algorithm": "AES256GCM",
            "max_payload_bytes": self.rng.choice((65_536, 1024, 4096)),
            "max_fingerprint_bytes": self.rng.choice((4096, 64, 1)),
        }
        return {k: v for k, v in cfg.items() if self.rng.random() < 0.7}
