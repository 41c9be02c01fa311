"""Where the vector, schema and spec files live: in the wheel, or in a checkout."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["REPO_ROOT", "SPEC_DOCUMENTS", "schemas_dir", "spec_path", "vectors_dir"]

# A checkout (or an editable install) keeps the data at the repository root;
# the wheel force-includes it as ihp_vectors/_data/{vectors,schemas,spec} (pyproject.toml).
REPO_ROOT = Path(__file__).resolve().parent.parent


def _data_dir(name: str) -> Traversable:
    packaged = files("ihp_vectors").joinpath("_data").joinpath(name)
    if packaged.is_dir():
        return packaged
    return REPO_ROOT / name


def vectors_dir() -> Traversable:
    """The folder holding the vector files (`vectors/`)."""
    return _data_dir("vectors")


def schemas_dir() -> Traversable:
    """The folder holding the JSON Schemas (`schemas/`)."""
    return _data_dir("schemas")


SPEC_DOCUMENTS = ("ihp-v1.md", "shim-protocol.md")
"""The normative documents in `spec/`: the protocol, and the contract of a shim."""


def spec_path(name: str = "ihp-v1.md") -> Path:
    """The file of one normative document (`spec/<name>`), in the wheel or the checkout."""
    if name not in SPEC_DOCUMENTS:
        raise ValueError(f"unknown spec document {name!r} (known: {', '.join(SPEC_DOCUMENTS)})")
    return Path(str(_data_dir("spec").joinpath(name)))
