"""`ihp-conformance run | http | mutants | spec`: the command line.

Exit status: 0 when at least one case ran and no verdict was unexpected; 1 when a verdict
was unexpected; 2 for usage errors and implementations that cannot start or do not
answer `hello`. Bad input gets a one-line message, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from conformance.model import PROFILES

__all__ = ["UsageError", "main"]

_SHIM_PROFILES = tuple(p for p in PROFILES if p != "IHP-HTTP")


class UsageError(Exception):
    """Bad command-line input or an unusable implementation: exit status 2."""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _natural(minimum: int) -> type[int]:
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}: {text!r}")
        return value

    parse.__name__ = "integer"
    return parse  # type: ignore[return-value]


def _profiles(text: str) -> tuple[str, ...]:
    names = tuple(p.strip() for p in text.split(",") if p.strip())
    known = {p.lower(): p for p in _SHIM_PROFILES}
    bad = [n for n in names if n.lower() not in known]
    if bad or not names:
        choices = ", ".join(_SHIM_PROFILES)
        hint = "; IHP-HTTP is tested by 'ihp-conformance http'" if "ihp-http" in {
            b.lower() for b in bad} else ""  # fmt: skip
        raise argparse.ArgumentTypeError(
            f"unknown profile(s) {', '.join(bad) or text!r}; choose from {choices}{hint}"
        )
    return tuple(known[n.lower()] for n in names)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", type=_profiles, help="comma-separated profiles (default: all)")
    p.add_argument("--expectations", metavar="FILE", help="JSON file of skip/xfail globs")
    p.add_argument("--seed", type=_natural(0), help="seed of the generated cases (default: random)")
    p.add_argument("--cases", type=_natural(0), help="generated cases per operation (default: 250)")
    p.add_argument("--jobs", type=_natural(1), default=1, help="parallel shim processes")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first unexpected verdict")
    p.add_argument("--timeout", type=_positive_float, default=10.0, help="per-request timeout (s)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ihp-conformance", description="IHP v1 conformance suite")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{run,http,mutants,spec}")
    run = sub.add_parser("run", help="run the suite against an implementation's shim")
    run.add_argument("--impl", required=True, help='shim command (e.g. "node shim.js"), or "ref"')
    _add_run_options(run)
    run.add_argument("--report-json", metavar="PATH", help="write the JSON report")
    run.add_argument("--junit", metavar="PATH", help="write a JUnit XML report")
    run.add_argument("--html", metavar="PATH", help="write a self-contained HTML report")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--details", action="store_true",
                     help="print every unexpected verdict, by deviation")
    run.add_argument("--write-expectations", metavar="FILE",
                     help="write the expectations file that makes this run's deviations known")
    run.add_argument("--full-report", action="store_true",
                     help="keep the inputs and outputs of passing cases too (JSON report)")
    sub.add_parser("http", help="run the HTTP suite against a server", add_help=False)
    mutants = sub.add_parser("mutants", help="run the suite against every mutant: kill table")
    mutants.add_argument("--only", metavar="NAME", action="append", help="mutant name(s)")
    mutants.add_argument("--seed", type=_natural(0), default=1, help="seed (default: 1)")
    mutants.add_argument("--cases", type=_natural(0), default=60, help="generated cases per op")
    mutants.add_argument(
        "--subprocess", action="store_true", help="run each mutant as a shim subprocess"
    )
    mutants.add_argument("--list", action="store_true", help="list the mutants and exit")
    spec = sub.add_parser("spec", help="print the spec (spec/ihp-v1.md) the suite judges by")
    spec.add_argument("--shim", action="store_true", help="the shim protocol instead")
    spec.add_argument("--path", action="store_true", help="print the file's path, not its text")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ihp-conformance` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["http"]:
        from conformance import http_suite  # lazily: the HTTP suite needs the server extras

        return http_suite.main(args_list[1:])
    args = _parser().parse_args(args_list)
    try:
        if args.command == "run":
            from conformance.command_run import run_command

            return run_command(args)
        if args.command == "spec":
            from conformance.command_spec import spec_command

            return spec_command(args)
        from conformance.command_mutants import mutants_command

        return mutants_command(args)
    except UsageError as exc:
        print(f"ihp-conformance: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ihp-conformance: interrupted", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
