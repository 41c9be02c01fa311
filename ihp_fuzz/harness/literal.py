"""Literal `ihp-shim/1` requests as differential inputs, with long runs written short.

An input that starts with `{` is a request object, `{"op": …, "args": …}`, the way the
vectors write it (`ihp_fuzz.seeds` turns the vectors' boundary cases into such seeds).
Any string in it may be written `{"$runs": [[chunk, count], …]}`: the chunks repeated and
joined. A 1 MiB JSON document, 65 nested arrays or a 65,536-byte password then fit in a
few dozen input bytes, and the boundary is one digit away (`64` → `65`) for libFuzzer.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

__all__ = ["MAX_EXPANDED", "compress", "expand", "parse_literal"]

MAX_EXPANDED = (1 << 20) + 4096  # a string past 1 MiB and a bit; more is never a boundary
_MIN_RUN = 48  # characters a run must cover to be written as one
_RUNS = "$runs"
# where a run may start: some unit of 1 to 8 characters repeated to cover _MIN_RUN (group
# `unit` is the unit), found by the regex engine rather than a Python loop per character
_RUN_START = re.compile("|".join(f"(.{{{unit}}})\\{unit}{{{-(-_MIN_RUN // unit) - 1}}}"
                                 for unit in range(1, 9)), re.DOTALL)


class _TooLarge(Exception):
    pass


def _expand_runs(runs: object) -> str:
    if not isinstance(runs, list):
        raise _TooLarge
    parts: list[str] = []
    total = 0
    for run in runs:
        if (not isinstance(run, list) or len(run) != 2 or not isinstance(run[0], str)
                or type(run[1]) is not int or run[1] < 0):
            raise _TooLarge
        total += len(run[0]) * run[1]
        if total > MAX_EXPANDED:
            raise _TooLarge
        parts.append(run[0] * run[1])
    return "".join(parts)


def expand(value: Any) -> Any:
    """`value` with every `{"$runs": …}` replaced by its string; `_TooLarge` past the cap."""
    if isinstance(value, dict):
        if len(value) == 1 and _RUNS in value:
            return _expand_runs(value[_RUNS])
        return {key: expand(item) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item) for item in value]
    return value


def parse_literal(data: bytes) -> tuple[str, dict[str, Any]] | None:
    """The request `data` writes, or None (not a request object, or too large)."""
    try:
        request = json.loads(data)
        if not isinstance(request, dict):
            return None
        op, args = request.get("op"), expand(request.get("args"))
    except (ValueError, RecursionError, _TooLarge):
        return None
    if not isinstance(op, str) or not isinstance(args, dict):
        return None
    args.pop("replay_guard", None)  # a guard's state would tie a finding to earlier inputs
    return op, args


def _repeats(text: str, start: int, chunk: str) -> int:
    """How many times `chunk` repeats from `start` (at least 1): a doubling then a binary
    search over `startswith`, so a 1 MiB run costs a few dozen C-level compares, not a
    million Python-level ones (the seed corpus holds several such runs)."""
    low, high = 1, 2
    while text.startswith(chunk * high, start):
        low, high = high, high * 2
    while high - low > 1:  # chunk * low matches, chunk * high does not
        middle = (low + high) // 2
        if text.startswith(chunk * middle, start):
            low = middle
        else:
            high = middle
    return low


def _runs_of(text: str) -> list[list[Any]]:
    """`text` as [chunk, count] pairs: a repeated unit of 1 to 8 characters covering at
    least _MIN_RUN characters is one pair; the text between runs is a pair with count 1."""
    runs: list[list[Any]] = []
    literal_start = i = 0
    while (start := _RUN_START.search(text, i)) is not None:
        i = start.start()  # no run starts before: the text up to here stays literal
        best_unit, best_count = 0, 0
        for unit in range(1, 9):
            chunk = text[i:i + unit]
            count = _repeats(text, i, chunk)
            if len(chunk) == unit and unit * count >= _MIN_RUN and unit * count > \
                    best_unit * best_count:
                best_unit, best_count = unit, count
        if literal_start < i:
            runs.append([text[literal_start:i], 1])
        runs.append([text[i:i + best_unit], best_count])
        i += best_unit * best_count
        literal_start = i
    if literal_start < len(text):
        runs.append([text[literal_start:], 1])
    return runs


@functools.lru_cache(maxsize=256)
def _runs_kept(text: str) -> tuple[tuple[str, int], ...]:
    """`_runs_of`, once per string a process compresses: the regex search is what the seed
    corpus costs to make (a second per making), and a process makes it several times."""
    return tuple((chunk, count) for chunk, count in _runs_of(text))


def compress(value: Any) -> Any:
    """The inverse of `expand`: long strings with runs written as `{"$runs": …}`."""
    if isinstance(value, dict):
        return {key: compress(item) for key, item in value.items()}
    if isinstance(value, list):
        return [compress(item) for item in value]
    if isinstance(value, str) and len(value) >= _MIN_RUN:
        runs = _runs_kept(value)
        if len(runs) > 1 or runs[0][1] > 1:
            return {_RUNS: [[chunk, count] for chunk, count in runs]}
    return value
