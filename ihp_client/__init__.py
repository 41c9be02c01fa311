"""ihp_client (under construction)."""
