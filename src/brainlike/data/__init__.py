"""Streaming access to the Parquet corpora for training."""
