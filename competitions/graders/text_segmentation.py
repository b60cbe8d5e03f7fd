"""Graders for the text_segmentation competitions (being written)."""
