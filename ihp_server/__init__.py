"""ihp_server (under construction)."""
