"""A planted bug for the campaign demonstration (issue 5, "Done when").

`plant_missing_header_check(dest)` copies the reference into `dest/ihp_ref` with spec
§7.5 step 7 (embedded header id = clear header id) removed. Put `dest` first on the
harnesses' PYTHONPATH (`ihp-fuzz campaign --pythonpath dest`) and the campaign must find
it. `python -m ihp_fuzz.planted DEST` does the same from the command line.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import ihp_ref
from ihp_fuzz.errors import FuzzToolError

__all__ = ["HEADER_CHECK", "plant_missing_header_check"]

HEADER_CHECK = "raise IhpError(ErrorCode.HEADER_ID_MISMATCH)"
_PLANTED = "pass  # PLANTED BUG: spec §7.5 step 7 removed"


def plant_missing_header_check(dest: Path) -> Path:
    """The copied package's directory; FuzzToolError if the check is not found once."""
    source = Path(ihp_ref.__file__).resolve().parent
    target = dest / "ihp_ref"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    capsule = target / "_capsule.py"
    text = capsule.read_text(encoding="utf-8")
    if text.count(HEADER_CHECK) != 1:
        raise FuzzToolError(f"{capsule}: the header-id check was not found exactly once")
    capsule.write_text(text.replace(HEADER_CHECK, _PLANTED), encoding="utf-8")
    return target


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m ihp_fuzz.planted DEST")
    print(plant_missing_header_check(Path(sys.argv[1])))
