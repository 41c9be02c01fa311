#!/usr/bin/env python3
"""binary_decode: any bytes through `capsule_from_binary` (spec §9.2).

Rule: the input either decodes, and then re-encodes to exactly the input bytes and agrees
field by field with an independent decoder, or raises `IhpError(Codec)` exactly when that
decoder rejects it (length prefix larger than the rest or than 65,572, trailing bytes,
fewer than 40 bytes). Any other exception (`struct.error`, `MemoryError`, …), a hang or
an allocation driven by the length prefix is a bug.
"""

import sys

import atheris

with atheris.instrument_imports(include=["ihp_ref"]):
    import ihp_ref

from ihp_fuzz.harness import wire
from ihp_fuzz.harness.findings import outcome_of, require
from ihp_fuzz.harness.mutator import decoder_mutator
from ihp_fuzz.harness.reference import require_decoder_agrees

__all__ = ["TestOneInput", "main"]


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    error, capsule = outcome_of(lambda: ihp_ref.capsule_from_binary(data), ihp_ref.IhpError)
    require_decoder_agrees("binary", len(data), error, capsule, wire.from_binary(data))
    if error is not None:
        return
    require(ihp_ref.capsule_to_binary(capsule) == data, "binary-not-canonical")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput, custom_mutator=decoder_mutator())
    atheris.Fuzz()


if __name__ == "__main__":
    main()
