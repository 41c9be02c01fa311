"""ihp_fuzz (under construction)."""
