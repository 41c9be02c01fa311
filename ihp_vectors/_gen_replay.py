"""replay_guard vectors: spec §13 as sequences of decryptions sharing one fresh guard."""

from __future__ import annotations

from typing import Any

from ._build import CaseSpec, FileSpec, GroupSpec, Handler, StepSpec
from ._ctx import BASE, BASE_TIMESTAMP, encrypt_with
from ._enc import dec, det_bytes, hx

__all__ = ["spec"]

_T = BASE_TIMESTAMP


def _ok(capsule: dict[str, Any], now: int = _T, **over: Any) -> StepSpec:
    return StepSpec({"capsule": capsule, "now": dec(now), **over})


def _bad(error: str, capsule: dict[str, Any], now: int = _T, **over: Any) -> StepSpec:
    return StepSpec({"capsule": capsule, "now": dec(now), **over}, error)


def _case(
    tc: str, comment: str, flags: tuple[str, ...], rules: tuple[str, ...], *steps: StepSpec
) -> CaseSpec:
    codes = {step.error for step in steps if step.error}
    code_rules = tuple(sorted(f"8.{code}" for code in codes))
    guard = ("7.5.9",) if codes & {"NonceReuse", "NonceCollision"} or "GuardScope" in flags else ()
    return CaseSpec(
        f"replay/{tc}", comment, flags, (*rules, *guard, *code_rules), {}, steps=tuple(steps)
    )


def _cases(handle: Handler) -> list[CaseSpec]:
    a = encrypt_with(handle)
    b = encrypt_with(handle, password=hx(b"another password"))  # same (profile id, nonce)
    b_header = encrypt_with(handle, header_id=dec(1))  # same nonce, other header id
    c = encrypt_with(handle, client_nonce=hx(det_bytes("replay/other-nonce", 12)))
    other_id = encrypt_with(handle, server_profile_id=dec(8))  # same nonce, other profile id
    a_v2 = encrypt_with(handle, version=2, config={"allowed_versions": [1, 2]})
    wrong_key = hx(det_bytes("replay/wrong-key", 32))
    relabelled = {**a, "header_id": dec(int(a["header_id"]) + 1)}
    tampered = {**a, "payload": a["payload"][:-2] + format(int(a["payload"][-2:], 16) ^ 1, "02x")}
    v12 = {"allowed_versions": [1, 2]}
    reuse, nt = ("Replay", "NoNonceTracking"), ("15.NoNonceTracking",)
    return [
        _case(
            "reuse/immediate",
            "the same capsule twice: NonceReuse",
            reuse,
            ("13.reuse", *nt),
            _ok(a),
            _bad("NonceReuse", a),
        ),
        _case(
            "reuse/within-window-299",
            "replayed 299 s later, inside the window",
            reuse,
            ("13.reuse", *nt),
            _ok(a),
            _bad("NonceReuse", a, _T + 299),
        ),
        _case(
            "reuse/within-window",
            "replayed 300 s later: a drift equal to the maximum is accepted (spec §7.5 step 8), "
            "so the guard must still remember the capsule",
            reuse,
            ("13.reuse", *nt),
            _ok(a),
            _bad("NonceReuse", a, _T + 300),
        ),
        _case(
            "reuse/three-times",
            "every replay is refused, not just the first",
            reuse,
            ("13.reuse", *nt),
            _ok(a),
            _bad("NonceReuse", a),
            _bad("NonceReuse", a),
        ),
        _case(
            "reuse/version-2",
            "a version 2 capsule replayed",
            (*reuse, "ExperimentalV2"),
            ("13.reuse", *nt),
            _ok(a_v2, config=v12),
            _bad("NonceReuse", a_v2, config=v12),
        ),
        _case(
            "collision/other-password",
            "same profile id and nonce, other payload",
            ("NonceCollision", "NoNonceTracking"),
            ("13.collision", *nt),
            _ok(a),
            _bad("NonceCollision", b),
        ),
        _case(
            "collision/other-header-id",
            "same nonce, other header id: other payload",
            ("NonceCollision", "NoNonceTracking"),
            ("13.collision", *nt),
            _ok(a),
            _bad("NonceCollision", b_header),
        ),
        _case(
            "collision/not-recorded",
            "a colliding capsule is not recorded: it collides "
            "again, the original still replays as NonceReuse",
            ("NonceCollision", "Replay", "NoNonceTracking"),
            ("13.collision", "13.reuse", "13.failures-not-recorded", *nt),
            _ok(a),
            _bad("NonceCollision", b),
            _bad("NonceCollision", b),
            _bad("NonceReuse", a),
        ),
        _case(
            "scope/other-nonce",
            "another nonce is another entry",
            ("GuardScope", "Replay"),
            ("13.key", "13.reuse", *nt),
            _ok(a),
            _ok(c),
            _bad("NonceReuse", a),
            _bad("NonceReuse", c),
        ),
        _case(
            "scope/other-profile-id",
            "the same nonce under another profile id is another entry",
            ("GuardScope",),
            ("13.key",),
            _ok(a),
            _ok(other_id),
        ),
        _case(
            "scope/fresh-guard",
            "a fresh guard accepts a capsule other cases' guards have recorded",
            ("GuardScope",),
            ("13.guard-scope",),
            _ok(a),
        ),
        _case(
            "failed/aead-not-recorded",
            "a decryption failing the tag check is not recorded",
            ("FailedNotRecorded", "WrongKey"),
            ("13.failures-not-recorded", "7.5.4"),
            _bad("InvalidAeadTag", a, session_key=wrong_key),
            _ok(a),
        ),
        _case(
            "failed/header-not-recorded",
            "a header id mismatch is not recorded",
            ("FailedNotRecorded", "HeaderIdMismatch"),
            ("13.failures-not-recorded", "7.5.7"),
            _bad("HeaderIdMismatch", relabelled),
            _ok(a),
        ),
        _case(
            "failed/stale-not-recorded",
            "a stale decryption is not recorded",
            ("FailedNotRecorded", "Drift"),
            ("13.failures-not-recorded", "7.5.8"),
            _bad("StaleTimestamp", a, _T + 301),
            _ok(a),
        ),
        _case(
            "failed/version-not-recorded",
            "a version rejection is not recorded",
            ("FailedNotRecorded", "VersionNotAllowed"),
            ("13.failures-not-recorded", "7.5.2"),
            _bad("InvalidVersion", a, config={"allowed_versions": [2]}),
            _ok(a),
        ),
        _case(
            "order/stale-before-reuse",
            "a replay outside the window is StaleTimestamp (step 8 before step 9)",
            ("Replay", "Drift", "CheckOrder"),
            ("7.5.order", "7.5.8"),
            _ok(a),
            _bad("StaleTimestamp", a, _T + 301),
        ),
        _case(
            "order/header-before-reuse",
            "a replay with the clear header id changed is HeaderIdMismatch (step 7 before step 9)",
            ("Replay", "CheckOrder"),
            ("7.5.order", "7.5.7"),
            _ok(a),
            _bad("HeaderIdMismatch", relabelled),
        ),
        _case(
            "order/aead-before-collision",
            "a tampered replay is InvalidAeadTag, not a collision (step 4 before step 9)",
            ("ModifiedCiphertext", "CheckOrder"),
            ("7.5.order", "7.5.4"),
            _ok(a),
            _bad("InvalidAeadTag", tampered),
        ),
    ]


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
            GroupSpec("one session, one fresh guard per case", group_args, _cases(handle), "replay")
        ],
    )
