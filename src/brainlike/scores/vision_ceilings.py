"""The noise ceilings of a viewing dataset: each cell's, for the ridge scores, and each
area's, for RSA.

Cell rows: ``ceiling`` is the split-half ceiling of the repeat mean
(:func:`brainlike.scores.ceiling.split_half`, the one :func:`brainlike.scores.cells.cell_scores`
divides by, with the same seed and splits), ``reliability`` the share of one repeat's
variance that is stimulus-driven (:func:`brainlike.scores.ceiling.reliability`). Area rows:
``ceiling`` is the split-half RDM ceiling (:func:`brainlike.scores.rsa.rdm_ceiling`, mean tau
over ``rdm_splits`` splits of the repeats); an area has no per-repeat reliability (NaN).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from brainlike.errors import InputError
from brainlike.scores.ceiling import reliability, split_half
from brainlike.scores.rsa import rdm_ceiling
from brainlike.scores.vision_data import area_columns, read_parquet

__all__ = ["CEILING_COLUMNS", "CELL_SPLITS", "area_ceilings", "rdm_ceilings_of",
           "read_ceilings", "vision_ceilings"]

CEILING_COLUMNS = ["kind", "name", "area", "ceiling", "reliability"]
#: Random splits of the repeats for the cells' ceilings: cell_scores' default, so the
#: ceilings table and the scores' own ceilings are the same numbers.
CELL_SPLITS = 100


def vision_ceilings(cells: pd.DataFrame, responses: np.ndarray, rdm_splits: int,
                    seed: int) -> pd.DataFrame:
    """The ceilings table (columns ``CEILING_COLUMNS``): a "cell" row per cell (in order),
    then an "area" row per area.

    cells: one row per column of responses (repeats, bins, cells), with cell and area.
    """
    y = np.asarray(responses)
    if y.ndim != 3 or y.shape[2] != len(cells):
        raise ValueError(f"responses must be (repeats, bins, cells={len(cells)}), found shape "
                         f"{y.shape}")
    rel = reliability(y, n_splits=CELL_SPLITS, seed=seed)
    ceiling = split_half(y, n_splits=CELL_SPLITS, seed=seed)
    rows = pd.DataFrame({"kind": "cell", "name": cells["cell"].to_numpy(),
                         "area": cells["area"].to_numpy(), "ceiling": ceiling,
                         "reliability": rel})
    areas = pd.DataFrame([{"kind": "area", "name": area, "area": area, "ceiling": tau,
                           "reliability": np.nan}
                          for area, tau in area_ceilings(cells, y, rdm_splits, seed).items()])
    return pd.concat([rows, areas], ignore_index=True)[CEILING_COLUMNS]


def area_ceilings(cells: pd.DataFrame, responses: np.ndarray, rdm_splits: int,
                  seed: int) -> dict[str, float]:
    """Area -> RDM ceiling (mean split-half tau) of its cells' responses (repeats, bins, n)."""
    return {area: rdm_ceiling(responses[:, :, idx], n_splits=rdm_splits, seed=seed).tau_mean
            for area, idx in area_columns(cells).items()}


def rdm_ceilings_of(table: pd.DataFrame) -> dict[str, float]:
    """Area -> RDM ceiling from a ceilings table's "area" rows."""
    areas = table[table["kind"] == "area"]
    return dict(zip(areas["name"], areas["ceiling"].astype(float)))


def read_ceilings(path: str | Path) -> pd.DataFrame:
    """A ceilings table written by the ``vision_ceilings`` rule; an InputError names the file
    when it lacks a column or an area row."""
    table = read_parquet(path, CEILING_COLUMNS)
    if not (table["kind"] == "area").any():
        raise InputError(path, "has no area rows")
    return table
