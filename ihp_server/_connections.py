"""Connection limits of the HTTPS front-end, without I/O: the deadlines, the slot table
that sheds the oldest connection still waiting for a request, and the rate-limited report
of limits that bite.

A connection that has not yet sent a complete request (TLS handshake, request head or
body under way, or a keep-alive connection idle between requests) costs the server a
socket and nothing else; an attacker can open thousands. So when every slot is taken, a
new connection takes the slot of the one that has been waiting longest, and only
connections whose request is complete (being answered) are never shed. A per-address cap
would not do: attackers and clients share addresses behind a NAT.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = [
    "CLOSE_REASONS",
    "TIMEOUTS",
    "Admission",
    "ConnectionLimits",
    "ConnectionTable",
    "LimitReport",
]

# why the front-end closed a connection early: the `reason` label of
# ihp_server_connections_closed_total and the `reason` field of the log event
CLOSE_REASONS = ("handshake_timeout", "head_timeout", "body_timeout", "idle_timeout",
                 "send_timeout", "shed", "refused")
TIMEOUTS = ("handshake_timeout", "head_timeout", "body_timeout", "idle_timeout",
            "send_timeout")
_MAX_TIMEOUT = 3600.0


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """Seconds are whole-phase deadlines, never per read: a peer sending a byte a second
    gains nothing.

    - `handshake_timeout`: accept → TLS handshake complete;
    - `head_timeout`: handshake complete (first request) or first byte of a keep-alive
      request → the request head complete;
    - `body_timeout`: head complete → body complete;
    - `idle_timeout`: a keep-alive connection waiting for its next request's first byte;
    - `send_timeout`: writing one response (a peer that never reads holds no slot).
    """

    max_connections: int = 4096
    handshake_timeout: float = 10.0
    head_timeout: float = 10.0
    body_timeout: float = 30.0
    idle_timeout: float = 30.0
    send_timeout: float = 30.0

    def __post_init__(self) -> None:
        if isinstance(self.max_connections, bool) or not 1 <= self.max_connections <= 1 << 20:
            raise ValueError("max_connections must be 1..1048576")
        for name in TIMEOUTS:
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 < value <= _MAX_TIMEOUT):
                raise ValueError(f"{name} must be in (0, {_MAX_TIMEOUT:g}] seconds")


K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Admission(Generic[K]):
    admitted: bool
    shed: K | None = None  # the connection to close to make room, if any


class ConnectionTable(Generic[K]):
    """Slots for `capacity` connections. Each is *waiting* (no complete request yet; may
    be shed, oldest first) or *busy* (a complete request is being answered)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._waiting: OrderedDict[K, None] = OrderedDict()  # oldest wait first
        self._busy: set[K] = set()

    def __len__(self) -> int:
        return len(self._waiting) + len(self._busy)

    def admit(self, key: K) -> Admission[K]:
        """A new connection: admitted as waiting, shedding the oldest waiting one when
        full; refused only when every slot is busy."""
        shed: K | None = None
        if len(self) >= self.capacity:
            if not self._waiting:
                return Admission(False)
            shed, _ = self._waiting.popitem(last=False)
        self._waiting[key] = None
        return Admission(True, shed)

    def busy(self, key: K) -> None:
        """`key` sent a complete request: it keeps its slot until it waits again."""
        if key in self._waiting:
            del self._waiting[key]
            self._busy.add(key)

    def waiting(self, key: K) -> None:
        """`key` waits for its next request: the newest in the shedding order."""
        if key in self._busy:
            self._busy.discard(key)
            self._waiting[key] = None

    def remove(self, key: K) -> None:
        self._waiting.pop(key, None)
        self._busy.discard(key)


class LimitReport:
    """Counts the bites of each limit and says when to log: the first bite of a reason at
    once, then at most one line per `interval` seconds with the count since the last
    line (a flood must not become a log flood; the metric keeps the exact total)."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._pending: dict[str, int] = dict.fromkeys(CLOSE_REASONS, 0)
        self._last_logged: dict[str, float] = {}

    def bite(self, reason: str, now: float) -> int:
        """Record one bite at monotonic time `now`; the count to log now, or 0."""
        self._pending[reason] += 1
        last = self._last_logged.get(reason)
        if last is not None and now - last < self.interval:
            return 0
        self._last_logged[reason] = now
        count, self._pending[reason] = self._pending[reason], 0
        return count
