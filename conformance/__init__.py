"""conformance (under construction)."""
