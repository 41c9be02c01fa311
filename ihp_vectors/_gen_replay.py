"""replay_guard vectors: spec §13 as sequences of decryptions sharing one fresh guard."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._build import FileSpec, GroupSpec, Handler, Row, StepSpec, Table
from ._ctx import BASE, BASE_TIMESTAMP, encrypt_with
from ._enc import dec, det_bytes, hx

__all__ = ["spec"]

_T = BASE_TIMESTAMP


def _step(
    capsule: dict[str, Any],
    *,
    now: int = _T,
    error: str | None = None,
    args: Mapping[str, Any] | None = None,
) -> StepSpec:
    """One decryption of the sequence: `capsule` at `now`, with further `args` replacing
    the group's (a config, a session key); `error` is the declared outcome."""
    return StepSpec({"capsule": capsule, "now": dec(now), **(args or {})}, error)


def _rows(handle: Handler) -> tuple[Row, ...]:
    a = encrypt_with(handle)
    b = encrypt_with(handle, {"password": hx(b"another password")})  # same (profile id, nonce)
    b_header = encrypt_with(handle, {"header_id": dec(1)})  # same nonce, other header id
    c = encrypt_with(handle, {"client_nonce": hx(det_bytes("replay/other-nonce", 12))})
    other_id = encrypt_with(handle, {"server_profile_id": dec(8)})  # same nonce, other id
    a_v2 = encrypt_with(handle, {"version": 2, "config": {"allowed_versions": [1, 2]}})
    wrong_key = {"session_key": hx(det_bytes("replay/wrong-key", 32))}
    relabelled = {**a, "header_id": dec(int(a["header_id"]) + 1)}
    tampered = {**a, "payload": a["payload"][:-2] + format(int(a["payload"][-2:], 16) ^ 1, "02x")}
    v12 = {"config": {"allowed_versions": [1, 2]}}
    reuse, collision = "NonceReuse", "NonceCollision"

    def other(name: str, timestamp: int) -> dict[str, Any]:  # another nonce, another time
        nonce = hx(det_bytes(f"replay/{name}", 12))
        return encrypt_with(handle, {"client_nonce": nonce, "timestamp": dec(timestamp)})

    b_late = encrypt_with(handle, {"password": hx(b"another password"), "timestamp": dec(_T + 300)})
    b_dead = encrypt_with(handle, {"password": hx(b"another password"), "timestamp": dec(_T + 301)})
    at_0, at_1, at_300, at_301 = other("t0", _T), other("t1", _T + 1), other("t300", _T + 300), \
        other("t301", _T + 301)
    # step 9 is exercised where the guard answers (reuse, collision) or its scope is tested
    step9, nt = "7.5.9", "15.NoNonceTracking"
    return (
        Row(
            tc="reuse/immediate",
            comment="the same capsule twice: NonceReuse",
            flags=("Replay",),
            rules=("13.reuse", step9),
            steps=(_step(a), _step(a, error=reuse)),
        ),
        Row(
            tc="reuse/within-window-299",
            comment="replayed 299 s later, inside the window",
            flags=("Replay",),
            rules=("13.reuse", step9),
            steps=(_step(a), _step(a, now=_T + 299, error=reuse)),
        ),
        Row(
            tc="reuse/within-window",
            comment="replayed 300 s later: a drift equal to the maximum is accepted (spec §7.5 "
            "step 8), so the guard must still remember the capsule",
            flags=("Replay",),
            rules=("13.reuse", step9),
            steps=(_step(a), _step(a, now=_T + 300, error=reuse)),
        ),
        Row(
            tc="reuse/three-times",
            comment="every replay is refused, not just the first",
            flags=("Replay",),
            rules=("13.reuse", step9),
            steps=(_step(a), _step(a, error=reuse), _step(a, error=reuse)),
        ),
        Row(
            tc="reuse/version-2",
            comment="a version 2 capsule replayed",
            flags=("Replay", "ExperimentalV2"),
            rules=("13.reuse", step9),
            steps=(_step(a_v2, args=v12), _step(a_v2, error=reuse, args=v12)),
        ),
        Row(
            tc="collision/other-password",
            comment="same profile id and nonce, other payload",
            flags=("NonceCollision",),
            rules=("13.collision", step9),
            steps=(_step(a), _step(b, error=collision)),
        ),
        Row(
            tc="collision/other-header-id",
            comment="same nonce, other header id: other payload",
            flags=("NonceCollision",),
            rules=("13.collision", step9),
            steps=(_step(a), _step(b_header, error=collision)),
        ),
        Row(
            tc="collision/not-recorded",
            comment="a colliding capsule is not recorded: it collides "
            "again, the original still replays as NonceReuse",
            flags=("NonceCollision", "Replay"),
            rules=("13.collision", "13.reuse", "13.failures-not-recorded", step9),
            steps=(
                _step(a),
                _step(b, error=collision),
                _step(b, error=collision),
                _step(a, error=reuse),
            ),
        ),
        Row(
            tc="scope/other-nonce",
            comment="another nonce is another entry",
            flags=("GuardScope", "Replay"),
            rules=("13.key", "13.reuse", nt, step9),
            steps=(_step(a), _step(c), _step(a, error=reuse), _step(c, error=reuse)),
        ),
        Row(
            tc="scope/other-profile-id",
            comment="the same nonce under another profile id is another entry",
            flags=("GuardScope",),
            rules=("13.key", step9),
            steps=(_step(a), _step(other_id)),
        ),
        Row(
            tc="scope/fresh-guard",
            comment="a fresh guard accepts a capsule other cases' guards have recorded",
            flags=("GuardScope",),
            rules=("13.guard-scope", step9),
            steps=(_step(a),),
        ),
        Row(
            tc="failed/aead-not-recorded",
            comment="a decryption failing the tag check is not recorded",
            flags=("FailedNotRecorded", "WrongKey"),
            rules=("13.failures-not-recorded", "7.5.4"),
            steps=(_step(a, error="InvalidAeadTag", args=wrong_key), _step(a)),
        ),
        Row(
            tc="failed/header-not-recorded",
            comment="a header id mismatch is not recorded",
            flags=("FailedNotRecorded", "HeaderIdMismatch"),
            rules=("13.failures-not-recorded", "7.5.7"),
            steps=(_step(relabelled, error="HeaderIdMismatch"), _step(a)),
        ),
        Row(
            tc="failed/stale-not-recorded",
            comment="a stale decryption is not recorded",
            flags=("FailedNotRecorded", "Drift"),
            rules=("13.failures-not-recorded", "7.5.8"),
            steps=(_step(a, now=_T + 301, error="StaleTimestamp"), _step(a)),
        ),
        Row(
            tc="failed/version-not-recorded",
            comment="a version rejection is not recorded",
            flags=("FailedNotRecorded", "VersionNotAllowed"),
            rules=("13.failures-not-recorded", "7.5.2"),
            steps=(
                _step(a, error="InvalidVersion", args={"config": {"allowed_versions": [2]}}),
                _step(a),
            ),
        ),
        Row(
            tc="order/stale-before-reuse",
            comment="a replay outside the window is StaleTimestamp (step 8 before step 9)",
            flags=("Replay", "Drift", "CheckOrder"),
            rules=("7.5.order", "7.5.8"),
            steps=(_step(a), _step(a, now=_T + 301, error="StaleTimestamp")),
        ),
        Row(
            tc="order/header-before-reuse",
            comment="a replay with the clear header id changed is HeaderIdMismatch "
            "(step 7 before step 9)",
            flags=("Replay", "CheckOrder"),
            rules=("7.5.order", "7.5.7"),
            steps=(_step(a), _step(relabelled, error="HeaderIdMismatch")),
        ),
        Row(
            tc="order/aead-before-collision",
            comment="a tampered replay is InvalidAeadTag, not a collision (step 4 before step 9)",
            flags=("ModifiedCiphertext", "CheckOrder"),
            rules=("7.5.order", "7.5.4"),
            steps=(_step(a), _step(tampered, error="InvalidAeadTag")),
        ),
        *_capacity_rows(a, b_dead, wrong_key, at_0, at_1, at_300, at_301),
        Row(
            tc="window/from-the-capsule-timestamp",
            comment="accepted at now = timestamp - 300, its entry lives until timestamp + 300, "
            "not 300 s after the clock that recorded it: a capsule with the same nonce and "
            "another payload at now = timestamp + 300 collides",
            flags=("NonceCollision",),
            rules=("13.key", "13.collision", step9),
            steps=(_step(a, now=_T - 300), _step(b_late, now=_T + 300, error=collision)),
        ),
    )


