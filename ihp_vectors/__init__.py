"""IHP v1 test vectors: the loader, the generator (`ihp-vectors`) and the independent verifier.

`load_cases()` gives every vector case, typed, group args merged; `load_notes()` every flag's
meaning. The files themselves live in `vectors/` (a checkout) or `ihp_vectors/_data/` (a wheel),
as do the normative documents (`spec_path`); `rule_anchor` links a rule id to its sentence.
"""

from ._loader import VectorFileError, load_cases, load_file, load_notes
from ._model import Note, Result, VectorCase, VectorStep
from ._paths import SPEC_DOCUMENTS, schemas_dir, spec_path, vectors_dir
from ._rules import rule_anchor

__all__ = [
    "SPEC_DOCUMENTS",
    "Note",
    "Result",
    "VectorCase",
    "VectorFileError",
    "VectorStep",
    "load_cases",
    "load_file",
    "load_notes",
    "rule_anchor",
    "schemas_dir",
    "spec_path",
    "vectors_dir",
]
