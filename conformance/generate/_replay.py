"""Generated replay-guard sequences (spec §13): decryptions sharing one guard, in order."""

from __future__ import annotations

import copy
from typing import Any

from conformance.generate._core import encrypt_args
from conformance.generate._decrypt import decrypt_inputs
from conformance.generate._oracle import Oracle
from conformance.generate._values import Draw

__all__ = ["replay_sequence"]


def _variant(d: Draw, oracle: Oracle, enc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Decryption inputs for a capsule made from `enc` with `changes`, same `now` window."""
    other = copy.deepcopy(enc)
    other.update(changes)
    args, _ = decrypt_inputs(d, oracle, other)
    return args


def replay_sequence(d: Draw, oracle: Oracle) -> tuple[str, list[dict[str, Any]]]:
    """(kind, the args of each step, without `replay_guard`)."""
    enc = encrypt_args(d)
    enc["config"]["max_timestamp_drift"] = d.rng.choice((60, 300, 3600))
    first, ts = decrypt_inputs(d, oracle, enc)
    drift = enc["config"]["max_timestamp_drift"]
    kind = d.cycle("sequence", ("replay", "replay-later", "collision", "failed-first", "distinct",
                         "profile-scope", "header-mismatch-first", "stale-first",
                         "collision-then-replay"))  # fmt: skip
    steps = [first]
    if kind == "replay":
        steps += [copy.deepcopy(first) for _ in range(d.rng.choice((1, 2)))]
    elif kind == "replay-later":
        again = copy.deepcopy(first)
        again["now"] = str(ts + d.cycle("later", (drift, -drift, drift // 2)))
        steps.append(again)
    elif kind in ("collision", "collision-then-replay"):
        steps.append(_variant(d, oracle, enc, password=d.password() + "00"))
        if kind == "collision-then-replay":
            steps.append(copy.deepcopy(first))
    elif kind == "failed-first":
        bad = copy.deepcopy(first)
        payload = bytearray.fromhex(bad["capsule"]["payload"])
        payload[-1] ^= 0x80
        bad["capsule"]["payload"] = payload.hex()
        steps = [bad, first, copy.deepcopy(first)]
    elif kind == "header-mismatch-first":
        bad = copy.deepcopy(first)
        bad["capsule"]["header_id"] = str((int(bad["capsule"]["header_id"]) + 1) % 2**64)
        steps = [bad, first]
    elif kind == "stale-first":
        bad = copy.deepcopy(first)
        bad["now"] = str(ts - drift - 1)
        steps = [bad, first]
    elif kind == "distinct":
        steps.append(_variant(d, oracle, enc, client_nonce=d.hexbytes(12)))
    elif kind == "profile-scope":
        other_id = str((int(enc["server_profile_id"]) + 1) % 2**64)
        steps.append(_variant(d, oracle, enc, server_profile_id=other_id))
    return kind, steps
