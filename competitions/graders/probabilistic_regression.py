"""Graders for the probabilistic_regression competitions (being written)."""
