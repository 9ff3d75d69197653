"""Raw dataset files to validated Parquet."""
