"""`ShimClient`: drive an implementation through the `ihp-shim/1` stdio protocol.

One client owns one shim process. Requests may be pipelined (`call_many` writes them all,
a writer thread feeds the shim while a reader thread drains its output, so neither side
can block the other). Any deviation from the protocol (the process exits, writes a line
that is not a response object, answers out of order, or stays silent longer than the
per-request timeout) raises a `ShimError` carrying the responses received before it and
the shim's standard error; the client is then dead, and restarting is the caller's
business.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "PROTOCOL",
    "Request",
    "ShimClient",
    "ShimCrashed",
    "ShimError",
    "ShimProtocolError",
    "ShimStartError",
    "ShimTimeout",
    "normalize_requests",
    "validate_response",
]

PROTOCOL = "ihp-shim/1"
_STDERR_CAP = 256 * 1024  # keep the last 256 KiB of a shim's standard error
_MAX_LINE = 16 * 1024 * 1024  # a response line longer than this is garbage, not a response
_EOF = object()

#: One request: `(op, args)` or a mapping with `"op"` and `"args"`.
Request = tuple[str, Mapping[str, Any]] | Mapping[str, Any]


#: how long `hello` may take: starting a runtime (a JVM, a container) takes a while
HELLO_TIMEOUT = 10.0

class ShimError(Exception):
    """The shim broke the protocol; `completed` holds the responses received before."""

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        completed: Sequence[dict[str, Any]] = (),
        stderr: str = "",
    ) -> None:
        super().__init__(message)
        self.completed: list[dict[str, Any]] = list(completed)
        self.stderr = stderr


class ShimStartError(ShimError):
    """The shim command could not be started or did not answer `hello`."""

    kind = "start"


class ShimCrashed(ShimError):
    """The shim exited (or its pipes broke) before answering."""

    kind = "crash"


class ShimTimeout(ShimError):
    """The shim did not answer within the per-request timeout."""

    kind = "timeout"


class ShimProtocolError(ShimError):
    """The shim wrote something that is not the expected response object."""

    kind = "protocol"


def normalize_requests(requests: Sequence[Request]) -> list[tuple[str, Mapping[str, Any]]]:
    """Accept `(op, args)` pairs or `{"op", "args"}` mappings; return pairs."""
    out: list[tuple[str, Mapping[str, Any]]] = []
    for req in requests:
        if isinstance(req, Mapping):
            out.append((str(req["op"]), req.get("args", {})))
        else:
            op, args = req
            out.append((op, args))
    return out


def validate_response(obj: object, want_id: int) -> dict[str, Any]:
    """Return `obj` if it is a well-formed response to request `want_id`, else raise."""
    if not isinstance(obj, dict):
        raise ShimProtocolError(f"response to request {want_id} is not a JSON object")
    if obj.get("id") != want_id or isinstance(obj.get("id"), bool):
        raise ShimProtocolError(
            f"response out of order: expected id {want_id}, got {obj.get('id')!r}"
        )
    ok = obj.get("ok")
    if ok is True:
        if not isinstance(obj.get("result"), dict):
            raise ShimProtocolError(f"response {want_id}: ok without a result object")
    elif ok is False:
        if obj.get("unsupported") is not True and not isinstance(obj.get("error"), str):
            raise ShimProtocolError(f"response {want_id}: error without an error code")
    else:
        raise ShimProtocolError(f"response {want_id}: 'ok' is not a boolean")
    return obj


class ShimClient:
    """A running shim process; see the module docstring for the failure contract."""

    def __init__(
        self,
        argv: Sequence[str] | str,
        timeout: float = 10.0,
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        self.argv: list[str] = shlex.split(argv) if isinstance(argv, str) else list(argv)
        if not self.argv:
            raise ShimStartError("empty shim command")
        self.timeout = float(timeout)
        self._next_id = 0
        self._dead: str | None = None
        self._stderr = bytearray()
        self._stderr_lock = threading.Lock()
        self._lines: queue.Queue[object] = queue.Queue()
        self._writes: queue.Queue[bytes | None] = queue.Queue()
        try:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=None if env is None else {**os.environ, **env},
                cwd=cwd,
            )
        except (OSError, ValueError) as exc:
            raise ShimStartError(f"cannot start {shlex.join(self.argv)}: {exc}") from None
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
            threading.Thread(target=self._write_stdin, daemon=True),
        ]
        for t in self._threads:
            t.start()

    # -- background threads -------------------------------------------------------------

    def _read_stdout(self) -> None:
        stdout = self._proc.stdout
        assert stdout is not None
        with contextlib.suppress(OSError, ValueError):
            while line := stdout.readline(_MAX_LINE):
                if len(line) >= _MAX_LINE and not line.endswith(b"\n"):
                    self._lines.put(b"<a line longer than 16 MiB>")  # never JSON: garbage
                    break
                self._lines.put(line)
        self._lines.put(_EOF)

    def _read_stderr(self) -> None:
        stderr = self._proc.stderr
        assert isinstance(stderr, io.BufferedReader)
        with contextlib.suppress(OSError, ValueError):
            while chunk := stderr.read1(4096):  # whatever is there, without waiting for more
                with self._stderr_lock:
                    self._stderr += chunk
                    if len(self._stderr) > _STDERR_CAP:
                        del self._stderr[: len(self._stderr) - _STDERR_CAP]

    def _write_stdin(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        while (data := self._writes.get()) is not None:
            try:
                stdin.write(data)
                stdin.flush()
            except (OSError, ValueError):
                return  # the reader sees EOF and reports the crash
        with contextlib.suppress(OSError, ValueError):
            stdin.close()

    # -- public API ---------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        """False once the shim broke the protocol or the client was closed."""
        return self._dead is None

    @property
    def pid(self) -> int:
        return self._proc.pid

    def stderr_text(self) -> str:
        """What the shim wrote on standard error so far (the last 256 KiB)."""
        with self._stderr_lock:
            return self._stderr.decode("utf-8", "replace")

    def hello(self) -> dict[str, Any]:
        """Send `hello`; return its result (`implementation`, `version`, `ops`)."""
        per_request, self.timeout = self.timeout, max(self.timeout, HELLO_TIMEOUT)
        try:  # a runtime may take longer to start than to answer a request
            resp = self.call("hello", {"protocol": PROTOCOL})
        except ShimError as exc:
            raise ShimStartError(f"no valid answer to hello: {exc}", stderr=exc.stderr) from None
        finally:
            self.timeout = per_request
        result = resp.get("result")
        if not resp.get("ok") or not isinstance(result, dict):
            raise ShimStartError("hello was refused", stderr=self.stderr_text())
        ops = result.get("ops")
        if result.get("protocol") != PROTOCOL or not isinstance(ops, list):
            raise ShimStartError(
                f"hello answered {result.get('protocol')!r} without an ops list",
                stderr=self.stderr_text(),
            )
        return result

    def call(self, op: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """One request; return its response object."""
        return self.call_many([(op, args)])[0]

    def call_many(
        self, requests: Sequence[Request], on_response: Callable[[], None] | None = None
    ) -> list[dict[str, Any]]:
        """Pipeline `requests`; return their response objects in order.

        `on_response` is called as each response arrives (progress bars). Raises a
        `ShimError` (with `.completed`) at the first protocol deviation.
        """
        if self._dead is not None:
            raise ShimCrashed(f"shim is not running ({self._dead})", stderr=self.stderr_text())
        pairs = normalize_requests(requests)
        first = self._next_id
        self._next_id += len(pairs)
        payload = b"".join(
            json.dumps({"id": first + i, "op": op, "args": args}, separators=(",", ":")).encode()
            + b"\n"
            for i, (op, args) in enumerate(pairs)
        )
        self._writes.put(payload)
        responses: list[dict[str, Any]] = []
        for i in range(len(pairs)):
            try:
                responses.append(self._receive(first + i))
                if on_response is not None:
                    on_response()
            except ShimError as exc:
                exc.completed = responses
                exc.stderr = self.stderr_text()
                raise
        return responses

    def _receive(self, want_id: int) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=self.timeout)
        except queue.Empty:
            self._kill(f"no answer to request {want_id} within {self.timeout:g} s")
            raise ShimTimeout(self._dead or "timeout") from None
        if line is _EOF:
            code = self._wait_exit(1.0)
            self._kill(f"exited (status {code}) before answering request {want_id}")
            raise ShimCrashed(self._dead or "exited")
        assert isinstance(line, bytes)
        try:
            return validate_response(json.loads(line), want_id)
        except ShimProtocolError as exc:
            self._kill(str(exc))
            raise
        except ValueError:
            shown = line[:200].decode("utf-8", "replace").rstrip()
            self._kill(f"wrote a line that is not JSON: {shown!r}")
            raise ShimProtocolError(self._dead or "garbage") from None

    def _wait_exit(self, seconds: float) -> int | None:
        try:
            return self._proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None

    def _kill(self, why: str) -> None:
        self._dead = why
        with contextlib.suppress(OSError):
            self._proc.kill()
        self._wait_exit(2.0)
        self._writes.put(None)
        self._join_readers()

    def _join_readers(self) -> None:
        deadline = time.monotonic() + 2.0
        for t in self._threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))

    def close(self) -> int | None:
        """Close the shim's standard input and wait for it to exit; return its status."""
        if self._dead is None:
            self._dead = "closed"
            self._writes.put(None)
            code = self._wait_exit(5.0)
            if code is None:
                with contextlib.suppress(OSError):
                    self._proc.kill()
                code = self._wait_exit(2.0)
            self._join_readers()
            return code
        return self._proc.returncode

    def __enter__(self) -> ShimClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
