"""IHP v1 test vectors: the loader, the generator (`ihp-vectors`) and the independent verifier.

`load_cases()` gives every vector case, typed, group args merged; `load_notes()` every flag's
meaning. The files themselves live in `vectors/` (a checkout) or `ihp_vectors/_data/` (a wheel).
"""

from ._loader import VectorFileError, load_cases, load_file, load_notes
from ._model import Note, Result, VectorCase, VectorStep
from ._paths import schemas_dir, vectors_dir

__all__ = [
    "Note",
    "Result",
    "VectorCase",
    "VectorFileError",
    "VectorStep",
    "load_cases",
    "load_file",
    "load_notes",
    "schemas_dir",
    "vectors_dir",
]
