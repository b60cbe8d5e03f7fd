"""ranking metrics (being written)."""
