#!/usr/bin/env python3
"""nonce_mutation: the golden capsule of spec §17, mutated, under the key that opens it.

Rule: for an input `i64le(now) ‖ u8(config variant) ‖ capsule` (binary form, or JSON form
when it starts with `{`), `decrypt_capsule` gives exactly the outcome an independent model
of spec §7.5 predicts: a mutated authenticated field → `InvalidAeadTag`, a clear-text
header id change under a re-sealed payload → `HeaderIdMismatch`, `now` beyond the window →
`StaleTimestamp`, untouched → the golden password; the metrics count the attempt once
(spec §16). A capsule that does not decode must fail with `Codec`. Any other exception, or
any other outcome, is a bug.

Unlike the crate's target (spec §15 `StaleFuzzKey`), the session key here is derived from
the §17 inputs and checked to open the golden capsule before fuzzing starts.
"""

import sys

import atheris

with atheris.instrument_imports(include=["ihp_ref"]):
    import ihp_ref

from ihp_fuzz.harness import golden, inputs, model, reference
from ihp_fuzz.harness.findings import check_metrics, require, require_outcome
from ihp_fuzz.harness.mutator import CapsuleMutator

__all__ = ["TestOneInput", "main"]

KEY = reference.golden_session_key()
SESSION_KEY = ihp_ref.SessionKey(KEY)
ENV_HASH = ihp_ref.ServerEnvHash(golden.GOLDEN_ENV_HASH)
ERROR = ihp_ref.IhpError
CODEC = ihp_ref.ErrorCode.CODEC


def _check_success(expected: model.Outcome, plaintext: ihp_ref.IhpPlaintext) -> None:
    password, timestamp, header_id = expected.value  # type: ignore[misc]
    require(plaintext.password.value == password, "decrypt-wrong-password")
    require(plaintext.timestamp.seconds == timestamp, "decrypt-wrong-timestamp")
    require(plaintext.header_id == header_id, "decrypt-wrong-header-id")


# Plain try/except rather than `outcome_of(lambda: ...)`: a closure per call is what this
# harness, the slowest of the capsule ones, can least afford. Any exception other than
# `IhpError` propagates: a finding.
@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    parsed = inputs.parse_mutation_input(data)
    if parsed is None:
        return
    decode = ihp_ref.capsule_from_json if parsed.is_json else ihp_ref.capsule_from_binary
    try:
        capsule = decode(parsed.capsule_bytes)
    except ERROR as error:
        require(error.code is CODEC, f"decode-raised-{error.code}",
                "a decoder may only fail Codec")
        return
    expected = model.expected_decrypt(reference.fields_of(capsule), parsed.config,
                                      golden.GOLDEN_ENV_HASH, KEY, parsed.now)
    try:
        now = ihp_ref.CapsuleTimestamp(parsed.now)
    except ERROR as error:  # spec §7.5 step 0: `now` = I64_MIN
        require_outcome(expected, str(error.code), "decrypt")
        return
    metrics = reference.MetricTally()
    config = reference.ref_config(parsed.config)
    try:
        plaintext = ihp_ref.decrypt_capsule(capsule, ENV_HASH, SESSION_KEY, now, config,
                                            metrics=metrics)
    except ERROR as error:
        require_outcome(expected, str(error.code), "decrypt")
        telemetry: str | None = error.code.telemetry
    else:
        require_outcome(expected, None, "decrypt")
        _check_success(expected, plaintext)
        telemetry = None
    totals, failure_codes = metrics.summary("decrypt")
    check_metrics(totals, failure_codes, "decrypt", telemetry)


def main() -> None:
    mutator = CapsuleMutator(KEY, golden.GOLDEN_ENV_HASH, prefix_bytes=inputs.PREFIX_BYTES,
                             timestamp_hint=golden.GOLDEN_TIMESTAMP)
    atheris.Setup(sys.argv, TestOneInput, custom_mutator=mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
