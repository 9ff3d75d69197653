"""Assemble one subject's encoding problem: responses Y and, per layer, the design X.

Runs are concatenated in task order. Each run's volume times (in its story's audio) pick
the matching rows of that story's feature grid, so X and Y are aligned by time, not by
position: trimming, lead-in and tails can differ between runs and datasets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from brainlike.errors import InputError
from brainlike.features.store import read_layer_grid
from brainlike.io.schemas import check_schema, read_metadata


@dataclass
class SubjectData:
    """responses: (T, V) float32; vertices: (V,) ids; tasks, stories, times: (T,) per volume.

    ``tasks`` group the volumes for cross-validation; ``stories`` say which stimulus (and so
    which features) each volume's run presented.
    """

    responses: np.ndarray
    vertices: np.ndarray
    tasks: np.ndarray
    stories: np.ndarray
    times: np.ndarray


def load_subject(runs: dict[str, str | Path]) -> SubjectData:
    """Concatenate a subject's runs (task -> responses/1 file), keeping vertices all runs have."""
    if not runs:
        raise ValueError("no runs given")
    loaded = []
    for task, path in runs.items():
        check_schema(path, "responses/1")
        table = pq.read_table(path)
        ids = np.asarray(read_metadata(path, "brainlike.vertices"))
        story = read_metadata(path, "brainlike.run").get("story", task)
        data = table.column("data").combine_chunks().flatten().to_numpy()
        loaded.append((task, ids, data.reshape(table.num_rows, len(ids)),
                       table.column("time").to_numpy(), story))
    common = loaded[0][1]
    for _, ids, _, _, _ in loaded[1:]:
        common = np.intersect1d(common, ids)  # a vertex dropped (NaN) in one run goes everywhere
    blocks = []
    for _, ids, data, _, _ in loaded:
        position = {int(v): i for i, v in enumerate(ids)}
        blocks.append(data[:, [position[int(v)] for v in common]])
    return SubjectData(responses=np.vstack(blocks).astype(np.float32), vertices=common,
                       tasks=np.concatenate([[t] * len(d) for t, _, d, _, _ in loaded]),
                       stories=np.concatenate([[s] * len(d) for _, _, d, _, s in loaded]),
                       times=np.concatenate([times for _, _, _, times, _ in loaded]))


def layer_design(features: Mapping[str, str | Path], layer: str,
                 data: SubjectData) -> np.ndarray:
    """(T, F) regressors of ``layer`` at each volume of ``data`` (story -> features/1 file).

    The grid's TR is the one its file's metadata records (an InputError names the file when
    it is missing or disagrees with the time column). Volumes before the story onset get
    zeros (nothing had been heard); a volume after the end of the feature grid is an error
    naming the file: its tail is too short.
    """
    rows = []
    for task in dict.fromkeys(data.tasks):
        in_run = data.tasks == task
        story = str(data.stories[in_run][0])
        if story not in features:
            raise InputError(f"task {task}", f"its run presented story {story!r}, which has no "
                             f"features (stories with features: {sorted(features)})")
        tr, grid_times, values = read_layer_grid(features[story], layer)
        times = data.times[in_run]
        if times.max() > grid_times[-1] + 1e-6:
            raise InputError(features[story], f"feature grid ends at {grid_times[-1]:.1f} s but "
                             f"the run has a volume at {times.max():.1f} s: raise features.tail_s")
        idx = np.rint(times / tr).astype(np.int64)
        if np.abs(idx * tr - times).max() < 1e-3:  # volumes on the grid: exact rows
            block = np.where((idx >= 0)[:, None], values[np.clip(idx, 0, None)], 0.0)
        else:  # another timing: interpolate each regressor
            block = np.stack([np.interp(times, grid_times, values[:, j], left=0.0)
                              for j in range(values.shape[1])], axis=1)
        rows.append(block.astype(np.float32))
    return np.vstack(rows)
