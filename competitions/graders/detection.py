"""Graders for the detection competitions (being written)."""
