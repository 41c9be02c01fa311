#!/usr/bin/env python3
"""http_body: `POST /ihp/auth` bodies through `capsule_from_http` (spec §9.3, §11).

Rule: a body that parses as JSON (duplicate keys rejected, as the server does) either
decodes to a capsule, with the same fields as an independent decoder and a body that
`capsule_to_http` re-encodes and decodes to the same capsule, or raises `IhpError` with a
code that decoder allows (`InvalidNonceLength` for a 12-byte-less nonce, `Codec` for any
other defect). `TypeError`, `KeyError`, `ValueError`, `binascii.Error` or any other
exception is a bug (the server would turn it into a 422 or worse). Bodies that are not
JSON are the server's 400 and are skipped here.
"""

import json
import sys
from typing import Any

import atheris

with atheris.instrument_imports(include=["ihp_ref"]):
    import ihp_ref

from ihp_fuzz.harness import wire
from ihp_fuzz.harness.findings import outcome_of, require
from ihp_fuzz.harness.http_form import from_http
from ihp_fuzz.harness.reference import fields_of

__all__ = ["TestOneInput", "main"]


def _parse(data: bytes) -> Any:
    try:
        return json.loads(data, object_pairs_hook=wire.no_duplicate_keys)
    except (ValueError, RecursionError):
        return None


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    body = _parse(data)
    if body is None:
        return
    error, capsule = outcome_of(lambda: ihp_ref.capsule_from_http(body), ihp_ref.IhpError)
    expected = from_http(body)
    if error is not None:
        require(isinstance(expected, frozenset), f"http-rejects-valid-{error}")
        require(error in expected, f"http-raised-{error}", f"allowed: {sorted(expected)}")
        return
    require(not isinstance(expected, frozenset), "http-accepts-invalid",
            f"the spec gives {sorted(expected) if isinstance(expected, frozenset) else ''}")
    require(fields_of(capsule) == expected, "http-fields-differ")
    again = ihp_ref.capsule_from_http(json.loads(json.dumps(ihp_ref.capsule_to_http(capsule))))
    require(again == capsule, "http-roundtrip-differs")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
