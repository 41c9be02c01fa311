"""The in-process client's JSON round trip (`json_copy`): exactly `json.loads(json.dumps(v))`
for every value, so a dispatcher in process reads what a shim would, and nothing it gets
aliases the runner's data."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.inprocess import json_copy

_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text()
    | st.sampled_from([2**3000, -(2**2049), 1.0e308, -0.0, float("nan"), float("inf")]),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=3) | st.integers() | st.booleans() | st.none()
                      | st.floats(allow_nan=False), inner, max_size=4),
    max_leaves=12)  # fmt: skip


def _same(a: object, b: object) -> bool:
    """Equal, NaN equal to NaN, and of the same types all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))  # type: ignore[arg-type]
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)  # type: ignore[arg-type]
    return a == b


def _containers(value: object) -> list[object]:
    if isinstance(value, dict):
        return [value, *(c for v in value.values() for c in _containers(v))]
    if isinstance(value, list | tuple):
        return [value, *(c for v in value for c in _containers(v))]
    return []


@given(_JSONISH)
def test_json_copy_is_the_json_round_trip_and_aliases_no_container(value: object) -> None:
    expected = json.loads(json.dumps(value))
    copied = json_copy(value)
    assert _same(copied, expected)
    mine = {id(c) for c in _containers(value)}
    assert not mine & {id(c) for c in _containers(copied)}


@pytest.mark.parametrize("value", [b"x", {1, 2}, object(), {"k": b"v"}, [1, {"a": {2}}]])
def test_json_copy_refuses_what_json_cannot_hold(value: object) -> None:
    with pytest.raises(TypeError):
        json_copy(value)


def test_an_integer_past_the_str_conversion_limit_is_refused_like_the_round_trip() -> None:
    value = {"big": [10**5000]}  # hypothesis cannot show such a value: no repr
    with pytest.raises(ValueError, match="integer string conversion"):
        json.dumps(value)
    with pytest.raises(ValueError, match="integer string conversion"):
        json_copy(value)
