"""The one loader for vector files: parse once, merge group args, give typed cases."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from importlib.resources.abc import Traversable
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
    try:
        document = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VectorFileError(f"{entry.name}: cannot read vector file: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("testGroups"), list):
        raise VectorFileError(f"{entry.name}: not a vector file (no testGroups list)")
    return document


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


def load_cases(root: Traversable | None = None) -> list[Case]:
    """Every case of every vector file, in file order (files sorted by name)."""
    cases: list[Case] = []
    for name, entry in iter_vector_files(root):
        cases.extend(_cases_of(name, load_file(entry)))
    return cases


def load_notes(root: Traversable | None = None) -> dict[str, Note]:
    """Every flag's note, over all files (a flag means the same thing in every file)."""
    notes: dict[str, Note] = {}
    for _, entry in iter_vector_files(root):
        for flag, raw in load_file(entry).get("notes", {}).items():
            notes[flag] = Note(flag=flag, bug_type=raw["bugType"], description=raw["description"])
    return notes
