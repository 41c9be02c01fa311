"""Validate vector documents against the JSON Schemas of `schemas/` (2020-12)."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]
from referencing import Registry, Resource

from ._loader import VectorFileError
from ._paths import schemas_dir

__all__ = ["SchemaSet"]


@functools.lru_cache(maxsize=64)
def _checked_schema(text: str) -> str:
    """Parse and meta-validate a schema once per distinct text (it is the slow part)."""
    Draft202012Validator.check_schema(json.loads(text))
    return text


def _load_schema(entry: Traversable) -> tuple[str, dict[str, Any]]:
    try:
        text = _checked_schema(entry.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, SchemaError) as exc:
        raise VectorFileError(f"schemas/{entry.name}: not a valid JSON Schema: {exc}") from None
    schema: dict[str, Any] = json.loads(text)
    return text, schema


class SchemaSet:
    """Every schema of a folder, cross-references resolved through their `$id`."""

    def __init__(self, root: Traversable | None = None) -> None:
        base = root if root is not None else schemas_dir()
        self._by_name: dict[str, dict[str, Any]] = {}
        resources = []
        digest = hashlib.sha256()
        for entry in sorted(base.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".schema.json"):
                text, schema = _load_schema(entry)
                digest.update(text.encode("utf-8"))
                self._by_name[entry.name] = schema
                resources.append((schema["$id"], Resource.from_contents(schema)))
        self._registry: Registry[Any] = Registry().with_resources(resources)
        self.fingerprint = digest.hexdigest()  # identifies this exact set of schemas

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def errors(self, schema_name: str, document: Mapping[str, Any]) -> list[str]:
        """Readable schema violations of `document` (empty when it validates)."""
        schema = self._by_name.get(schema_name)
        if schema is None:
            return [f"no schema named {schema_name!r}"]
        validator = Draft202012Validator(schema, registry=self._registry)
        found = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        return [
            f"at /{'/'.join(str(p) for p in error.absolute_path)}: {error.message[:200]}"
            for error in found[:20]
        ]
