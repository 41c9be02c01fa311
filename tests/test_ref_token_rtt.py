"""spec §10 (session token) and §12 (RTT bucket rounding)."""

from __future__ import annotations

import base64

import _independent as indep
import pytest

import ihp_ref as ihp
from ihp_ref import ErrorCode, IhpError


@pytest.mark.parametrize("timestamp", [0, 1_700_000_000, -(2**63) + 1, 2**63 - 1])
def test_token_is_base64url_nopad_of_hkdf_with_absent_salt(timestamp: int) -> None:
    key, nonce = b"s" * 32, b"n" * 12
    token = ihp.session_token(ihp.SessionKey(key), ihp.ClientNonce(nonce),
                              ihp.CapsuleTimestamp(timestamp))
    raw = indep.hkdf(None, key, b"IHP_SESSION_TOKEN:v1" + nonce
                     + timestamp.to_bytes(8, "little", signed=True))
    assert token == base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert len(token) == 43 and "=" not in token


@pytest.mark.parametrize("samples,bucket", [
    ([12.5], 3),  # 2.5 rounds away from zero; Python's round() would give 2
    ([7.5], 2), ([2.5], 1), ([2.4999999], 0), ([0.0], 0), ([-50.0], 0),
    ([1275.0], 255), ([1277.5], 255), ([1e300], 255), ([10.0, 20.0, 30.0, 40.0], 5),
    ([12.0, 13.0], 3), ([4.9999999999999991], 1),
])
def test_rtt_bucket_rounds_half_away_from_zero_and_clamps(
    samples: list[float], bucket: int
) -> None:
    assert ihp.rtt_bucket_from_samples(samples) == bucket


def test_round_half_away_from_zero_is_exact_near_one_half() -> None:
    assert ihp.round_half_away_from_zero(0.49999999999999994) == 0
    assert ihp.round_half_away_from_zero(-2.5) == -3


@pytest.mark.parametrize("samples", [[], [float("nan")], [float("inf")], [1e308, 1e308], [10**400]])
def test_rtt_without_finite_samples_is_codec(samples: list[float]) -> None:
    with pytest.raises(IhpError) as info:
        ihp.rtt_bucket_from_samples(samples)
    assert info.value.code is ErrorCode.CODEC


@pytest.mark.parametrize("sample", ["5", True, b"5", None, 5j])
def test_a_sample_that_is_not_a_real_number_is_a_type_error(sample: object) -> None:
    # misuse, not a protocol error: a bool or a numeric string is not a round-trip time
    with pytest.raises(TypeError):
        ihp.rtt_bucket_from_samples([10.0, sample])  # type: ignore[list-item]
