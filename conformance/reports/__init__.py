"""Report writers: every suite's `RunReport` as terminal text, JSON, JUnit XML or HTML."""

from conformance.reports._files import unwritable_report_path, write_report_files
from conformance.reports._html import write_html
from conformance.reports._json import REPORT_SCHEMA_ID, report_to_dict, write_json
from conformance.reports._junit import write_junit
from conformance.reports._terminal import render_terminal

__all__ = [
    "REPORT_SCHEMA_ID",
    "render_terminal",
    "report_to_dict",
    "unwritable_report_path",
    "write_html",
    "write_json",
    "write_junit",
    "write_report_files",
]
