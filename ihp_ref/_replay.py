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
    """`(server_profile_id, client_nonce) → SHA-256(payload)` of every successful capsule,
    remembered while a replay could still pass the drift check (spec §13). Thread-safe.

    An entry is live while `now ≤ timestamp + max_timestamp_drift`, with the `now` and
    the drift of the decryption that asks: a clock that goes backwards, or a drift raised
    on a running server (the runbook's drift tuning), never lets a replay through.
    Bounded: when full, it first forgets the entries dead at `now`, then fails closed with
    `NonceReuse` and counts `ihp.replay.capacity_exhausted`. Memory: about 300 bytes an
    entry (see `DEFAULT_REPLAY_CAPACITY`).
    """

    __slots__ = ("_by_timestamp", "_capacity", "_entries", "_lock", "_metrics")

    def __init__(
        self, capacity: int = DEFAULT_REPLAY_CAPACITY, metrics: MetricsSink = NOOP_METRICS
    ) -> None:
        if type(capacity) is not int or capacity < 1:
            raise ValueError("capacity must be a positive int")
        self._capacity = capacity
        self._metrics = metrics
        self._entries: dict[_Key, tuple[bytes, int]] = {}  # key → (digest, timestamp)
        self._by_timestamp: list[tuple[int, _Key]] = []  # min-heap, to forget the oldest
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def capacity(self) -> int:
        return self._capacity

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
            if seen is not None and now <= seen[1] + window:
                same = seen[0] == digest  # digests of public ciphertext: no timing secret
                raise IhpError(ErrorCode.NONCE_REUSE if same else ErrorCode.NONCE_COLLISION)
            if seen is None and len(self._entries) >= self._capacity:
                self._forget_dead(now, window)
                if len(self._entries) >= self._capacity:
                    self._metrics.increment(REPLAY_CAPACITY_EXHAUSTED)
                    raise IhpError(ErrorCode.NONCE_REUSE)  # fail closed
            self._entries[key] = (digest, timestamp)
            heapq.heappush(self._by_timestamp, (timestamp, key))

    def _forget_dead(self, now: int, window: int) -> None:
        # only a full guard forgets, and only what no capsule could replay at `now`
        heap = self._by_timestamp
        while heap and heap[0][0] + window < now:
            timestamp, key = heapq.heappop(heap)
            entry = self._entries.get(key)
            if entry is not None and entry[1] == timestamp:
                del self._entries[key]
