"""spec §13: the replay guard's reuse, collision, expiry, isolation and capacity rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _ref_support import GOLDEN, sealed

import ihp_ref as ihp
from ihp_ref import CapsuleTimestamp, ErrorCode, IhpCapsule, IhpConfig, IhpError

KEY = GOLDEN.session_key()
T0 = GOLDEN.timestamp


def _decrypt(capsule: IhpCapsule, guard: ihp.ReplayGuard, now: int = T0,
             config: IhpConfig | None = None) -> ErrorCode | None:
    try:
        ihp.decrypt_capsule(capsule, GOLDEN.env_hash, KEY, CapsuleTimestamp(now),
                            config or IhpConfig(), guard)
    except IhpError as error:
        return error.code
    return None


def _variant(password: bytes) -> IhpCapsule:
    return ihp.encrypt_capsule(1, IhpConfig(), 44, ihp.ClientNonce(GOLDEN.nonce),
                               ihp.ServerProfileId(1), GOLDEN.network, GOLDEN.env_hash, KEY,
                               ihp.PasswordMaterial(password), CapsuleTimestamp(T0))


def test_replayed_capsule_is_nonce_reuse() -> None:
    guard = ihp.ReplayGuard()
    assert _decrypt(sealed(GOLDEN), guard) is None
    assert _decrypt(sealed(GOLDEN), guard) is ErrorCode.NONCE_REUSE


def test_same_nonce_other_payload_is_nonce_collision() -> None:
    guard = ihp.ReplayGuard()
    assert _decrypt(_variant(b"first"), guard) is None
    assert _decrypt(_variant(b"second"), guard) is ErrorCode.NONCE_COLLISION


def test_other_guards_do_not_share_state() -> None:
    assert _decrypt(sealed(GOLDEN), ihp.ReplayGuard()) is None
    assert _decrypt(sealed(GOLDEN), ihp.ReplayGuard()) is None


def test_failed_decryptions_never_touch_the_guard() -> None:
    guard = ihp.ReplayGuard()
    assert _decrypt(sealed(GOLDEN), guard, now=T0 + 301) is ErrorCode.STALE_TIMESTAMP
    assert len(guard) == 0
    assert _decrypt(sealed(GOLDEN), guard) is None


def test_entries_live_for_the_drift_window_after_the_capsule_timestamp() -> None:
    guard = ihp.ReplayGuard()
    assert _decrypt(sealed(GOLDEN), guard) is None
    assert _decrypt(sealed(GOLDEN), guard, now=T0 + 300) is ErrorCode.NONCE_REUSE
    guard.check_and_record(1, GOLDEN.nonce, b"other", timestamp=T0 + 301, now=T0 + 301,
                           window=300)  # the golden entry is dead at T0 + 301: no collision


def test_full_guard_fails_closed_and_counts() -> None:
    metrics = ihp.RecordingMetrics()
    guard = ihp.ReplayGuard(capacity=1, metrics=metrics)
    assert _decrypt(_variant(b"a"), guard) is None
    other = ihp.encrypt_capsule(1, IhpConfig(), 44, ihp.ClientNonce(b"\x02" * 12),
                                ihp.ServerProfileId(1), GOLDEN.network, GOLDEN.env_hash, KEY,
                                ihp.PasswordMaterial(b"b"), CapsuleTimestamp(T0))
    assert _decrypt(other, guard) is ErrorCode.NONCE_REUSE
    assert metrics.count("ihp.replay.capacity_exhausted") == 1


def test_replay_check_comes_after_every_other_check() -> None:
    guard = ihp.ReplayGuard()
    assert _decrypt(sealed(GOLDEN), guard) is None
    assert _decrypt(sealed(GOLDEN), guard, now=T0 + 301) is ErrorCode.STALE_TIMESTAMP


def test_an_entry_stays_live_when_a_later_request_reads_an_earlier_clock() -> None:
    # the guard's clock is each request's `now`; a later `now` must not make it forget
    guard = ihp.ReplayGuard()
    guard.check_and_record(1, b"a" * 12, b"p", timestamp=1_000, now=1_000, window=300)
    guard.check_and_record(1, b"b" * 12, b"q", timestamp=1_301, now=1_301, window=300)
    try:
        guard.check_and_record(1, b"a" * 12, b"p", timestamp=1_000, now=1_000, window=300)
    except IhpError as error:
        assert error.code is ErrorCode.NONCE_REUSE
    else:
        raise AssertionError("a replay inside its window was accepted")


def test_an_expired_entry_no_longer_blocks_its_nonce() -> None:
    guard = ihp.ReplayGuard()
    guard.check_and_record(1, b"a" * 12, b"p", timestamp=1_000, now=1_000, window=300)
    guard.check_and_record(1, b"a" * 12, b"p", timestamp=1_400, now=1_400, window=300)


def test_a_full_guard_forgets_dead_entries_before_failing_closed() -> None:
    guard = ihp.ReplayGuard(capacity=1)
    guard.check_and_record(1, b"a" * 12, b"p", timestamp=1_000, now=1_000, window=300)
    guard.check_and_record(1, b"b" * 12, b"p", timestamp=1_400, now=1_400, window=300)
    assert len(guard) == 1


def _outcome(guard: ihp.ReplayGuard, nonce: bytes, timestamp: int, now: int) -> str:
    try:
        guard.check_and_record(1, nonce, b"payload", timestamp=timestamp, now=now, window=300)
    except IhpError as error:
        return error.code.value
    return "ok"


def test_an_entry_lives_from_the_capsule_timestamp_not_the_clock_that_recorded_it() -> None:
    # recorded at now = ts - 300 (allowed drift): live until ts + 300, whatever `now` was
    guard = ihp.ReplayGuard(capacity=2)
    assert _outcome(guard, b"a" * 12, 1_300, now=1_000) == "ok"
    assert _outcome(guard, b"b" * 12, 1_301, now=1_301) == "ok"
    assert _outcome(guard, b"c" * 12, 1_301, now=1_301) == "NonceReuse"  # full, none dead
    assert _outcome(guard, b"a" * 12, 1_300, now=1_600) == "NonceReuse"  # still live
    assert _outcome(guard, b"c" * 12, 1_601, now=1_601) == "ok"  # "a" dead at 1,601
    assert len(guard) == 2


def test_a_full_guard_keeps_an_entry_at_its_last_live_second_and_fails_closed() -> None:
    metrics = ihp.RecordingMetrics()
    guard = ihp.ReplayGuard(capacity=1, metrics=metrics)
    assert _outcome(guard, b"a" * 12, 1_000, now=1_000) == "ok"
    assert _outcome(guard, b"b" * 12, 1_300, now=1_300) == "NonceReuse"  # now = ts + drift
    assert _outcome(guard, b"a" * 12, 1_000, now=1_300) == "NonceReuse"  # a replay, refused
    assert _outcome(guard, b"b" * 12, 1_301, now=1_301) == "ok"  # "a" dead: forgotten
    assert metrics.count("ihp.replay.capacity_exhausted") == 1


@pytest.mark.parametrize("capacity", [0, -1, 1.0, True, "4", None])
def test_a_guard_capacity_is_a_positive_int(capacity: object) -> None:
    with pytest.raises(ValueError):
        ihp.ReplayGuard(capacity=capacity)  # type: ignore[arg-type]
    assert ihp.ReplayGuard(capacity=1).capacity == 1


def test_the_default_capacity_is_the_documented_one() -> None:
    # docs/INTERPRETATIONS.md states the reference's default; the shim protocol asks at
    # least 65,536 entries of a guard made without a capacity
    root = Path(__file__).resolve().parents[1]
    row = next(line for line in (root / "docs" / "INTERPRETATIONS.md").read_text().splitlines()
               if line.startswith("| replay-guard capacity |"))
    documented = re.search(r"2\^(\d+) entries by default", row)
    assert documented, row
    shim_floor = re.search(r"at least ([0-9,]+)",
                           (root / "spec" / "shim-protocol.md").read_text().split(
                               "Without a capacity a guard holds", 1)[1])
    assert shim_floor
    capacity = ihp.ReplayGuard().capacity
    assert capacity == 2 ** int(documented.group(1)) == ihp.DEFAULT_REPLAY_CAPACITY
    assert capacity >= int(shim_floor.group(1).replace(",", ""))
