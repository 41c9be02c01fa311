"""`ihp-conformance export`: the request file of an offline run (see `conformance.offline`)."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path

from conformance.cases import OPERATION_PROFILES
from conformance.cli import UsageError
from conformance.generate import DEFAULT_CASES_PER_OPERATION
from conformance.offline import OfflineSettings, build_requests

__all__ = ["export_command", "parse_ops"]


def parse_ops(text: str) -> tuple[str, ...]:
    """`--ops a,b`: shim-protocol operations, in the protocol's order."""
    names = {n.strip() for n in text.split(",") if n.strip()}
    bad = sorted(names - set(OPERATION_PROFILES))
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"unknown operation(s) {', '.join(bad) or text!r}; "
            f"choose from {', '.join(OPERATION_PROFILES)}")  # fmt: skip
    return tuple(op for op in OPERATION_PROFILES if op in names)


def export_command(args: argparse.Namespace) -> int:
    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    settings = OfflineSettings(
        seed=seed,
        profiles=args.profile or OfflineSettings.profiles,
        cases=DEFAULT_CASES_PER_OPERATION if args.cases is None else args.cases,
        ops=args.ops or tuple(OPERATION_PROFILES),
    )
    document = build_requests(settings)
    try:
        with Path(args.out).open("w", encoding="utf-8") as out:
            json.dump(document, out, indent=None, separators=(",", ":"), ensure_ascii=False)
            out.write("\n")
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"ihp-conformance: {document['count']} cases (seed {seed}) written to {args.out}; "
          f"answer them (spec/shim-protocol.md, 'Offline mode'), then "
          f"'ihp-conformance judge {args.out} responses.json'", file=sys.stderr)  # fmt: skip
    return 0
