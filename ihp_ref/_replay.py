"""The replay guard (spec §13): remembers successful capsules' nonces for one drift window."""

from __future__ import annotations

import hashlib
import heapq
import threading

from ._errors import ErrorCode, IhpError
from ._metrics import NOOP_METRICS, REPLAY_CAPACITY_EXHAUSTED, MetricsSink

__all__ = ["DEFAULT_REPLAY_CAPACITY", "ReplayGuard"]

# Entries are forgotten only when the guard is full, so a busy server sits at capacity:
# 2^18 entries is about 80 MB, and covers 870 authentications a second for a 300 s window.
DEFAULT_REPLAY_CAPACITY = 1 << 18

_Key = tuple[int, bytes]  # (server_profile_id, client_nonce)


class ReplayGuard:
    """`(server_profile_id, client_nonce) → SHA-256(payload)`, kept until `timestamp +
    max_timestamp_drift` (older capsules fail the drift check anyway). Thread-safe.

    Bounded: when full, it first forgets the entries dead at `now`, then fails closed
    with `NonceReuse` and counts `ihp.replay.capacity_exhausted`. Its clock is the `now`
    of each decryption. Memory: about 300 bytes an entry (see `DEFAULT_REPLAY_CAPACITY`).
    """

    __slots__ = ("_capacity", "_entries", "_expiries", "_lock", "_metrics")

    def __init__(
        self, capacity: int = DEFAULT_REPLAY_CAPACITY, metrics: MetricsSink = NOOP_METRICS
    ) -> None:
        if type(capacity) is not int or capacity < 1:
            raise ValueError("capacity must be a positive int")
        self._capacity = capacity
        self._metrics = metrics
        self._entries: dict[_Key, tuple[bytes, int]] = {}
        self._expiries: list[tuple[int, _Key]] = []  # min-heap of (expires_at, key)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"ReplayGuard(entries={len(self._entries)}, capacity={self._capacity})"

    def check_and_record(
        self, server_profile_id: int, client_nonce: bytes, payload: bytes,
        timestamp: int, now: int, window: int,
    ) -> None:
        """spec §7.5 step 9: reuse, collision, or record. Only successes reach here."""
        key = (server_profile_id, client_nonce)
        digest = hashlib.sha256(payload).digest()
        with self._lock:
            seen = self._entries.get(key)
            # an entry is live while now ≤ its expiry, whatever `now`s came before: the
            # guard's clock is each request's `now`, and it may go backwards
            if seen is not None and now <= seen[1]:
                same = seen[0] == digest  # digests of public ciphertext: no timing secret
                raise IhpError(ErrorCode.NONCE_REUSE if same else ErrorCode.NONCE_COLLISION)
            if seen is None and len(self._entries) >= self._capacity:
                self._expire(now)  # only a full guard forgets entries dead at `now`
                if len(self._entries) >= self._capacity:
                    self._metrics.increment(REPLAY_CAPACITY_EXHAUSTED)
                    raise IhpError(ErrorCode.NONCE_REUSE)  # fail closed
            expires_at = timestamp + window
            self._entries[key] = (digest, expires_at)
            heapq.heappush(self._expiries, (expires_at, key))

    def _expire(self, now: int) -> None:
        # an entry lives while now ≤ timestamp + window: the drift check still accepts it
        expiries = self._expiries
        while expiries and expiries[0][0] < now:
            expires_at, key = heapq.heappop(expiries)
            entry = self._entries.get(key)
            if entry is not None and entry[1] == expires_at:
                del self._entries[key]
