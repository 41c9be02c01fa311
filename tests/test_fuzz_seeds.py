"""The committed seed corpora: generated, current, and reaching every decryption step.

Issue 5: the nonce_mutation seed corpus covers >= 90 % of the lines of the reference's
decryption (measured here with coverage.py over the decryption functions of
`ihp_ref/_capsule.py` and their §16 counting in `ihp_ref/_counting.py`), and each seed reaches the step its name says.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import coverage
import pytest

import ihp_ref
from ihp_fuzz.harness import golden, inputs, model, reference, wire
from ihp_fuzz.seeds import fixture_fields, seed_inputs, write_seeds
from tests._fuzz_support import FUZZ, import_harness

# the reference's decryption: the checks, and the metrics wrapper around them
DECRYPTION_FUNCTIONS = {
    "_capsule.py": ("decrypt_capsule", "check_before_opening", "open_payload",
                    "check_plaintext"),
    "_counting.py": ("decrypt_counted", "_count_success", "_count_failure"),
}
COVERAGE_TARGET = 0.90
# seed name prefix → the outcome spec §7.5 gives it
STEP_OUTCOMES = {"ok": None, "step0": "InvalidTimestamp", "step1": "Config",
                 "step2": "InvalidVersion", "step3": "Codec", "step4": "InvalidAeadTag",
                 "step5": "Codec", "step6": "InvalidTimestamp", "step7": "HeaderIdMismatch",
                 "step8": "StaleTimestamp"}


def test_committed_seeds_are_the_generated_ones(tmp_path: Path) -> None:
    write_seeds(tmp_path)
    for harness in seed_inputs():
        generated = {p.name: p.read_bytes() for p in (tmp_path / "corpus" / harness).iterdir()}
        committed = {p.name: p.read_bytes() for p in (FUZZ / "corpus" / harness).glob("seed-*")}
        assert committed == generated, f"run python -m ihp_fuzz.seeds ({harness})"


def test_each_mutation_seed_reaches_the_step_its_name_says() -> None:
    reached = set()
    for name, data in seed_inputs()["nonce_mutation"].items():
        parsed = inputs.parse_mutation_input(data)
        assert parsed is not None
        decode = ihp_ref.capsule_from_json if parsed.is_json else ihp_ref.capsule_from_binary
        fields = reference.fields_of(decode(parsed.capsule_bytes))
        outcome = model.expected_decrypt(fields, parsed.config, golden.GOLDEN_ENV_HASH,
                                         reference.golden_session_key(), parsed.now)
        step = name.split("-", 1)[0]
        assert outcome.error == STEP_OUTCOMES[step], name
        reached.add(step)
    assert reached == set(STEP_OUTCOMES)


def _decryption_lines(source: Path) -> set[int]:
    tree = ast.parse(source.read_text(encoding="utf-8"))
    lines: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in DECRYPTION_FUNCTIONS[source.name]:
            lines.update(range(node.body[0].lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def test_mutation_seeds_cover_the_reference_decryption() -> None:
    harness = import_harness("nonce_mutation")
    sources = [Path(ihp_ref.__file__).resolve().parent / name for name in DECRYPTION_FUNCTIONS]
    cov = coverage.Coverage(include=[str(source) for source in sources], data_file=None)
    cov.start()
    try:
        for seed in sorted((FUZZ / "corpus" / "nonce_mutation").iterdir()):
            harness.TestOneInput(seed.read_bytes())
    finally:
        cov.stop()
    wanted: set[tuple[str, int]] = set()
    covered: set[tuple[str, int]] = set()
    for source in sources:
        _, statements, _, missing, _ = cov.analysis2(str(source))
        lines = _decryption_lines(source) & set(statements)
        wanted.update((source.name, n) for n in lines)
        covered.update((source.name, n) for n in lines - set(missing))
    assert len(wanted) > 40, "DECRYPTION_FUNCTIONS no longer names the decryption code"
    ratio = len(covered) / len(wanted)
    assert ratio >= COVERAGE_TARGET, f"{ratio:.1%}; missing lines {sorted(wanted - covered)}"


def test_seed_capsules_are_the_committed_spec_17_fixtures() -> None:
    # two derivations (ihp_fuzz.harness, ihp_vectors) of the same §17 inputs must agree
    golden_dir = FUZZ.parent / "vectors" / "golden"
    fixture = (golden_dir / "capsule_v1.hex").read_text(encoding="utf-8").strip()
    assert wire.to_binary(fixture_fields()).hex() == fixture
    document = (golden_dir / "golden_capsule_v1.json").read_bytes()
    assert wire.from_json(document) == golden.golden_fields()


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["a", "b"]])
def test_the_seed_writer_refuses_an_option_instead_of_writing_into_it(
    argv: list[str], tmp_path: Path
) -> None:
    done = subprocess.run([sys.executable, "-m", "ihp_fuzz.seeds", *argv], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and "usage:" in done.stderr and "Traceback" not in done.stderr
    assert not any(tmp_path.iterdir())
