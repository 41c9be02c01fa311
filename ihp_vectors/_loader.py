"""The one loader for vector files: parse once, merge group args, give typed cases."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from ._model import Case, Note, Step
from ._paths import vectors_dir

__all__ = ["VectorFileError", "iter_vector_files", "load_cases", "load_file", "load_notes"]


class VectorFileError(ValueError):
    """A vector file cannot be read or does not have the documented shape."""


def iter_vector_files(root: Traversable | None = None) -> Iterator[tuple[str, Traversable]]:
    """Yield `(name, file)` for every `*.json` vector file (not `golden/`), sorted by name."""
    base = root if root is not None else vectors_dir()
    entries = sorted(
        (entry for entry in base.iterdir() if entry.name.endswith(".json") and entry.is_file()),
        key=lambda entry: entry.name,
    )
    for entry in entries:
        yield entry.name, entry


def load_file(entry: Traversable) -> dict[str, Any]:
    """Parse one vector file as JSON (no schema check: `ihp-vectors check` does that)."""
    return _parse(entry.name, _read(entry.name, entry))


def _read(name: str, entry: Traversable) -> bytes:
    try:
        return entry.read_bytes()
    except OSError as exc:
        raise VectorFileError(f"{name}: cannot read vector file: {exc}") from None


def _parse(name: str, data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VectorFileError(f"{name}: cannot read vector file: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("testGroups"), list):
        raise VectorFileError(f"{name}: not a vector file (no testGroups list)")
    return document


@dataclass(frozen=True, slots=True)
class _Loaded:
    """One vector file's cases and notes, the digest of the bytes they came from, and the
    file's identity and modification time then (when unchanged, the bytes are not read)."""

    digest: bytes
    cases: tuple[Case, ...]
    notes: tuple[Note, ...]
    stamp: tuple[int, int, int, int] | None


# A process that runs the suite many times (the mutant table, the pytest plugin, the
# tests) parses each file once: a file's entry stays while its bytes are the same (not
# even read again while its inode, size and modification time are the same). Cases
# are frozen; their arguments are shared, and nothing that runs a case changes them.
_LOADED: OrderedDict[str, _Loaded] = OrderedDict()
_LOADED_FILES = 64  # a few vector roots' worth


def _stamp(entry: Traversable) -> tuple[int, int, int, int] | None:
    """A file's device, inode, size and modification time (ns); None if not on disk."""
    if not isinstance(entry, Path):
        return None
    try:
        st = entry.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _loaded(name: str, entry: Traversable) -> _Loaded:
    key = str(entry)
    loaded = _LOADED.get(key)
    stamp = _stamp(entry)
    if loaded is None or stamp is None or loaded.stamp != stamp:
        data = _read(name, entry)
        digest = hashlib.sha256(data).digest()
        if loaded is not None and loaded.digest == digest:
            loaded = replace(loaded, stamp=stamp)  # written again, the same bytes
        else:
            document = _parse(name, data)
            loaded = _Loaded(digest, tuple(_cases_of(name, document)),
                             tuple(_notes_of(name, document)), stamp)  # fmt: skip
        _LOADED[key] = loaded
    _LOADED.move_to_end(key)
    while len(_LOADED) > _LOADED_FILES:
        _LOADED.popitem(last=False)
    return loaded


def _step(raw: Mapping[str, Any], shared_args: Mapping[str, Any]) -> Step:
    return Step({**shared_args, **raw.get("args", {})}, raw.get("expected"), raw.get("error"))


def _cases_of(name: str, document: Mapping[str, Any]) -> Iterator[Case]:
    operation = document.get("operation", "")
    profile = document.get("profile", "")
    for group in document["testGroups"]:
        group_args: dict[str, Any] = dict(group.get("args", {}))
        source = group.get("source", {})
        source_text = f"{source.get('name', '')} {source.get('version', '')}".strip()
        for raw in group.get("tests", []):
            try:
                case_args = {**group_args, **raw.get("args", {})}
                steps = raw.get("steps") or [raw]
                yield Case(
                    case_id=raw["tcId"],
                    operation=operation,
                    profile=profile,
                    steps=tuple(_step(s, case_args) for s in steps),
                    flags=tuple(raw.get("flags", ())),
                    comment=raw.get("comment", ""),
                    rules=tuple(raw.get("rules", ())),
                    file=name,
                    source=source_text,
                )
            except (KeyError, TypeError, AttributeError, ValueError) as exc:
                raise VectorFileError(f"{name}: malformed test case ({exc!r})") from None


def _notes_of(name: str, document: Mapping[str, Any]) -> Iterator[Note]:
    try:
        for flag, raw in document.get("notes", {}).items():
            yield Note(flag=flag, bug_type=raw["bugType"], description=raw["description"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise VectorFileError(f"{name}: malformed note ({exc!r})") from None


def load_cases(root: Traversable | None = None) -> list[Case]:
    """Every case of every vector file, in file order (files sorted by name)."""
    cases: list[Case] = []
    for name, entry in iter_vector_files(root):
        cases.extend(_loaded(name, entry).cases)
    return cases


def load_notes(root: Traversable | None = None) -> dict[str, Note]:
    """Every flag's note, over all files (a flag means the same thing in every file)."""
    return {note.flag: note for name, entry in iter_vector_files(root)
            for note in _loaded(name, entry).notes}
