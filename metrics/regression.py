"""regression metrics (being written)."""
