"""correlation metrics (being written)."""
