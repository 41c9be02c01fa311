"""The progress display of a running campaign (stderr; one rewritten line on a terminal,
a line every 10 seconds otherwise, so CI logs stay short)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from ihp_fuzz.libfuzzer import Status

__all__ = ["Progress"]


class Progress:
    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._quiet = quiet
        self._last = 0.0
        self._label = ""
        self._started = time.monotonic()
        self._budget = 0

    def start(self, label: str, budget_s: int) -> None:
        self._label, self._budget, self._started = label, budget_s, time.monotonic()
        self._last = 0.0
        self.note(f"{label}: fuzzing for {budget_s}s")

    def __call__(self, status: Status) -> None:
        now = time.monotonic()
        if self._quiet or now - self._last < (1.0 if self._tty else 10.0):
            return
        self._last = now
        elapsed = int(now - self._started)
        line = (f"{self._label}: {elapsed}/{self._budget}s #{status.executions} "
                f"cov {status.coverage} ft {status.features} corp {status.corpus_units} "
                f"{status.exec_per_sec} exec/s crashes {status.crashes}")
        if self._tty:
            self._stream.write("\r\033[K" + line)
        else:
            self._stream.write(line + "\n")
        self._stream.flush()

    def note(self, text: str) -> None:
        if self._quiet:
            return
        self._stream.write(("\r\033[K" if self._tty else "") + text + "\n")
        self._stream.flush()
