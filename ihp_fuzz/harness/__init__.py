"""What runs inside a fuzz harness process: the spec model, the fixtures, the mutator.

Nothing here starts a subprocess or imports `ihp_ref` except `reference`, the adapters
to the reference's typed values (it also derives the §17 key with the reference, as the
issue asks). The models (`model`, `wire`, `http_form`, `server_model`) are independent
oracles: docs/ORACLES.md, enforced by tests/test_oracles.py.
"""

__all__: list[str] = []
