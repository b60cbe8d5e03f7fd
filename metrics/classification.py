"""classification metrics (being written)."""
