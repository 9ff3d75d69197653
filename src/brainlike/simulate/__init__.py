"""Generators for the embedded default datasets (same layout as the real ones)."""
