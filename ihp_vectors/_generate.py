"""Render every generated file in memory: vector files, golden fixtures, the traceability doc.

Output is a pure function of the generator code and the reference: fixed seeds, fixed case
order, `json.dumps(..., indent=2)` plus a newline. `ihp-vectors check` re-renders and compares.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ._build import FileSpec, Handler, build_file
from ._traceability import DATA_FILE as TRACEABILITY_DATA
from ._traceability import render_traceability, traceability_data

__all__ = ["FILE_SPECS", "dump_json", "reference_handler", "render_all"]


def _specs() -> tuple[Callable[[Handler], FileSpec], ...]:
    from . import (
        _gen_config,
        _gen_decrypt,
        _gen_encrypt,
        _gen_keys,
        _gen_replay,
        _gen_rtt,
        _gen_token,
        _gen_wire,
    )

    return (
        _gen_config.spec,
        _gen_keys.sep_hash_spec,
        _gen_keys.profile_key_spec,
        _gen_keys.session_key_spec,
        _gen_encrypt.spec,
        _gen_decrypt.spec,
        _gen_replay.spec,
        _gen_rtt.spec,
        _gen_token.spec,
        _gen_wire.from_json_spec,
        _gen_wire.to_json_spec,
        _gen_wire.from_binary_spec,
        _gen_wire.to_binary_spec,
    )


FILE_SPECS = _specs


def reference_handler() -> Handler:
    """The reference's in-process shim dispatcher (`ihp_ref.shim.ShimSession().handle`)."""
    from ihp_ref.shim import ShimSession

    handle: Handler = ShimSession().handle
    return handle


def dump_json(document: Any) -> str:
    """The one serialisation of vector files: 2-space indent, UTF-8, trailing newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_all(handler_factory: Callable[[], Handler] = reference_handler) -> dict[str, str]:
    """Every generated file, keyed by its path relative to the repository root."""
    rendered: dict[str, str] = {}
    documents: dict[str, dict[str, Any]] = {}
    for make_spec in FILE_SPECS():
        spec = make_spec(handler_factory())  # inputs (keys, capsules) built by the reference
        document = build_file(spec, handler_factory())  # one fresh session per file
        documents[spec.name] = document
        rendered[f"vectors/{spec.name}.json"] = dump_json(document)
    from ._gen_golden import render_golden

    rendered.update(render_golden(handler_factory()))
    rendered["docs/TRACEABILITY.md"] = render_traceability(documents)
    rendered[TRACEABILITY_DATA] = dump_json(traceability_data(documents))
    from ._schemas_src import render_schemas

    for name, schema in render_schemas().items():
        rendered[f"schemas/{name}"] = dump_json(schema)
    return dict(sorted(rendered.items()))
