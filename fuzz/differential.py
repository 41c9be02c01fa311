#!/usr/bin/env python3
"""differential: the same `ihp-shim/1` request through an implementation and the reference.

Rule: for every request built from the input (ihp_fuzz.harness.requests), the shim named
by IHP_FUZZ_SHIM (a command line; default: the reference's own `ihp-ref-shim`, which makes
a smoke test of the machinery; inside a ClusterFuzzLite bundle: the reference through its
line protocol in-process) answers exactly as the in-process reference does: same
`ok`, same `result` (key by key, values exactly) or the same spec §8 error code. An
`unsupported` answer is skipped, and so is a difference on a question the spec leaves open
(docs/INTERPRETATIONS.md). A difference, a shim that crashes, hangs or breaks the
protocol is a finding, named by its cause (ihp_fuzz.harness.causes: the spec §15 flags
that explain it, else the operation and the kind of difference). A reference answer
`ShimInternalError` is a finding too.

With IHP_FUZZ_FINDINGS set (what `ihp-fuzz run|campaign` do), findings are recorded there
by cause, smallest request kept (ihp_fuzz.harness.recorder), and fuzzing goes on; requests
then go to the shim in batches, answers compared when the batch is back. Without it, the
first difference raises (replay, minimisation, CI).
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

from conformance.shimclient import ShimError
from ihp_fuzz.harness.causes import Answer, cause_of
from ihp_fuzz.harness.findings import require
from ihp_fuzz.harness.pipe import PipeShim
from ihp_fuzz.harness.recorder import Recorder
from ihp_fuzz.harness.requests import shim_request

__all__ = ["TestOneInput", "main"]

REFERENCE = ShimSession()
RECORDER = Recorder.from_env()
BATCH = 128  # requests per exchange while recording


class _LineShim:
    """The reference through its own line protocol, in-process: the default inside a
    PyInstaller bundle (ClusterFuzzLite), where `sys.executable -m` cannot start a shim."""

    alive = True

    def __init__(self) -> None:
        self._session = ShimSession()

    def line(self, op: str, args: dict[str, Any]) -> bytes:
        return json.dumps({"id": 0, "op": op, "args": args}).encode()

    def exchange(self, lines: list[bytes]) -> list[dict[str, Any]]:
        return [json.loads(self._session.handle_line(line)) for line in lines]

    def close(self) -> None:
        pass


_client: PipeShim | _LineShim | None = None
# while recording: (input, op, args, reference answer) awaiting the shim
_pending: list[tuple[bytes, str, dict[str, Any], Answer]] = []


def _iut() -> PipeShim | _LineShim:
    global _client
    if _client is None or not _client.alive:
        command = os.environ.get("IHP_FUZZ_SHIM", "").strip()
        if not command and getattr(sys, "frozen", False):
            _client = _LineShim()
            return _client
        argv = shlex.split(command) if command else [sys.executable, "-m", "ihp_ref.shim"]
        _client = PipeShim(argv, timeout=10.0)
        _client.hello()  # ShimStartError propagates: the harness cannot run
    return _client


def _answer(response: dict[str, Any]) -> Answer:
    if response.get("unsupported"):
        return "unsupported", None
    if response.get("ok"):
        return "ok", response.get("result")
    return str(response.get("error")), None


def _compare(data: bytes, op: str, args: dict[str, Any], line: bytes, expected: Answer,
             provided: Answer, detail: str = "") -> None:
    cause = cause_of(op, args, expected, provided)
    if cause is None:
        return
    if RECORDER is not None:
        RECORDER.record(cause, data, op, args, len(line), expected, provided, detail)
        return
    if cause.is_finding:
        require(False, f"differs-{cause.slug}",
                f"{op}: the reference gives {expected[0]}, the shim {provided[0]}"
                f"{' (' + detail + ')' if detail else ''}")


def _flush() -> None:
    """Send the pending requests, compare each answer; a shim that breaks down is a
    finding for the request in flight, and the requests after it are dropped."""
    batch = list(_pending)
    _pending.clear()
    client = _iut()
    lines = [client.line(op, args) for _, op, args, _ in batch]
    try:
        responses = client.exchange(lines)
    except ShimError as error:
        responses = error.completed
        data, op, args, expected = batch[len(responses)]
        _compare(data, op, args, lines[len(responses)], expected, (error.kind, None),
                 str(error).splitlines()[0][:200])
    for (data, op, args, expected), line, response in zip(batch, lines, responses,
                                                         strict=False):
        _compare(data, op, args, line, expected, _answer(response))


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    request = shim_request(data)
    if request is None:
        return
    op, args = request
    expected = _answer(REFERENCE.handle({"id": 0, "op": op, "args": args}))
    require(expected != ("ShimInternalError", None), f"reference-internal-error-{op}")
    _pending.append((data, op, args, expected))
    if RECORDER is None or len(_pending) >= BATCH:
        _flush()


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
