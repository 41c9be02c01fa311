"""The differential harness's findings, recorded by cause while fuzzing goes on.

A difference does not stop libFuzzer (which would restart the harness, and the shim, after
every one: 223 crash files in 150 s against one implementation). The harness counts it
under its cause (`ihp_fuzz.harness.causes`) and keeps the smallest request per cause:

    <folder>/<cause slug>/reproducer-<pid>.bin    the fuzzer input (for `ihp-fuzz reproduce`)
    <folder>/<cause slug>/reproducer-<pid>.json   the cause, the request, both answers
    <folder>/counts-<pid>.json                    {slug: count}, rewritten at most once a
                                                  second and on every new or smaller case

One file set per process, so that the jobs of `-fork=N` never write the same file;
`ihp_fuzz.differences` adds them up. Requests hold the fuzzer's key and password bytes
(hex), as every fuzz input does; exception messages and logs never do.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from ihp_fuzz.harness.causes import Answer, Cause

__all__ = ["FINDINGS_ENV", "Recorder"]

FINDINGS_ENV = "IHP_FUZZ_FINDINGS"  # the folder; unset: a difference raises HarnessFinding
_FLUSH_SECONDS = 1.0


class Recorder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.counts: dict[str, int] = {}
        self._smallest: dict[str, tuple[int, int]] = {}  # slug → (request size, input size)
        self._pid = os.getpid()
        self._flushed = 0.0
        folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_env(cls) -> Recorder | None:
        folder = os.environ.get(FINDINGS_ENV, "").strip()
        return cls(Path(folder)) if folder else None

    def record(self, cause: Cause, data: bytes, op: str, args: dict[str, Any],
               request_bytes: int, expected: Answer, provided: Answer, detail: str = "") -> None:
        """Count a difference; keep its case if it is the smallest of its cause so far
        (`request_bytes`: the request line the shim read)."""
        slug = cause.slug
        self.counts[slug] = self.counts.get(slug, 0) + 1
        size = (request_bytes, len(data))
        if slug not in self._smallest or size < self._smallest[slug]:
            self._smallest[slug] = size
            self._write_case(cause, data, op, args, expected, provided, detail, size)
            self.flush()
        elif time.monotonic() - self._flushed > _FLUSH_SECONDS:
            self.flush()

    def _write_case(self, cause: Cause, data: bytes, op: str, args: dict[str, Any],
                    expected: Answer, provided: Answer, detail: str,
                    size: tuple[int, int]) -> None:
        folder = self.folder / cause.slug
        folder.mkdir(parents=True, exist_ok=True)
        case = {"cause": cause.name, "slug": cause.slug, "finding_id": cause.finding_id,
                "flags": list(cause.flags), "open_questions": list(cause.open_questions),
                "operation": op, "kind": f"{cause.expected} → {cause.provided}",
                "request_bytes": size[0], "input_bytes": size[1],
                "expected": _shown(expected), "provided": _shown(provided), "detail": detail,
                "request": {"op": op, "args": args}}
        _replace(folder / f"reproducer-{self._pid}.bin", data)
        _replace(folder / f"reproducer-{self._pid}.json",
                 (json.dumps(case, indent=1) + "\n").encode())

    def flush(self) -> None:
        self._flushed = time.monotonic()
        _replace(self.folder / f"counts-{self._pid}.json", json.dumps(self.counts).encode())


def _shown(answer: Answer) -> dict[str, Any]:
    label, result = answer
    if label == "ok":
        return {"ok": True, "result": result}
    if label in ("crash", "timeout", "protocol"):
        return {"shim": label}
    return {"ok": False, "error": label}


def _replace(path: Path, content: bytes) -> None:
    """Write whole or not at all: a reader never sees half a file."""
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(content)
    partial.replace(path)
