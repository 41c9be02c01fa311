#!/usr/bin/env python3
"""differential: the same `ihp-shim/1` request through an implementation and the reference.

Rule: for every request built from the input (ihp_fuzz.harness.requests), the shim named
by IHP_FUZZ_SHIM (a command line; default: the reference's own `ihp-ref-shim`, which makes
a smoke test of the machinery; inside a ClusterFuzzLite bundle: the reference through its
line protocol in-process) answers exactly as the in-process reference does: same
`ok`, same `result` (key by key, values exactly) or the same spec §8 error code. An
`unsupported` answer is skipped. A difference, a shim that crashes, hangs or breaks the
protocol, or a reference answer `ShimInternalError` is a finding.
"""

import json
import os
import shlex
import sys
from typing import Any

import atheris

with atheris.instrument_imports(include=["ihp_ref"]):
    import ihp_ref  # noqa: F401  (instrumented before the shim imports it)
    from ihp_ref.shim import ShimSession

from conformance.shimclient import ShimClient, ShimError
from ihp_fuzz.harness.findings import require
from ihp_fuzz.harness.requests import shim_request

__all__ = ["TestOneInput", "main"]

REFERENCE = ShimSession()


class _LineShim:
    """The reference through its own line protocol, in-process: the default inside a
    PyInstaller bundle (ClusterFuzzLite), where `sys.executable -m` cannot start a shim."""

    alive = True

    def __init__(self) -> None:
        self._session = ShimSession()

    def call(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        line = json.dumps({"id": 0, "op": op, "args": args}).encode()
        response: dict[str, Any] = json.loads(self._session.handle_line(line))
        return response


_client: ShimClient | _LineShim | None = None


def _iut() -> ShimClient | _LineShim:
    global _client
    if _client is None or not _client.alive:
        command = os.environ.get("IHP_FUZZ_SHIM", "").strip()
        if not command and getattr(sys, "frozen", False):
            _client = _LineShim()
            return _client
        argv = shlex.split(command) if command else [sys.executable, "-m", "ihp_ref.shim"]
        _client = ShimClient(argv, timeout=10.0)
        _client.hello()
    return _client


def _verdict(response: dict[str, Any]) -> tuple[str, Any]:
    if response.get("unsupported"):
        return "unsupported", None
    if response.get("ok"):
        return "ok", response.get("result")
    return "error", response.get("error")


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    op, args = shim_request(data)
    expected = _verdict(REFERENCE.handle({"id": 0, "op": op, "args": args}))
    require(expected != ("error", "ShimInternalError"), f"reference-internal-error-{op}")
    try:
        actual = _verdict(_iut().call(op, args))
    except ShimError as error:
        require(False, f"shim-{error.kind}-{op}", str(error).splitlines()[0][:200])
        return
    if actual[0] == "unsupported":
        return
    if expected[0] == "ok" and actual[0] == "ok":
        keys = sorted(k for k in set(expected[1]) | set(actual[1])
                      if expected[1].get(k) != actual[1].get(k))
        require(not keys, f"differs-{op}-result", f"{op}: result keys {keys} differ")
    else:
        want, got = _label(expected), _label(actual)
        require(want == got, f"differs-{op}-{want}-{got}",
                f"{op}: the reference gives {want}, the shim {got}")


def _label(verdict: tuple[str, Any]) -> str:
    return str(verdict[1]) if verdict[0] == "error" else verdict[0]


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
