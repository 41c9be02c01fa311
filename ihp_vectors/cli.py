"""`ihp-vectors generate | check`: regenerate the vector files, or prove they are current."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ._build import GenerationError
from ._check import check_tree
from ._generate import render_all
from ._loader import VectorFileError
from ._paths import REPO_ROOT

__all__ = ["main"]


def _generate(root: Path) -> int:
    rendered = render_all()
    for rel, text in rendered.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for folder in ("vectors", "schemas"):
        for stale in sorted((root / folder).glob("*.json")):
            if f"{folder}/{stale.name}" not in rendered:
                stale.unlink()  # a file the generator no longer produces
    print(f"ihp-vectors: wrote {len(rendered)} files under {root}")
    return 0


def _check(root: Path) -> int:
    problems = check_tree(root)
    for problem in problems:
        print(f"ihp-vectors check: {problem}", file=sys.stderr)
    if problems:
        print(f"ihp-vectors check: FAILED ({len(problems)} problems)", file=sys.stderr)
        return 1
    print("ihp-vectors check: all vector files current, schema-valid and consistent")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ihp-vectors", description=__doc__)
    parser.add_argument("command", choices=("generate", "check"))
    parser.add_argument(
        "--root",
        type=Path,
        default=REPO_ROOT,
        help="checkout holding vectors/, schemas/ and docs/ (default: this one)",
    )
    options = parser.parse_args(argv)
    if not (options.root / "vectors").is_dir() or not (options.root / "schemas").is_dir():
        # an installed wheel ships the files read-only under ihp_vectors/_data: generating
        # and checking are a maintainer's work on a checkout
        print(
            f"ihp-vectors {options.command}: error: {options.root} is not a checkout "
            "(no vectors/ and schemas/ folders); pass --root",
            file=sys.stderr,
        )
        return 2
    try:
        if options.command == "generate":
            return _generate(options.root)
        return _check(options.root)
    except (GenerationError, VectorFileError, OSError, ImportError, ValueError) as exc:
        print(f"ihp-vectors {options.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
