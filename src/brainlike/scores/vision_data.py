"""The cells' responses to the movie as arrays: the Parquet of a viewing dataset read back.

``cells.parquet`` lists the ROIs; ``sessions/<session>.parquet`` holds, long, every cell's
dF/F at every displayed frame of every repeat (``brainlike.preprocess.allen``). Every session
shows the same movie, so the sessions' cells are put side by side on one (repeats, frames)
grid, then averaged into the time bins the models' features use
(``brainlike.features.vision``: ``bin_frames`` consecutive frames, a trailing partial bin
dropped).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from brainlike.errors import InputError
from brainlike.io.atomic import atomic_path
from brainlike.io.tables import read_columns

__all__ = ["CELL_COLUMNS", "ROI_COLUMNS", "SCORE_COLUMNS", "area_columns", "bin_responses",
           "load_responses", "read_parquet", "write_parquet"]

log = logging.getLogger(__name__)

CELL_COLUMNS = ("cell", "session", "subject", "area", "depth_um", "cre_line", "roi")
_SESSION_COLUMNS = ("cell", "repeat", "frame", "dff")
#: A model's score tables (``vision_model_scores.score_model``): a row per layer and cell, and
#: a row per layer and area. Here, not beside the scorer, so that the summary and the figures
#: read them without importing the ridge solver (and torch).
SCORE_COLUMNS = ["model", "layer", "pathway", "cell", "area", "r", "ceiling", "normalised"]
ROI_COLUMNS = ["model", "layer", "pathway", "area", "rsa_tau", "rsa_ceiling",
               "rsa_normalised", "cka", "ridge_normalised", "n_cells"]


def read_parquet(path: str | Path, columns: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """The Parquet table at ``path`` as a DataFrame; an InputError names the file when it is
    missing, unreadable or lacks any of ``columns``."""
    return read_columns(path, columns).to_pandas()


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` (index dropped) to ``path`` atomically."""
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def bin_responses(responses: np.ndarray, bin_frames: int) -> np.ndarray:
    """(repeats, frames, cells) -> (repeats, frames // bin_frames, cells) float32: means over
    consecutive bins of ``bin_frames`` frames, a trailing partial bin dropped."""
    x = np.asarray(responses)
    if x.ndim != 3:
        raise ValueError(f"responses must be (repeats, frames, cells), found shape {x.shape}")
    if bin_frames < 1:
        raise ValueError(f"bin_frames must be >= 1, found {bin_frames}")
    n_bins = x.shape[1] // bin_frames
    if n_bins == 0:
        raise ValueError(f"responses have {x.shape[1]} frames, fewer than one bin of "
                         f"{bin_frames}")
    kept = x[:, :n_bins * bin_frames].astype(np.float64)
    return kept.reshape(x.shape[0], n_bins, bin_frames, x.shape[2]).mean(axis=2) \
        .astype(np.float32)


def _session_array(path: Path, cells: list[str]) -> np.ndarray:
    """(repeats, frames, len(cells)) dF/F of one session file, cells in the given order."""
    long = read_parquet(path, _SESSION_COLUMNS)
    dff = long["dff"].to_numpy(np.float32)
    if not np.all(np.isfinite(dff)):
        bad = long.loc[~np.isfinite(dff), "cell"]
        raise InputError(path, f"{len(bad)} dF/F values are NaN or inf (first in cell "
                               f"{bad.iloc[0]!r})")
    index = pd.Index(cells)
    column = index.get_indexer(long["cell"])
    if (column < 0).any():
        extra = sorted(set(long["cell"][column < 0]))
        raise InputError(path, f"holds {len(extra)} cells not in cells.parquet, e.g. "
                               f"{extra[:3]}")
    repeats = np.unique(long["repeat"].to_numpy())
    frames = np.unique(long["frame"].to_numpy())
    if repeats[0] != 0 or frames[0] != 0 or repeats[-1] != len(repeats) - 1 \
            or frames[-1] != len(frames) - 1:
        raise InputError(path, f"repeats and frames must count from 0 without gaps, found "
                               f"repeats {repeats[0]}..{repeats[-1]} ({len(repeats)}) and "
                               f"frames {frames[0]}..{frames[-1]} ({len(frames)})")
    shape = (len(repeats), len(frames), len(cells))
    if len(long) != np.prod(shape):
        raise InputError(path, f"has {len(long)} rows, not one per repeat x frame x cell "
                               f"{shape}")
    out = np.full(shape, np.nan, np.float32)
    out[long["repeat"].to_numpy(), long["frame"].to_numpy(), column] = dff
    if np.isnan(out).any():
        raise InputError(path, "some (cell, repeat, frame) appear twice and others never")
    return out


def load_responses(cells_path: str | Path, sessions_dir: str | Path,
                   bin_frames: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The cells table and their binned responses (repeats, bins, cells) float32.

    Cells come in the order of ``cells.parquet`` grouped by session (sessions in order of
    first appearance); row i of the returned table is column i of the responses. Sessions
    with more repeats than the fewest are cut to it (with a warning); all must have the same
    number of frames (they show one movie).
    """
    cells = read_parquet(cells_path, CELL_COLUMNS)
    if cells.empty:
        raise InputError(cells_path, "lists no cells")
    twice = cells["cell"][cells["cell"].duplicated()]
    if len(twice):
        raise InputError(cells_path, f"lists cell {twice.iloc[0]!r} twice")
    sessions = list(dict.fromkeys(cells["session"]))
    arrays, order = [], []
    for session in sessions:
        path = Path(sessions_dir) / f"{session}.parquet"
        mine = cells[cells["session"] == session]
        arrays.append(_session_array(path, mine["cell"].tolist()))
        order.append(mine)
    frames = {a.shape[1] for a in arrays}
    if len(frames) != 1:
        counts = {s: a.shape[1] for s, a in zip(sessions, arrays)}
        raise InputError(sessions_dir, f"sessions differ in movie frames: {counts}")
    repeats = [a.shape[0] for a in arrays]
    if len(set(repeats)) != 1:
        log.warning("sessions differ in repeats (%s): keeping the first %d of each",
                    dict(zip(sessions, repeats)), min(repeats))
    n = min(repeats)
    responses = np.concatenate([a[:n] for a in arrays], axis=2)
    table = pd.concat(order, ignore_index=True)[list(CELL_COLUMNS)]
    return table, bin_responses(responses, bin_frames)


def area_columns(cells: pd.DataFrame) -> dict[str, np.ndarray]:
    """Area -> (n,) column indices of its cells, areas in order of first appearance."""
    areas = cells["area"].to_numpy()
    return {a: np.flatnonzero(areas == a) for a in dict.fromkeys(areas)}
