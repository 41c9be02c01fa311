"""Durations on the command line: `90`, `90s`, `30m`, `8h`, `1h30m`."""

from __future__ import annotations

import re

from ihp_fuzz.errors import FuzzToolError

__all__ = ["parse_duration"]

_PART = re.compile(r"(\d+)([smhd]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """Seconds in `text`; FuzzToolError when it is not a positive duration."""
    cleaned = text.strip().lower()
    parts = _PART.findall(cleaned)
    if not cleaned or "".join(n + u for n, u in parts) != cleaned:
        raise FuzzToolError(f"not a duration: {text!r} (examples: 90s, 30m, 8h, 1h30m)")
    seconds = sum(int(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if seconds <= 0:
        raise FuzzToolError(f"duration must be positive: {text!r}")
    return seconds
