"""The reference as an oracle: every generated case's expected outcome comes from it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.cases import Step

__all__ = ["Oracle", "OracleError"]

_SPEC_ERRORS = frozenset(
    {
        "InvalidAeadTag", "StaleTimestamp", "HeaderIdMismatch", "InvalidVersion", "KeyLength",
        "Config", "Codec", "NonceReuse", "NonceCollision", "KeyDerivation",
        "InvalidNonceLength", "InvalidTimestamp", "SerializationFailed",
    }
)  # fmt: skip


class OracleError(RuntimeError):
    """The reference answered a generated request with something that is not an outcome."""


class Oracle:
    """In-process `ihp_ref` shim session; replay guards persist for its lifetime."""

    def __init__(self) -> None:
        from ihp_ref.shim import ShimSession  # lazily: only runs that generate need it

        self._session = ShimSession()
        self._next = 0

    def ask(self, op: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """The reference's raw response object."""
        self._next += 1
        response: dict[str, Any] = self._session.handle(
            {"id": self._next, "op": op, "args": dict(args)}
        )
        return response

    def step(self, op: str, args: Mapping[str, Any]) -> Step:
        """`args` with the reference's outcome as the expected one."""
        response = self.ask(op, args)
        if response.get("ok") is True:
            return Step(dict(args), expected=response["result"])
        code = response.get("error")
        if code not in _SPEC_ERRORS:
            raise OracleError(f"reference answered {op} with {response!r}")
        return Step(dict(args), error=code)

    def result(self, op: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """The reference's result object; `OracleError` if it rejected the request."""
        response = self.ask(op, args)
        if response.get("ok") is not True:
            raise OracleError(f"reference rejected a valid {op}: {response.get('error')}")
        result: dict[str, Any] = response["result"]
        return result
