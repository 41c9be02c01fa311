"""`ihp-conformance run`: options → `run_suite` → terminal report and report files."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from conformance.cli import UsageError
from conformance.expectations import Expectations, ExpectationsError, load_expectations
from conformance.generate import DEFAULT_CASES_PER_OPERATION
from conformance.reports import render_terminal, write_html, write_json, write_junit
from conformance.runner import ImplementationError, RunOptions, run_suite

__all__ = ["run_command"]


def _check_writable(path: str | None, option: str) -> None:
    if path is None:
        return
    parent = Path(path).resolve().parent
    if not parent.is_dir() or not os.access(parent, os.W_OK) or Path(path).is_dir():
        raise UsageError(f"{option} {path}: cannot write there")


def run_command(args: argparse.Namespace) -> int:
    """Run the suite as the parsed command line says; return the exit status."""
    for path, option in ((args.report_json, "--report-json"), (args.junit, "--junit"),
                         (args.html, "--html")):  # fmt: skip
        _check_writable(path, option)
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
    )
    try:
        report = run_suite(options)
    except ImplementationError as exc:
        raise UsageError(f"implementation {impl!r} is unusable: {exc}") from None
    print(render_terminal(report))
    try:
        if args.report_json:
            write_json(report, args.report_json)
        if args.junit:
            write_junit(report, args.junit)
        if args.html:
            write_html(report, args.html)
    except OSError as exc:
        raise UsageError(f"cannot write a report: {exc}") from None
    return report.exit_status()
