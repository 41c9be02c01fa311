"""`InProcessClient`: a `ShimClient` look-alike around an in-process dispatcher.

`--impl ref` and the mutants run this way: no subprocess, but the same contract. Requests
and responses go through a JSON round trip (`json_copy`: so the dispatcher sees exactly
what a shim would read, and cannot alias the runner's case data), and an exception inside the
dispatcher is reported as a crash, like a shim that died.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from conformance.shimclient import (
    PROTOCOL,
    Request,
    ShimCrashed,
    ShimError,
    ShimStartError,
    normalize_requests,
    validate_response,
)

__all__ = ["Dispatcher", "InProcessClient", "json_copy"]


# well under the digits Python's int <-> str conversion allows (4,300 by default): a longer
# integer takes the round trip, which may refuse it like a real shim's parser would
_SHORT_INT_BITS = 2048


def json_copy(value: Any) -> Any:
    """`json.loads(json.dumps(value))`, exactly (TypeError for what JSON cannot hold), but
    sharing the strings instead of escaping and parsing them: a request of the vectors
    carries documents of 1 MiB. Fresh dicts and lists at every level, so the copy aliases
    nothing mutable. Anything but str-keyed dicts, lists, strings, booleans, None, finite
    floats and integers of up to 2,048 bits takes the JSON round trip itself."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int and value.bit_length() <= _SHORT_INT_BITS:
        return value
    if kind is dict and all(type(key) is str for key in value):
        return {key: json_copy(item) for key, item in value.items()}
    if kind is list:
        return [json_copy(item) for item in value]
    if kind is float and math.isfinite(value):
        return value
    return json.loads(json.dumps(value))


class Dispatcher(Protocol):
    """What `ihp_ref.shim.ShimSession` offers: one request object in, one response out."""

    def handle(self, request: dict[str, Any]) -> dict[str, Any]: ...


class InProcessClient:
    """Same API as `ShimClient` (`hello`, `call`, `call_many`, `close`), in process."""

    def __init__(self, factory: Callable[[], Dispatcher], name: str = "in-process") -> None:
        self.name = name
        self.timeout = 0.0  # not enforced in process
        self._session: Dispatcher | None = factory()
        self._next_id = 0
        self._stderr = ""

    @property
    def alive(self) -> bool:
        return self._session is not None

    def stderr_text(self) -> str:
        return self._stderr

    def hello(self) -> dict[str, Any]:
        try:
            resp = self.call("hello", {"protocol": PROTOCOL})
        except ShimError as exc:
            raise ShimStartError(f"no valid answer to hello: {exc}", stderr=exc.stderr) from None
        result = resp.get("result")
        if (
            not resp.get("ok")
            or not isinstance(result, dict)
            or not isinstance(result.get("ops"), list)
        ):
            raise ShimStartError("hello was refused or has no ops list")
        return result

    def call(self, op: str, args: Mapping[str, Any]) -> dict[str, Any]:
        return self.call_many([(op, args)])[0]

    def call_many(
        self, requests: Sequence[Request], on_response: Callable[[], None] | None = None
    ) -> list[dict[str, Any]]:
        if self._session is None:
            raise ShimCrashed("dispatcher is not running", stderr=self._stderr)
        out: list[dict[str, Any]] = []
        for op, args in normalize_requests(requests):
            rid = self._next_id
            self._next_id += 1
            request = json_copy({"id": rid, "op": op, "args": args})
            try:
                with contextlib.redirect_stderr(io.StringIO()) as err:  # the shim's stderr
                    raw = self._session.handle(request)
                self._stderr += err.getvalue()
                out.append(validate_response(json_copy(raw), rid))
                if on_response is not None:
                    on_response()
            except ShimError as exc:
                self._session = None
                exc.completed, exc.stderr = out, self._stderr
                raise
            except Exception as exc:  # the dispatcher crashed: that is the finding
                self._session = None
                self._stderr += traceback.format_exc()
                raise ShimCrashed(
                    f"dispatcher raised {type(exc).__name__} on request {rid}",
                    completed=out,
                    stderr=self._stderr,
                ) from None
        return out

    def close(self) -> int | None:
        self._session = None
        return 0

    def __enter__(self) -> InProcessClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
