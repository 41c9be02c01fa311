"""IHP v1 reference implementation (under construction)."""
