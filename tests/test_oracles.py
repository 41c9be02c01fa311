"""The oracle registry (docs/ORACLES.md) is true: the independent oracles cannot reach the
modules they must never import, and every implementation of a primitive is registered."""

from __future__ import annotations

import ast
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "docs" / "ORACLES.md"
_PACKAGES = ("ihp_ref", "ihp_vectors", "conformance", "ihp_fuzz", "ihp_server", "ihp_client")


@dataclass(frozen=True)
class Entry:
    path: str  # a file, or a folder ending in "/"
    kind: str
    never: tuple[str, ...]  # module names (Python rows)


def _registry() -> list[Entry]:
    text = REGISTRY.read_text(encoding="utf-8")
    section = text.split("## Registry", 1)[1].split("\n## ", 1)[0]
    entries = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        never = tuple(re.findall(r"`([^`]+)`", cells[3]))
        entries.append(Entry(cells[0].strip("`"), cells[2], never))
    return entries


ENTRIES = _registry()
INDEPENDENT_PYTHON = [e for e in ENTRIES if e.kind == "independent" and e.path.endswith(".py")]
BANNED = [e for e in ENTRIES if e.never and e.path.endswith(".py")]


def _module_file(name: str) -> Path | None:
    """The repository file of module `name`, or None for a module from elsewhere."""
    if name.split(".")[0] not in _PACKAGES and name != "_independent":
        return None
    base = ROOT / "tests" if name == "_independent" else ROOT
    path = base.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = relative.parts[1:] if relative.parts[0] == "tests" else relative.parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module an import statement of `path` names, at any depth of the code."""
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _closure(path: Path) -> set[str]:
    """Every module that importing `path` may import, followed through the repository's
    own modules (their parent packages' `__init__` included)."""
    seen: set[str] = set()
    todo = [path]
    visited: set[Path] = set()
    while todo:
        current = todo.pop()
        if current in visited:
            continue
        visited.add(current)
        for name in _imports(current):
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):
                prefix = ".".join(parts[:depth])
                if prefix:
                    seen.add(prefix)
                    found = _module_file(prefix)
                    if found is not None:
                        todo.append(found)
    return seen


def _reaches(closure: set[str], forbidden: str) -> list[str]:
    return sorted(name for name in closure if name == forbidden or name.startswith(forbidden + "."))


def test_the_registry_names_independent_oracles_and_files_that_exist() -> None:
    assert len(INDEPENDENT_PYTHON) >= 6
    missing = [e.path for e in ENTRIES if not (ROOT / e.path).exists()]
    assert missing == []
    assert all(e.never for e in INDEPENDENT_PYTHON), "an independent row without its bans"


@pytest.mark.parametrize("entry", BANNED, ids=lambda e: e.path)
def test_an_oracle_cannot_reach_what_it_must_never_import(entry: Entry) -> None:
    closure = _closure(ROOT / entry.path)
    reached = {name: _reaches(closure, name) for name in entry.never}
    assert {name: found for name, found in reached.items() if found} == {}


def test_the_closure_follows_imports_inside_functions_and_through_other_modules() -> None:
    # the check is only as good as its closure: mutator.py reaches ihp_ref through
    # reference.py; generate/_oracle.py imports it inside a function
    assert _reaches(_closure(ROOT / "ihp_fuzz/harness/mutator.py"), "ihp_ref")
    assert _reaches(_closure(ROOT / "conformance/generate/_oracle.py"), "ihp_ref")
    assert not _reaches(_closure(ROOT / "ihp_fuzz/harness/model.py"), "ihp_ref")


_PRIMITIVE_MODULES = ("cryptography.hazmat.primitives.ciphers.aead",
                      "cryptography.hazmat.primitives.kdf.hkdf", "Crypto", "blake3")
_JS_PRIMITIVES = re.compile(r"""from\s+['"](node:crypto|@noble/hashes[^'"]*)['"]""")


def _uses_a_primitive(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".mjs":
        return bool(_JS_PRIMITIVES.search(text))
    names: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.add(node.module or "")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Name) and node.func.value.id == "hmac"
              and node.func.attr in ("new", "digest")):
            return True  # HKDF written on the stdlib
    return any(_reaches(names, name) for name in _PRIMITIVE_MODULES)


def _tracked(*patterns: str) -> list[Path]:
    listed = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def test_every_file_that_calls_hkdf_aes_gcm_or_blake3_is_in_the_registry() -> None:
    def registered(path: Path) -> bool:
        relative = path.relative_to(ROOT).as_posix()
        return any(relative == e.path or (e.path.endswith("/") and relative.startswith(e.path))
                   for e in ENTRIES)

    users = [p for p in _tracked("*.py", "*.mjs") if _uses_a_primitive(p)]
    assert len(users) > 10
    assert [p.relative_to(ROOT).as_posix() for p in users if not registered(p)] == []


def test_the_node_shim_imports_only_its_own_files_node_builtins_and_its_dependencies() -> None:
    shim = ROOT / "conformance/examples/node-shim"
    dependencies = set(json.loads((shim / "package.json").read_text())["dependencies"])
    specifier = re.compile(r"""(?:^|\s)(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]""",
                           re.MULTILINE)
    outside = []
    for path in [*shim.glob("*.mjs"), *shim.glob("lib/*.mjs")]:
        for name in specifier.findall(path.read_text(encoding="utf-8")):
            if name.startswith("."):
                if shim not in (path.parent / name).resolve().parents:
                    outside.append(f"{path.name}: {name}")
            elif not name.startswith("node:") and not any(
                name == d or name.startswith(d + "/") for d in dependencies
            ):
                outside.append(f"{path.name}: {name}")
    assert outside == []
