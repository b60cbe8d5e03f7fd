"""Graders for the ranking competitions (being written)."""
