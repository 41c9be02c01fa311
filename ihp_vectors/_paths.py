"""Where the vector and schema files live: in the wheel, or in a checkout."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["REPO_ROOT", "schemas_dir", "vectors_dir"]

# A checkout (or an editable install) keeps the data at the repository root;
# the wheel force-includes it as ihp_vectors/_data/{vectors,schemas} (pyproject.toml).
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
