"""spec §8: the error table of `ihp_ref` is the specification's, row for row.

The expected rows are parsed from the spec's own Markdown table (the project's copy,
`spec/ihp-v1.md`), so a misspelt code, telemetry code or message in `_errors.py` fails
here, and so does a row the spec adds or drops.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from ihp_ref import ERROR_TABLE, ErrorCode, IhpError

SPEC = Path(__file__).resolve().parents[1] / "spec" / "ihp-v1.md"
# | <a name="rule-8.Code"></a>`Code` | `Telemetry` | fixed message |  (the anchor optional)
_ROW = re.compile(r"\|\s*(?:<a name=\"rule-8\.(\w+)\"></a>)?`(\w+)`\s*\|\s*`(\w+)`\s*\|"
                  r"\s*([^|]+?)\s*\|\s*\Z")


def _spec_table() -> list[tuple[str, str, str]]:
    """(error code, telemetry code, fixed message), in the order of spec §8's table."""
    text = SPEC.read_text(encoding="utf-8")
    section = text.split("\n## 8.", 1)[1].split("\n## ", 1)[0]
    rows = [m.groups() for line in section.splitlines() if (m := _ROW.match(line.strip()))]
    assert len(rows) >= 13, f"spec §8 table not found in {SPEC}"
    assert all(anchor in (None, code) for anchor, code, _, _ in rows)  # rule-8.X names X
    return [(code, telemetry, message) for _, code, telemetry, message in rows]


SPEC_ROWS = _spec_table()


def test_error_codes_are_the_spec_codes_in_the_spec_order() -> None:
    assert [code.value for code in ErrorCode] == [code for code, _, _ in SPEC_ROWS]


@pytest.mark.parametrize("code,telemetry,message", SPEC_ROWS, ids=[r[0] for r in SPEC_ROWS])
def test_each_code_has_the_spec_telemetry_code_and_fixed_message(
        code: str, telemetry: str, message: str) -> None:
    error_code = ErrorCode(code)
    assert ERROR_TABLE[error_code] == (telemetry, message)
    assert (error_code.telemetry, error_code.message) == (telemetry, message)
    error = IhpError(error_code)
    assert (error.code, error.telemetry, str(error)) == (error_code, telemetry, message)
    assert repr(error) == f"IhpError({code})"


@pytest.mark.parametrize("code", list(ErrorCode), ids=[c.value for c in ErrorCode])
def test_an_error_survives_pickling_with_its_code_and_fixed_message(code: ErrorCode) -> None:
    # an error crosses process boundaries (a worker pool sends it back pickled)
    error = pickle.loads(pickle.dumps(IhpError(code)))
    assert type(error) is IhpError
    assert (error.code, str(error), repr(error)) == (code, code.message, f"IhpError({code})")
