"""ihp-fuzz: Atheris campaigns over the harnesses in `fuzz/` (issue 5).

`ihp_fuzz.cli` is the `ihp-fuzz run|campaign|reproduce|promote` command; `ihp_fuzz.harness`
is what runs inside a harness process (spec model, fixtures, custom mutator).
"""

__all__: list[str] = []
