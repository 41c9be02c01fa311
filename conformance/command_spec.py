"""`ihp-conformance spec [--shim] [--path]`: the normative document the suite judges against.

The protocol (`spec/ihp-v1.md`) or, with `--shim`, the contract of a shim
(`spec/shim-protocol.md`), from the checkout or the installed wheel: its text on stdout,
byte for byte, or with `--path` the file's location.
"""

from __future__ import annotations

import argparse
import os
import sys

from conformance.cli import UsageError
from ihp_vectors import spec_path

__all__ = ["spec_command"]


def spec_command(args: argparse.Namespace) -> int:
    path = spec_path("shim-protocol.md" if args.shim else "ihp-v1.md")
    try:
        output = f"{path}\n".encode() if args.path else path.read_bytes()
    except OSError as exc:  # a broken installation: say which file, no traceback
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        sys.stdout.buffer.write(output)
        sys.stdout.flush()
    except BrokenPipeError:
        # `ihp-conformance spec | head`: the reader left; no traceback when Python flushes
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
