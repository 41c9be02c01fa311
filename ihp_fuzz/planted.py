"""Planted bugs: copies of the reference with one rule broken, for the fuzzers to find.

`plant(dest, name)` copies the reference into `dest/ihp_ref` with one change of `PLANTS`:
the header-id check of spec §7.5 step 7 removed (issue 5's campaign demonstration), or an
off-by-one at a boundary the spec names (issue 10: each must be found by the harness that
owns the rule within a minute, which the seeds at both sides of every boundary make a
matter of the seed replay). Put `dest` first on the harnesses' PYTHONPATH
(`ihp-fuzz run … --pythonpath dest`). `python -m ihp_fuzz.planted DEST [NAME]` does the
same from the command line.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import ihp_ref
from ihp_fuzz.errors import FuzzToolError

__all__ = ["HEADER_CHECK", "PLANTS", "Plant", "plant", "plant_missing_header_check"]


@dataclass(frozen=True, slots=True)
class Plant:
    name: str
    harness: str  # the harness whose rule it breaks
    rule: str
    file: str  # in ihp_ref/
    original: str  # found `count` times in the file, each replaced
    planted: str
    count: int = 1


HEADER_CHECK = "raise IhpError(ErrorCode.HEADER_ID_MISMATCH)"

PLANTS: dict[str, Plant] = {p.name: p for p in (
    Plant("missing-header-check", "nonce_mutation", "§7.5 step 7 removed", "_capsule.py",
          HEADER_CHECK, "pass  # PLANTED BUG: spec §7.5 step 7 removed"),
    Plant("json-depth-65", "json_model", "§9.1: nesting of 65 levels accepted",
          "_constants.py", "MAX_JSON_DEPTH = 64", "MAX_JSON_DEPTH = 65  # PLANTED BUG"),
    Plant("json-size-1mib-plus-1", "json_model", "§9.1: a document of 1 MiB + 1 accepted",
          "_constants.py", "MAX_JSON_BYTES = 1 << 20", "MAX_JSON_BYTES = (1 << 20) + 1"),
    Plant("binary-cap-plus-1", "binary_decode",
          "§9.2: a length prefix of 65,573 (cap + 1) accepted", "_constants.py",
          "MAX_BINARY_PAYLOAD_BYTES = 4 + MAX_PAYLOAD_BYTES + 8 + 8 + TAG_LEN",
          "MAX_BINARY_PAYLOAD_BYTES = 4 + MAX_PAYLOAD_BYTES + 8 + 8 + TAG_LEN + 1"),
    Plant("drift-window-plus-1", "nonce_mutation",
          "§7.5 step 8: a drift of max_timestamp_drift + 1 accepted", "_capsule.py",
          "if abs(now.seconds - timestamp) > config.max_timestamp_drift:",
          "if abs(now.seconds - timestamp) > config.max_timestamp_drift + 1:"),
    Plant("timestamp-i64min-accepted", "nonce_mutation",
          "§7.5 step 6: an embedded timestamp of I64_MIN accepted", "_capsule.py",
          "if timestamp == I64_MIN:  # step 6", "if False:  # PLANTED BUG: step 6"),
    Plant("json-nonce-13-accepted", "json_model", "§9.1: a 13-byte client nonce decoded",
          "_wire.py", "if len(nonce_bytes) != NONCE_LEN:",
          "if len(nonce_bytes) not in (NONCE_LEN, NONCE_LEN + 1):", count=2),  # both paths
)}


def plant(dest: Path, name: str) -> Path:
    """The copied package's directory; FuzzToolError if the plant's text is not found
    as often as it says (the reference changed: update PLANTS)."""
    chosen = PLANTS.get(name)
    if chosen is None:
        raise FuzzToolError(f"unknown plant {name!r} (known: {', '.join(PLANTS)})")
    source = Path(ihp_ref.__file__).resolve().parent
    target = dest / "ihp_ref"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    path = target / chosen.file
    text = path.read_text(encoding="utf-8")
    if text.count(chosen.original) != chosen.count:
        raise FuzzToolError(f"{path}: {chosen.original!r} was not found {chosen.count} times")
    path.write_text(text.replace(chosen.original, chosen.planted), encoding="utf-8")
    return target


def plant_missing_header_check(dest: Path) -> Path:
    return plant(dest, "missing-header-check")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python -m ihp_fuzz.planted DEST [PLANT]\nplants: " + ", ".join(PLANTS))
    try:
        print(plant(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) == 3 else
                    "missing-header-check"))
    except FuzzToolError as exc:
        sys.exit(f"ihp_fuzz.planted: {exc}")
