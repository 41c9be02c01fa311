"""The ClusterFuzzLite / OSS-Fuzz packaging step of `.clusterfuzzlite/build.sh`.

`python3 -m ihp_fuzz.cflite FUZZ_DIR OUT` writes, per harness, `<t>_seed_corpus.zip` (the
committed seeds and regression inputs), `<t>.dict` and `<t>.options` (the same libFuzzer
limits as `ihp-fuzz`); `python3 -m ihp_fuzz.cflite --list` prints the harness names for
build.sh's `compile_python_fuzzer` loop. Pure Python: CI dry-runs it (no docker there).
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

from ihp_fuzz.harnesses import HARNESSES, Harness

__all__ = ["package", "package_harness"]


def package_harness(harness: Harness, root: Path, out: Path) -> list[Path]:
    written = []
    archive = out / f"{harness.name}_seed_corpus.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for folder, prefix in ((harness.seeds(root), ""),
                               (harness.regressions(root), "regression-")):
            for path in sorted(folder.glob("*")) if folder.is_dir() else []:
                if path.is_file() and path.suffix != ".json":
                    bundle.write(path, f"{prefix}{path.name}")
    written.append(archive)
    if harness.dictionary(root).is_file():
        written.append(Path(shutil.copyfile(harness.dictionary(root),
                                            out / f"{harness.name}.dict")))
    options = out / f"{harness.name}.options"
    lines = ["[libfuzzer]", *(f"{k} = {v}" for k, v in harness.libfuzzer_options().items())]
    options.write_text("\n".join(lines) + "\n", encoding="utf-8")
    written.append(options)
    return written


def package(root: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return [path for harness in HARNESSES for path in package_harness(harness, root, out)]


def main(argv: list[str]) -> int:
    if argv == ["--list"]:
        print("\n".join(h.name for h in HARNESSES))
        return 0
    if len(argv) != 2:
        print("usage: python3 -m ihp_fuzz.cflite FUZZ_DIR OUT | --list", file=sys.stderr)
        return 2
    for path in package(Path(argv[0]), Path(argv[1])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
