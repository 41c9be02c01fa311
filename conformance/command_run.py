"""`ihp-conformance run`: options → `run_suite` → terminal report and report files."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path

from conformance.cli import UsageError
from conformance.expectations import (
    Expectations,
    ExpectationsError,
    expectations_for,
    load_expectations,
)
from conformance.generate import DEFAULT_CASES_PER_OPERATION
from conformance.reports import render_terminal, unwritable_report_path, write_report_files
from conformance.runner import ImplementationError, RunOptions, run_suite

__all__ = ["run_command"]


def run_command(args: argparse.Namespace) -> int:
    """Run the suite as the parsed command line says; return the exit status."""
    problem = unwritable_report_path(args)
    if problem:
        raise UsageError(problem)
    try:
        expectations = load_expectations(args.expectations) if args.expectations else Expectations()
    except ExpectationsError as exc:
        raise UsageError(str(exc)) from None
    impl = args.impl.strip()
    if not impl:
        raise UsageError("--impl is empty: give a shim command or 'ref'")
    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    print(f"ihp-conformance: seed {seed} (rerun with --seed {seed})", file=sys.stderr)
    options = RunOptions(
        impl=impl,
        profiles=args.profile,
        expectations=expectations,
        seed=seed,
        cases=DEFAULT_CASES_PER_OPERATION if args.cases is None else args.cases,
        jobs=args.jobs,
        fail_fast=args.fail_fast,
        timeout=args.timeout,
        progress=False if args.no_progress else None,
        keep_passing=args.full_report,
    )
    try:
        report = run_suite(options)
    except ImplementationError as exc:
        raise UsageError(f"implementation {impl!r} is unusable: {exc}") from None
    print(render_terminal(report, details=args.details))
    try:
        write_report_files(report, args)
        if args.write_expectations:
            document = expectations_for(report, expectations)
            text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
            Path(args.write_expectations).write_text(text, encoding="utf-8")
            print(f"expectations written to {args.write_expectations}: "
                  f"{len(document['expectations'])} entries", file=sys.stderr)  # fmt: skip
    except OSError as exc:
        raise UsageError(f"cannot write a report: {exc}") from None
    return report.exit_status()
