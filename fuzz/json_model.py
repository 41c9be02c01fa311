#!/usr/bin/env python3
"""json_model: any bytes through `capsule_from_json` and an independent model (spec §9.1).

Rule: the reference decodes exactly the inputs the model's decoder (`wire.from_json`)
decodes, to the same fields, and for those `capsule_to_json` writes exactly the model's
canonical text; it rejects the others with `IhpError(Codec)` (not UTF-8, over 1 MiB,
nesting deeper than 64, a missing or duplicate key, a non-integer or out-of-range number,
a nonce that is not 12 bytes). Any other exception or a hang is a bug. The reference's own
round trip, at full speed, is json_decode's rule. An input `ff fe ‖ u32le(size) ‖ document`
is that document grown with spaces to `size` bytes (ihp_fuzz.harness.inputs), so that the
1 MiB cap is a mutation away.
"""

import sys

import atheris

with atheris.instrument_imports(include=["ihp_ref"]):
    import ihp_ref

from ihp_fuzz.harness import reference, wire
from ihp_fuzz.harness.findings import outcome_of, require
from ihp_fuzz.harness.inputs import decode_padded
from ihp_fuzz.harness.mutator import decoder_mutator
from ihp_fuzz.harness.reference import require_decoder_agrees

__all__ = ["TestOneInput", "main"]


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    data = decode_padded(data)
    error, capsule = outcome_of(lambda: ihp_ref.capsule_from_json(data), ihp_ref.IhpError)
    require_decoder_agrees("json", len(data), error, capsule, wire.from_json(data))
    if error is not None:
        return
    require(ihp_ref.capsule_to_json(capsule) == wire.to_json(reference.fields_of(capsule)),
            "json-not-canonical")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput, custom_mutator=decoder_mutator())
    atheris.Fuzz()


if __name__ == "__main__":
    main()
