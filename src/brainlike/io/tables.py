"""Reading a Parquet table that must have some columns: one error for every reader."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from brainlike.errors import InputError


def read_columns(path: str | Path, columns: Sequence[str], what: str = "") -> pa.Table:
    """The table at ``path``; an InputError names the file when it is missing, unreadable or
    lacks any of ``columns`` (``what`` says what the file should have been)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "missing")
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(path, f"not a readable Parquet file ({exc})") from exc
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise InputError(path, f"missing column(s) {missing}{' of ' + what if what else ''}; "
                               f"it has {table.column_names}")
    return table
