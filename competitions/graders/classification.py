"""Graders for the classification competitions (being written)."""
