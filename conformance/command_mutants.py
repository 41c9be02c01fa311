"""`ihp-conformance mutants`: run the suite against every mutant, print the kill table."""

from __future__ import annotations

import argparse

from conformance.cli import UsageError
from conformance.mutants import MUTANTS
from conformance.mutants._kill import kill, render_kill_table

__all__ = ["mutants_command"]


def mutants_command(args: argparse.Namespace) -> int:
    """Exit 0 when every selected mutant is detected, 1 when one survives."""
    if args.list:
        for m in MUTANTS.values():
            print(f"{m.name:36} {m.spec:28} {m.defect}")
        return 0
    names = args.only or list(MUTANTS)
    unknown = [n for n in names if n not in MUTANTS]
    if unknown:
        raise UsageError(f"unknown mutant(s): {', '.join(unknown)} (see --list)")
    results = kill(names, seed=args.seed, cases=args.cases, subprocess=args.subprocess)
    print(render_kill_table(results))
    return 0 if all(r.killed for r in results) else 1
