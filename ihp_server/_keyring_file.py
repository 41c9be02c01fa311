"""The key ring file (spec §6 rotation) and the two rotations of the runbook.

The file names key *sources*, never keys::

    current = "file:/etc/ihp/master-2026-12.hex"
    [[previous]]
    source = "file:/etc/ihp/master-2026-11.hex"
    window_closes_at = 1796000000   # Unix seconds; accepted while now <= this
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ._keysource import KeySource

__all__ = ["KeyRingFile", "emergency_rotation", "planned_rotation"]


@dataclass(frozen=True, slots=True)
class KeyRingFile:
    current: KeySource
    previous: tuple[tuple[KeySource, int], ...] = ()

    @classmethod
    def read(cls, path: Path) -> KeyRingFile:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(KeySource.parse(str(doc["current"])),
                   tuple((KeySource.parse(str(p["source"])), int(p["window_closes_at"]))
                         for p in doc.get("previous", [])))

    def render(self) -> str:
        lines = ["# IHP key ring, managed by `ihp-server rotate` (spec §6). Sources, not keys.",
                 f"current = {json.dumps(self.current.spec())}"]
        for source, closes_at in self.previous:
            lines += ["", "[[previous]]", f"source = {json.dumps(source.spec())}",
                      f"window_closes_at = {closes_at}"]
        return "\n".join(lines) + "\n"

    def write(self, path: Path) -> None:
        """Atomically (write + rename), mode 0600."""
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self.render())
        os.replace(tmp, path)


def planned_rotation(ring: KeyRingFile, new: KeySource, now: int,
                     window_seconds: int) -> KeyRingFile:
    """New current key; the old one is accepted until now + window; closed windows pruned."""
    if window_seconds < 0:
        raise ValueError("window_seconds must be >= 0")
    still_open = tuple((s, t) for s, t in ring.previous if t >= now)
    return KeyRingFile(new, ((ring.current, now + window_seconds), *still_open))


def emergency_rotation(ring: KeyRingFile, new: KeySource) -> KeyRingFile:
    """A compromised key: new current key, no transition window, every previous key gone."""
    del ring
    return KeyRingFile(new, ())
