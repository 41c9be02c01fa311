"""The report files a command line asks for (`--report-json`, `--junit`, `--html`), for
every command that runs a suite."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from conformance.model import RunReport
from conformance.reports._html import write_html
from conformance.reports._json import write_json
from conformance.reports._junit import write_junit

__all__ = ["unwritable_report_path", "write_report_files"]

_FILES = (("report_json", "--report-json", write_json), ("junit", "--junit", write_junit),
          ("html", "--html", write_html))


def unwritable_report_path(args: argparse.Namespace) -> str | None:
    """What is wrong with a report path, checked before the suite runs; None if nothing."""
    for attribute, option, _ in _FILES:
        path = getattr(args, attribute)
        if path is None:
            continue
        parent = Path(path).resolve().parent
        if not parent.is_dir() or not os.access(parent, os.W_OK) or Path(path).is_dir():
            return f"{option} {path}: cannot write there"
    return None


def write_report_files(report: RunReport, args: argparse.Namespace) -> None:
    """Write every report file the command line names (`OSError` if one cannot be)."""
    for attribute, _, write in _FILES:
        path = getattr(args, attribute)
        if path:
            write(report, path)
