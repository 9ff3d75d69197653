"""Per-subject attributes from a BIDS ``participants.tsv`` (e.g. each listener's language)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def participant_column(participants: str | Path, column: str,
                       required: bool = True) -> dict[str, str]:
    """participant_id -> value of ``column``; subjects with no value are left out.

    A missing column is an error naming the file when ``required`` (a noise ceiling grouped
    by it cannot be computed), else ``{}`` (a figure can say the contrast is unavailable).
    """
    table = pd.read_csv(participants, sep="\t", dtype=str)
    if column not in table.columns:
        if required:
            raise ValueError(f"{participants}: no column {column!r} (has "
                             f"{', '.join(table.columns)})")
        return {}
    table = table.dropna(subset=["participant_id", column])
    return dict(zip(table["participant_id"], table[column]))
