"""spec §3: the constants of `ihp_ref` are the specification's, row for row.

The expected values are parsed from the spec's own Markdown table (the project's copy,
`spec/ihp-v1.md`), so a constant changed in `_constants.py` fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ihp_ref as ihp

SPEC = Path(__file__).resolve().parents[1] / "spec" / "ihp-v1.md"
# | `NAME` | 65,536 (64 KiB): … |   or   | `NAME` | `ascii("TEXT")` (18 bytes) |
_ROW = re.compile(r"\|\s*`([A-Z0-9_]+)`\s*\|\s*(.+?)\s*\|\s*\Z")
_NUMBER = re.compile(r"([0-9][0-9,]*(?:\.[0-9]+)?)")
_ASCII = re.compile(r'`ascii\("([^"]*)"\)`')


def _spec_constants() -> list[tuple[str, object]]:
    """(name, value) in the order of spec §3's table: numbers as int or float, ascii()
    labels as bytes."""
    section = SPEC.read_text(encoding="utf-8").split("\n## 3.", 1)[1].split("\n## ", 1)[0]
    rows: list[tuple[str, object]] = []
    for line in section.splitlines():
        if not (row := _ROW.match(line.strip())):
            continue
        name, cell = row.groups()
        if label := _ASCII.match(cell):
            rows.append((name, label.group(1).encode("ascii")))
        elif number := _NUMBER.match(cell):
            digits = number.group(1).replace(",", "")
            rows.append((name, float(digits) if "." in digits else int(digits)))
    assert len(rows) >= 15, f"spec §3 table not found in {SPEC}"
    return rows


SPEC_CONSTANTS = _spec_constants()


@pytest.mark.parametrize("name,value", SPEC_CONSTANTS, ids=[name for name, _ in SPEC_CONSTANTS])
def test_each_constant_has_the_spec_value(name: str, value: object) -> None:
    ours = getattr(ihp, name)
    assert (type(ours), ours) == (type(value), value)
