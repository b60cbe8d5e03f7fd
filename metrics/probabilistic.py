"""probabilistic metrics (being written)."""