def _capacity_rows(a: dict[str, Any], b_dead: dict[str, Any], wrong_key: dict[str, Any],
                   *at: dict[str, Any]) -> tuple[Row, ...]:
    """A guard sized by `replay_guard_capacity` (shim protocol) filled to capacity: spec §13
    fail-closed rule, and which entries a full guard may forget. `b_dead` has `a`'s nonce,
    another payload, and is sealed at T + 301, when `a`'s entry is dead; `at` holds capsules
    with other nonces, sealed at T, T + 1, T + 300 and T + 301."""
    at_0, at_1, at_300, at_301 = at
    step9, reuse = "7.5.9", "NonceReuse"

    def sized(capacity: int) -> dict[str, Any]:
        return {"replay_guard_capacity": capacity}
    return (
        Row(
            tc="capacity/full-fails-closed",
            comment="a guard of 1 entry holding a live capsule refuses a fresh one with "
            "NonceReuse (fail closed), and still refuses the replay",
            flags=("GuardCapacity",),
            rules=("13.capacity", "13.reuse", step9),
            steps=(_step(a, args=sized(1)), _step(at_0, error=reuse), _step(a, error=reuse)),
        ),
        Row(
            tc="capacity/live-at-timestamp-plus-drift",
            comment="full at now = timestamp + drift: the entry is still live (a replay "
            "would pass the drift check), so nothing is forgotten and the guard fails closed; "
            "one second later it is dead, forgotten, and the fresh capsule is recorded",
            flags=("GuardCapacity",),
            rules=("13.capacity", "13.key", step9),
            steps=(
                _step(a, args=sized(1)),
                _step(at_300, now=_T + 300, error=reuse),
                _step(at_301, now=_T + 301),
                _step(at_300, now=_T + 301, error=reuse),
            ),
        ),
        Row(
            tc="capacity/live-from-the-capsule-timestamp",
            comment="recorded at now = timestamp - 300, an entry still lives until timestamp "
            "+ 300: a full guard cannot forget it at timestamp + 1 and fails closed; at "
            "timestamp + 301 it is forgotten (the second request repeats the guard's "
            "capacity, as the shim protocol allows)",
            flags=("GuardCapacity",),
            rules=("13.capacity", "13.key", step9),
            steps=(
                _step(a, now=_T - 300, args=sized(2)),
                _step(at_1, now=_T + 1, args=sized(2)),
                _step(at_0, now=_T + 1, error=reuse),
                _step(at_301, now=_T + 301),
            ),
        ),
        Row(
            tc="capacity/sized-when-first-named",
            comment="the guard is made with its capacity by the first request naming it, "
            "even a failed one (which records nothing)",
            flags=("GuardCapacity", "FailedNotRecorded", "WrongKey"),
            rules=("13.capacity", "13.failures-not-recorded", "7.5.4"),
            steps=(
                _step(a, error="InvalidAeadTag", args={**wrong_key, **sized(1)}),
                _step(a),
                _step(at_0, error=reuse),
            ),
        ),
        Row(
            tc="capacity/nonce-reused-after-its-entry-died",
            comment="a guard of 1 entry: at timestamp + 301 the first capsule's entry is dead, "
            "so a capsule with its nonce (another payload, sealed then) is recorded in its "
            "place; that entry is live, so the guard is full and refuses a fresh capsule",
            flags=("GuardCapacity",),
            rules=("13.capacity", "13.key", step9),
            steps=(
                _step(a, args=sized(1)),
                _step(b_dead, now=_T + 301),
                _step(at_301, now=_T + 301, error=reuse),
            ),
        ),
    )


def spec(handle: Handler) -> FileSpec:
    group_args = {"config": {}, "env_hash": BASE["env_hash"], "session_key": BASE["session_key"]}
    return FileSpec(
        name="replay_guard",
        operation="decrypt_capsule",
        profile="IHP-Replay",
        header=(
            "Replay guard (spec §13, decryption step 9): each case is a sequence of "
            "decryptions that share one fresh replay guard.",
            "Steps omit replay_guard: the runner gives every case its own new guard name "
            "and injects it into every step. A step's args replace the group's args.",
            "A case is valid when every step succeeds.",
            "Generated by `ihp-vectors generate`; do not edit.",
        ),
        groups=[
            GroupSpec(
                "one session, one fresh guard per case",
                group_args,
                Table(prefix="replay/").cases(_rows(handle)),
                "replay",
            )
        ],
    )
