"""Per-subject attributes from a BIDS ``participants.tsv`` (e.g. each listener's language)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from brainlike.errors import InputError


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


def check_columns(participants: str | Path, needed: dict[str, str]) -> None:
    """Fail at acquisition, naming the file and the config key, if a column the plan will
    read is absent. needed: column -> the config key that reads it."""
    path = Path(participants)
    try:
        columns = pd.read_csv(path, sep="\t", nrows=0).columns
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(path, f"unreadable participants table ({exc})") from exc
    missing = {c: key for c, key in needed.items() if c not in columns}
    if missing:
        raise InputError(path, "no column " + ", ".join(f"{c!r} (read by {k})"
                                                        for c, k in missing.items())
                         + f"; it has {', '.join(columns)}")


def listener_attribute(ds, root: str | Path, column: str, required: bool = True
                       ) -> dict[str, str]:
    """participant_id -> ``column``, read from the dataset's participants.tsv, or supplied by
    its layout where the real file lacks it (Le Petit Prince: the language, from the id)."""
    if column in ds.derived_columns:
        from brainlike.preprocess.lpp import participant_languages

        return participant_languages(Path(root) / "participants.tsv")
    return participant_column(Path(root) / "participants.tsv", column, required=required)
