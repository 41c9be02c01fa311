#!/usr/bin/env python3
"""json_decode: any bytes through `capsule_from_json` (spec §9.1).

Rule: the input either decodes, and then `capsule_to_json` gives the canonical form, which
decodes to the same capsule and re-encodes to itself, and an independent decoder accepts
the input with the same fields; or it raises `IhpError(Codec)` exactly when that decoder
rejects it (not UTF-8, over 1 MiB, nesting deeper than 64, a missing or duplicate key, a
non-integer or out-of-range number, a nonce that is not 12 bytes). Any other exception
(`RecursionError`, `KeyError`, `TypeError`, …) or a hang is a bug.
"""

import sys

import atheris

with atheris.instrument_imports(include=["ihp_ref"]):
    import ihp_ref

from ihp_fuzz.harness import golden, reference, wire
from ihp_fuzz.harness.findings import outcome_of, require
from ihp_fuzz.harness.mutator import CapsuleMutator
from ihp_fuzz.harness.reference import require_decoder_agrees

__all__ = ["TestOneInput", "main"]


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    error, capsule = outcome_of(lambda: ihp_ref.capsule_from_json(data), ihp_ref.IhpError)
    require_decoder_agrees("json", len(data), error, capsule, wire.from_json(data))
    if error is not None:
        return
    canonical = ihp_ref.capsule_to_json(capsule)
    require(canonical == wire.to_json(reference.fields_of(capsule)), "json-not-canonical")
    again = ihp_ref.capsule_from_json(canonical)
    require(again == capsule and ihp_ref.capsule_to_json(again) == canonical,
            "json-roundtrip-differs")


def main() -> None:
    mutator = CapsuleMutator(golden.golden_session_key(), golden.GOLDEN_ENV_HASH,
                             timestamp_hint=golden.GOLDEN_TIMESTAMP, byte_level_share=0.5)
    atheris.Setup(sys.argv, TestOneInput, custom_mutator=mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
