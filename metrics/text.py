"""text metrics (being written)."""
