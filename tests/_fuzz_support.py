"""Helpers of the fuzz tests: where the harnesses are, how to run or import one."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from ihp_fuzz.harnesses import Harness
from ihp_fuzz.libfuzzer import harness_env, libfuzzer_argv

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "fuzz"

__all__ = ["FUZZ", "ROOT", "import_harness", "run_harness"]


def import_harness(name: str) -> ModuleType:
    """The harness module, imported in-process (its `main()` is not called)."""
    module_name = f"_fuzz_harness_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, FUZZ / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def run_harness(harness: Harness, corpus_dirs: list[Path], extra: list[str],
                pythonpath: tuple[Path, ...] = (), timeout: float = 300
                ) -> subprocess.CompletedProcess[str]:
    argv = libfuzzer_argv(harness, FUZZ, corpus_dirs=corpus_dirs, extra=extra)
    return subprocess.run(argv, env=harness_env(pythonpath), capture_output=True, text=True,
                          timeout=timeout, check=False)
