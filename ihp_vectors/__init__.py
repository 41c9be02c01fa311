"""ihp_vectors (under construction)."""
