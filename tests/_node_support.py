"""The Node.js example shim (conformance/examples/node-shim/) for the tests that run it:
`node` found or the test skipped, and its pinned npm dependency installed once."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SHIM_DIR = Path(__file__).resolve().parent.parent / "conformance" / "examples" / "node-shim"


def node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js (`node`) is not installed: the Node.js shim cannot run")
    return node


def ensure_node_modules() -> None:
    """A clean checkout has no node_modules: install the pinned lock file once. Under
    pytest-xdist several workers get here at once, and `npm ci` first deletes
    node_modules, so the install runs under an exclusive file lock."""
    marker = SHIM_DIR / "node_modules" / "@noble" / "hashes" / "package.json"
    if marker.is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot install the Node.js shim's dependency")
    lock_path = Path(tempfile.gettempdir()) / "ihp-node-shim-npm-ci.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file():  # another worker installed it while this one waited
            return
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=SHIM_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, f"npm ci failed in {SHIM_DIR}:\n{done.stdout}\n{done.stderr}"
