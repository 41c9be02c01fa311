"""What runs inside a fuzz harness process: the spec model, the fixtures, the mutator.

Nothing here starts a subprocess or imports `ihp_ref` at module level except
`golden`, which derives the §17 key with the reference (as the issue asks).
"""

__all__: list[str] = []
