"""`ihp-vectors check`: the committed files are current, schema-valid and consistent."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ._build import Handler
from ._gen_golden import GOLDEN_HEX_PATH, GOLDEN_JSON_PATH
from ._generate import reference_handler, render_all
from ._schema import SchemaSet
from ._traceability import uncovered_rules

__all__ = ["check_tree"]

_HEX_FILE = re.compile(r"(?:[0-9a-f]{2})+\n")


def _structure_problems(name: str, document: Mapping[str, Any]) -> list[str]:
    problems = []
    cases = [case for group in document.get("testGroups", []) for case in group.get("tests", [])]
    if document.get("numberOfTests") != len(cases):
        problems.append(
            f"{name}: numberOfTests is {document.get('numberOfTests')}, the file has {len(cases)}"
        )
    notes = document.get("notes", {})
    for case in cases:
        for flag in case.get("flags", []):
            if flag not in notes:
                problems.append(f"{name}: {case.get('tcId')}: flag {flag!r} has no note")
    return problems


def _golden_problems(root: Path, schemas: SchemaSet) -> list[str]:
    """The §17 fixtures: the JSON form against its schema, the hex form's text shape."""
    problems: list[str] = []
    golden_json = root / GOLDEN_JSON_PATH
    try:
        document = json.loads(golden_json.read_text(encoding="utf-8"))
        problems.extend(
            f"{GOLDEN_JSON_PATH}: schema violation {e}"
            for e in schemas.errors("golden_capsule.schema.json", document)
        )
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"{GOLDEN_JSON_PATH}: not readable JSON: {exc}")
    try:
        text = (root / GOLDEN_HEX_PATH).read_text(encoding="ascii")
        if not _HEX_FILE.fullmatch(text):
            problems.append(f"{GOLDEN_HEX_PATH}: not lowercase hex and one newline")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{GOLDEN_HEX_PATH}: not readable: {exc}")
    return problems


# (schema set, schema name, file digest) → violations: validation is the slow part of check,
# and a file that has not changed since it was last validated in this process needs no rerun
_VALIDATED: dict[tuple[str, str, str], list[str]] = {}


def _schema_errors(schemas: SchemaSet, name: str, text: str, document: Any) -> list[str]:
    key = (schemas.fingerprint, name, hashlib.sha256(text.encode("utf-8")).hexdigest())
    if key not in _VALIDATED:
        _VALIDATED[key] = schemas.errors(name, document)
    return _VALIDATED[key]


def _load_documents(root: Path, problems: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    documents: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in sorted((root / "vectors").glob("*.json")):
        try:
            text = path.read_text(encoding="utf-8")
            documents[path.stem] = (text, json.loads(text))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"vectors/{path.name}: not readable JSON: {exc}")
    return documents


def check_tree(root: Path, handler_factory: Callable[[], Handler] = reference_handler) -> list[str]:
    """Every problem of the generated files under `root` (a checkout); empty means all good."""
    problems: list[str] = []
    loaded = _load_documents(root, problems)
    documents = {stem: document for stem, (_, document) in loaded.items()}
    schemas = SchemaSet(root / "schemas")
    ids: Counter[str] = Counter()
    for stem, (text, document) in loaded.items():
        name = f"vectors/{stem}.json"
        expected_schema = f"{stem}.schema.json"
        if document.get("schema") != expected_schema:
            problems.append(
                f"{name}: schema is {document.get('schema')!r}, not {expected_schema!r}"
            )
        problems.extend(
            f"{name}: schema violation {e}"
            for e in _schema_errors(schemas, expected_schema, text, document)
        )
        problems.extend(_structure_problems(name, document))
        ids.update(
            case.get("tcId", "")
            for g in document.get("testGroups", [])
            for case in g.get("tests", [])
        )
    problems.extend(_golden_problems(root, schemas))
    problems.extend(f"duplicate tcId {tc_id!r} ({n} cases)" for tc_id, n in ids.items() if n > 1)
    problems.extend(f"rule {rule} has no vector case" for rule in uncovered_rules(documents))
    rendered = render_all(handler_factory)
    for rel, text in rendered.items():
        path = root / rel
        if not path.is_file():
            problems.append(f"{rel}: missing (run `ihp-vectors generate`)")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{rel}: stale or edited by hand (run `ihp-vectors generate`)")
    for folder in ("vectors", "schemas"):
        for path in sorted((root / folder).glob("*.json")):
            if f"{folder}/{path.name}" not in rendered:
                problems.append(f"{folder}/{path.name}: not produced by the generator")
    return problems
