"""pytest plugin entry point (the runner fills it in: `pytest --ihp-impl`)."""

__all__: list[str] = []
