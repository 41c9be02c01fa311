"""`ihp-fuzz run|campaign|reproduce|promote`.

Exit status: 0 nothing found; 1 a new finding (a signature not among the regressions);
2 bad usage; 3 infrastructure problem (a harness did not run); 4 only known findings or a
harness below half of its exec/s baseline. A nightly job fails on anything but 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ihp_fuzz import crashes, regressions
from ihp_fuzz.campaign import CampaignOptions, run_campaign
from ihp_fuzz.durations import parse_duration
from ihp_fuzz.errors import FuzzToolError
from ihp_fuzz.harnesses import HARNESSES, Harness, checkout_fuzz_dir, fuzz_dir, get_harness
from ihp_fuzz.libfuzzer import harness_env
from ihp_fuzz.progress import Progress

__all__ = ["main"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _duration(text: str) -> int:
    try:
        return parse_duration(text)
    except FuzzToolError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pythonpath", type=Path, action="append", default=[],
                        help="directory put first on the harnesses' PYTHONPATH (fuzz a copy "
                             "or another build of ihp_ref); repeatable")


def _campaign_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=_positive_int, default=1,
                        help="parallel libFuzzer jobs (-fork=N)")
    parser.add_argument("--out", type=Path, default=Path("out/fuzz"),
                        help="campaign directory (corpus, findings, logs, summary)")
    parser.add_argument("--no-minimize", dest="minimize", action="store_false",
                        help="skip crash input minimisation")
    parser.add_argument("--update-seeds", action="store_true",
                        help="also merge the new corpus into fuzz/corpus/<harness>")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    parser.add_argument("--libfuzzer-flag", dest="extra", action="append", default=[],
                        metavar="-FLAG=VALUE", help="extra libFuzzer flag; repeatable")
    _common(parser)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ihp-fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    names = [h.name for h in HARNESSES]
    run = sub.add_parser("run", help="fuzz one harness")
    run.add_argument("harness", choices=names)
    run.add_argument("--time", type=_duration, default=60, help="budget (e.g. 300, 5m)")
    _campaign_flags(run)
    campaign = sub.add_parser("campaign", help="fuzz every harness within a budget")
    campaign.add_argument("--budget", type=_duration, required=True,
                          help="total budget (e.g. 8h), shared by the harnesses")
    campaign.add_argument("--harness", dest="harnesses", action="append", choices=names,
                          help="restrict to this harness; repeatable (default: all)")
    _campaign_flags(campaign)
    for name, text in (("reproduce", "replay one finding with its traceback"),
                       ("promote", "turn a finding into a regression case")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("crash_file", type=Path)
        cmd.add_argument("--harness", choices=names,
                         help="the harness (default: guessed from the file's path)")
        _common(cmd)
    promote = sub.choices["promote"]
    promote.add_argument("--note", default="", help="one sentence: what the bug was")
    promote.add_argument("--no-minimize", dest="minimize", action="store_false")
    return parser


def _guess_harness(path: Path, explicit: str | None) -> Harness:
    if explicit:
        return get_harness(explicit)
    matches = [h for h in HARNESSES if h.name in path.resolve().parts]
    if len(matches) != 1:
        raise FuzzToolError(f"cannot tell the harness of {path} from its path: use --harness")
    return matches[0]


def _crash_file(path: Path) -> Path:
    if not path.is_file():
        raise FuzzToolError(f"no such file: {path}")
    return path


def _campaign(args: argparse.Namespace, harnesses: Sequence[Harness], budget: int) -> int:
    root = checkout_fuzz_dir("--update-seeds") if args.update_seeds else fuzz_dir()
    options = CampaignOptions(harnesses, root, args.out, budget, args.jobs,
                              args.pythonpath, args.minimize, args.update_seeds, args.extra)
    report = run_campaign(options, Progress(quiet=args.quiet))
    print(f"summary: {args.out / 'summary.md'} ({len(report.new_findings)} new, "
          f"{len(report.known_findings)} known findings); exit status {report.exit_status}")
    return report.exit_status


def _reproduce(args: argparse.Namespace) -> int:
    harness, crash = _guess_harness(args.crash_file, args.harness), _crash_file(args.crash_file)
    replay = crashes.reproduce(harness, fuzz_dir(), crash, harness_env(args.pythonpath))
    if not replay.crashed:
        print(f"{crash}: no finding ({harness.name} accepts this input)")
        return 0
    print(replay.traceback or replay.output[-4000:])
    if replay.signature:
        print(f"signature {replay.signature.digest}: {replay.signature.summary}")
    return 1


def _promote(args: argparse.Namespace) -> int:
    harness, crash = _guess_harness(args.crash_file, args.harness), _crash_file(args.crash_file)
    root, env = checkout_fuzz_dir("ihp-fuzz promote"), harness_env(args.pythonpath)
    replay = crashes.reproduce(harness, root, crash, env)
    if not replay.crashed or replay.signature is None:
        raise FuzzToolError(f"{crash} does not reproduce with {harness.name}: not promoted", 1)
    source = crash
    if args.minimize:
        small = crashes.minimize(harness, root, crash, args.crash_file.with_suffix(".min"), env)
        if small is not None and crashes.reproduce(harness, root, small, env).signature == \
                replay.signature:
            source = small
    target = ", ".join(str(p) for p in args.pythonpath) or "ihp_ref"
    meta = regressions.promote_case(harness, root, source, replay.signature, target, args.note)
    print(f"promoted {replay.signature.digest} ({replay.signature.summary}) to {meta}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        for folder in args.pythonpath:
            if not folder.is_dir():
                raise FuzzToolError(f"--pythonpath {folder}: not a directory")
        if args.command == "run":
            return _campaign(args, [get_harness(args.harness)], args.time)
        if args.command == "campaign":
            chosen = [get_harness(n) for n in args.harnesses] if args.harnesses else HARNESSES
            return _campaign(args, chosen, args.budget)
        return _reproduce(args) if args.command == "reproduce" else _promote(args)
    except FuzzToolError as exc:
        print(f"ihp-fuzz: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("ihp-fuzz: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"ihp-fuzz: error: {exc.strerror or exc} ({exc.filename or ''})", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
