"""ClusterFuzzLite / OSS-Fuzz integration, checked without docker (issue 5 §3).

build.sh is run for real with stubs for `pip3` and `compile_python_fuzzer` (what the
base-builder-python image provides): its Python packaging step runs as in the image.
"""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ihp_fuzz.harnesses import HARNESSES, Harness
from tests._fuzz_support import ROOT

CFLITE = ROOT / ".clusterfuzzlite"
WORKFLOWS = ROOT / ".github" / "workflows"
STUB = """#!/bin/sh
echo "$0 $*" >> "{log}"
{check}
"""


def _stub(folder: Path, name: str, log: Path, check: str = "") -> None:
    path = folder / name
    path.write_text(STUB.format(log=log, check=check), encoding="utf-8")
    path.chmod(0o755)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    tmp = tmp_path_factory.mktemp("cflite")
    stubs, out, log = tmp / "bin", tmp / "out", tmp / "calls.log"
    stubs.mkdir()
    out.mkdir()
    _stub(stubs, "pip3", log)
    _stub(stubs, "compile_python_fuzzer", log, check='test -x "$1" || exit 3')
    env = {**os.environ, "OUT": str(out), "SRC": str(ROOT.parent),
           "PATH": os.pathsep.join([str(stubs), str(Path(sys.executable).parent),
                                    os.environ["PATH"]])}
    proc = subprocess.run(["bash", str(CFLITE / "build.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, log.read_text(encoding="utf-8").splitlines()


def test_build_installs_the_project_and_compiles_every_harness(
        build: tuple[Path, list[str]]) -> None:
    _, calls = build
    assert any(call.endswith("pip3 install .[server]") for call in calls)
    compiled = sorted(call.rsplit("/", 1)[1] for call in calls if "compile_python_fuzzer" in call)
    assert compiled == sorted(f"{h.name}.py" for h in HARNESSES)


@pytest.mark.parametrize("harness", HARNESSES, ids=lambda h: h.name)
def test_build_writes_seed_corpus_dict_and_options(build: tuple[Path, list[str]],
                                                   harness: Harness) -> None:
    out, _ = build
    with zipfile.ZipFile(out / f"{harness.name}_seed_corpus.zip") as bundle:
        names = bundle.namelist()
    seeds = [p for p in harness.seeds(ROOT / "fuzz").iterdir() if p.is_file()]
    assert sorted(n for n in names if not n.startswith("regression-")) == \
        sorted(p.name for p in seeds)
    assert (out / f"{harness.name}.dict").read_bytes() == harness.dictionary(ROOT / "fuzz")\
        .read_bytes()
    options = configparser.ConfigParser()
    options.read(out / f"{harness.name}.options")
    assert dict(options["libfuzzer"]) == {k: str(v) for k, v in
                                          harness.libfuzzer_options().items()}


def test_project_and_image_are_the_python_ones() -> None:
    assert (CFLITE / "project.yaml").read_text(encoding="utf-8").strip() == "language: python"
    dockerfile = (CFLITE / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM gcr.io/oss-fuzz-base/base-builder-python" in dockerfile
    assert "COPY .clusterfuzzlite/build.sh $SRC/" in dockerfile


@pytest.mark.parametrize(("workflow", "modes"), [
    ("cflite_pr.yml", ["code-change"]), ("cflite_batch.yml", ["batch"]),
    ("cflite_cron.yml", ["prune", "coverage"])])
def test_workflows_run_each_mode_on_python_with_a_storage_repo(workflow: str,
                                                               modes: list[str]) -> None:
    text = (WORKFLOWS / workflow).read_text(encoding="utf-8")
    assert "language: python" in text
    for mode in modes:
        assert f"mode: '{mode}'" in text
    assert "storage-repo:" in text
