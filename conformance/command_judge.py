"""`ihp-conformance judge requests.json responses.json`: an offline run's verdicts and
reports, as `run` gives them (see `conformance.offline`)."""

from __future__ import annotations

import argparse
import sys

from conformance.cli import UsageError
from conformance.command_run import checked_outputs_and_expectations, report_outputs
from conformance.offline import (
    OfflineError,
    judge_offline,
    load_json,
    load_requests,
    parse_responses,
)

__all__ = ["judge_command"]


def judge_command(args: argparse.Namespace) -> int:
    expectations = checked_outputs_and_expectations(args)
    try:
        requests, settings = load_requests(args.requests)
        responses = parse_responses(load_json(args.responses, "response file"), requests,
                                    args.responses)  # fmt: skip
        report = judge_offline(requests, settings, responses, expectations, args.full_report)
    except OfflineError as exc:
        raise UsageError(str(exc)) from None
    print(f"ihp-conformance: judged {len(report.results)} cases of seed {settings.seed}",
          file=sys.stderr)  # fmt: skip
    return report_outputs(report, args, expectations)
