"""segmentation metrics (being written)."""
