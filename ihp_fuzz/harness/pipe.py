"""A shim process driven from the fuzzing loop's own thread, many requests at a time.

`conformance.shimclient.ShimClient` hands every request and answer between three threads,
which costs more than a fast shim takes to answer. Here the loop writes a batch of request
lines and reads the answers through non-blocking pipes with `poll` (writing and reading in
turn, so that neither side can block the other whatever the sizes). The failure contract
is ShimClient's: a crash, a timeout (per answer) or a line that is not the expected
response raises its `ShimError`, with `completed` holding the answers before it, and the
process is then dead.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from conformance.shimclient import (
    PROTOCOL,
    ShimCrashed,
    ShimError,
    ShimProtocolError,
    ShimStartError,
    ShimTimeout,
    validate_response,
)

__all__ = ["PipeShim"]

_MAX_LINE = 16 * 1024 * 1024
_CHUNK = 1 << 16
_STDERR_TAIL = 4096


class PipeShim:
    """One shim process; `exchange` sends request lines and returns their answers."""

    def __init__(self, argv: Sequence[str], timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        try:
            self._proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=self._stderr)
        except (OSError, ValueError) as exc:
            raise ShimStartError(f"cannot start {argv[0]}: {exc}") from None
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._in, self._out = self._proc.stdin.fileno(), self._proc.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        self._poll = select.poll()
        self._poll.register(self._out, select.POLLIN)
        self._buffer = bytearray()
        self._next_id = 0
        self.dead: str | None = None

    @property
    def alive(self) -> bool:
        return self.dead is None

    def hello(self) -> None:
        try:
            answer = self.call("hello", {"protocol": PROTOCOL})
        except ShimError as exc:
            raise ShimStartError(f"no valid answer to hello: {exc}",
                                 stderr=self.stderr_tail()) from None
        if not answer.get("ok"):
            raise ShimStartError("hello was refused", stderr=self.stderr_tail())

    def call(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        return self.exchange([self.line(op, args)])[0]

    def line(self, op: str, args: dict[str, Any]) -> bytes:
        """The next request line (ids are consecutive: lines go to `exchange` in order)."""
        request = {"id": self._next_id, "op": op, "args": args}
        self._next_id += 1
        return json.dumps(request, separators=(",", ":")).encode() + b"\n"

    def exchange(self, lines: Sequence[bytes]) -> list[dict[str, Any]]:
        """Write `lines`, return their answers in order; ShimError at the first deviation."""
        if self.dead is not None:
            raise ShimCrashed(f"shim is not running ({self.dead})")
        first_id = self._next_id - len(lines)
        pending = memoryview(b"".join(lines))
        answers: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.timeout
        while len(answers) < len(lines):
            try:
                pending = self._write_some(pending)
                if self._read_some(deadline):
                    deadline = time.monotonic() + self.timeout
                answers.extend(self._answers(first_id + len(answers), len(lines) - len(answers)))
            except ShimError as exc:
                exc.completed, exc.stderr = answers, self.stderr_tail()
                raise
        return answers

    def _write_some(self, pending: memoryview) -> memoryview:
        if not pending:
            return pending
        try:
            written = os.write(self._in, pending[:_CHUNK])
        except BlockingIOError:
            written = 0
        except (BrokenPipeError, OSError):
            raise self._die(ShimCrashed, "exited while reading its requests") from None
        if written < len(pending):
            self._poll.register(self._in, select.POLLOUT)  # wake up when there is room
        return pending[written:]

    def _read_some(self, deadline: float) -> bool:
        """Wait for output (or room to write); True if output came."""
        wait = deadline - time.monotonic()
        events = self._poll.poll(max(0, int(wait * 1000))) if wait > 0 else []
        if not events:
            raise self._die(ShimTimeout, f"no answer within {self.timeout:g} s")
        with contextlib.suppress(KeyError):
            self._poll.unregister(self._in)
        if not any(fd == self._out for fd, _ in events):
            return False
        try:
            chunk = os.read(self._out, _CHUNK)
        except BlockingIOError:
            return False
        if not chunk:
            code = self._wait(1.0)
            raise self._die(ShimCrashed, f"exited (status {code}) before answering")
        self._buffer += chunk
        if len(self._buffer) > _MAX_LINE and b"\n" not in self._buffer:
            raise self._die(ShimProtocolError, "wrote a line longer than 16 MiB")
        return True

    def _answers(self, want_id: int, room: int) -> list[dict[str, Any]]:
        answers: list[dict[str, Any]] = []
        while room > len(answers) and (end := self._buffer.find(b"\n")) >= 0:
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if not line.strip():
                continue
            try:
                answers.append(validate_response(json.loads(line), want_id + len(answers)))
            except ShimProtocolError as exc:
                raise self._die(ShimProtocolError, str(exc)) from None
            except (ValueError, RecursionError):
                raise self._die(ShimProtocolError, "wrote a line that is not JSON") from None
        return answers

    def _die(self, kind: type[ShimError], why: str) -> ShimError:
        self.dead = why
        with contextlib.suppress(OSError):
            self._proc.kill()
        self._wait(2.0)
        return kind(why)

    def _wait(self, seconds: float) -> int | None:
        try:
            return self._proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None

    def stderr_tail(self) -> str:
        """The end of what the shim wrote on standard error."""
        with contextlib.suppress(OSError):
            size = self._stderr.seek(0, os.SEEK_END)
            self._stderr.seek(max(0, size - _STDERR_TAIL))
            return self._stderr.read().decode("utf-8", "replace")
        return ""

    def close(self) -> None:
        if self.dead is None:
            self.dead = "closed"
            with contextlib.suppress(OSError):
                assert self._proc.stdin is not None
                self._proc.stdin.close()
            if self._wait(5.0) is None:
                with contextlib.suppress(OSError):
                    self._proc.kill()
                self._wait(2.0)
        self._stderr.close()
