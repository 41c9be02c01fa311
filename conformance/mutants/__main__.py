"""`python -m conformance.mutants NAME`: serve one mutant as an `ihp-shim/1` shim."""

from __future__ import annotations

import sys

from conformance.mutants import ALL_MUTANTS

__all__ = ["main"]


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ALL_MUTANTS:
        print("usage: python -m conformance.mutants NAME\nmutants: " + ", ".join(ALL_MUTANTS),
              file=sys.stderr)  # fmt: skip
        return 2
    session = ALL_MUTANTS[argv[0]].session()
    try:
        for line in sys.stdin.buffer:
            if line.strip():
                sys.stdout.buffer.write(session.handle_line(line))
                sys.stdout.buffer.flush()
    except (BrokenPipeError, KeyboardInterrupt):
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
