"""Findings: replay, stack signature (for de-duplication) and minimisation.

A signature is the exception type, the finding's bucket (a harness's oracle states it
before ` :: ` in its message) and the innermost frames as (file name, function): line
numbers are left out so that an unrelated edit does not turn a known finding into a new one.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ihp_fuzz.harnesses import Harness
from ihp_fuzz.libfuzzer import libfuzzer_argv

__all__ = ["Reproduction", "Signature", "minimize", "reproduce", "stack_signature"]

_FRAME = re.compile(r'^\s*File "([^"]+)", line \d+, in (\S+)', re.MULTILINE)
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|"
                             r"Finding)?)(?::\s?(.*))?$")
_INNERMOST_FRAMES = 3


@dataclass(frozen=True, slots=True)
class Signature:
    kind: str  # "exception", "timeout", "oom", "crash"
    summary: str  # e.g. "AssertionError [HeaderIdMismatch-expected] at _capsule.py:decrypt"
    digest: str  # 12 hex digits of sha256(summary)

    @classmethod
    def of(cls, kind: str, summary: str) -> Signature:
        return cls(kind, summary, hashlib.sha256(summary.encode()).hexdigest()[:12])


@dataclass(frozen=True, slots=True)
class Reproduction:
    crashed: bool
    returncode: int
    traceback: str
    signature: Signature | None
    output: str


def _python_traceback(output: str) -> str:
    start = output.find("Traceback (most recent call last):")
    if start < 0:
        return ""
    lines = output[start:].splitlines()
    end = next((i for i, line in enumerate(lines[1:], 1)
                if line and not line.startswith(" ")), len(lines) - 1)
    return "\n".join(lines[: end + 1])


def stack_signature(output: str) -> Signature | None:
    """The signature of the finding in a harness's output, or None if it shows none."""
    traceback = _python_traceback(output)
    if traceback:
        frames = _FRAME.findall(traceback)[-_INNERMOST_FRAMES:]
        last = traceback.splitlines()[-1].strip()
        match = _EXCEPTION_LINE.match(last)
        exc_type = match.group(1) if match else last.split(":", 1)[0]
        message = (match.group(2) or "") if match else ""
        bucket = f" [{message.split(' :: ', 1)[0]}]" if " :: " in message else ""
        where = " < ".join(f"{Path(f).name}:{fn}" for f, fn in reversed(frames))
        return Signature.of("exception", f"{exc_type}{bucket} at {where}")
    if "libFuzzer: timeout" in output or "ALARM: working on the last Unit" in output:
        return Signature.of("timeout", "timeout")
    if "out-of-memory" in output:
        return Signature.of("oom", "out-of-memory")
    if "ERROR: libFuzzer" in output or "ERROR: AddressSanitizer" in output:
        return Signature.of("crash", "native crash")
    return None


def reproduce(harness: Harness, root: Path, crash_file: Path, env: dict[str, str],
              wall_limit: float = 120.0) -> Reproduction:
    """Run the harness once on `crash_file`."""
    argv = libfuzzer_argv(harness, root, extra=["-runs=1"], corpus_dirs=[crash_file])
    try:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, errors="replace",
                              timeout=wall_limit, check=False)
        output, returncode = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired:
        output, returncode = "ALARM: working on the last Unit (wall limit)", -9
    signature = stack_signature(output) if returncode != 0 else None
    return Reproduction(returncode != 0, returncode, _python_traceback(output), signature,
                        output)


def minimize(harness: Harness, root: Path, crash_file: Path, out_file: Path,
             env: dict[str, str], seconds: int = 30,
             extra: Sequence[str] = ()) -> Path | None:
    """libFuzzer `-minimize_crash=1`; the smaller input, or None if it did not work."""
    out_file.parent.mkdir(parents=True, exist_ok=True)
    argv = libfuzzer_argv(harness, root, corpus_dirs=[crash_file], extra=[
        "-minimize_crash=1", f"-max_total_time={seconds}", f"-exact_artifact_path={out_file}",
        f"-artifact_prefix={out_file.parent}{os.sep}", *extra])
    try:
        subprocess.run(argv, env=env, capture_output=True, timeout=seconds * 3 + 60,
                       check=False)
    except subprocess.TimeoutExpired:
        return None
    if not out_file.is_file() or out_file.stat().st_size > crash_file.stat().st_size:
        return None
    return out_file
