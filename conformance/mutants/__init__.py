"""Mutants: single-defect implementations that the suite must detect (issue 4 §5).

`python -m conformance.mutants <name>` serves one as an `ihp-shim/1` shim on stdio;
`ihp-conformance mutants` runs the suite against each and prints the kill table.
"""

from conformance.mutants._catalog import ALL_MUTANTS, CRATE, DIVERGENCE_MUTANTS, MUTANTS, Mutant

__all__ = ["ALL_MUTANTS", "CRATE", "DIVERGENCE_MUTANTS", "MUTANTS", "Mutant"]
