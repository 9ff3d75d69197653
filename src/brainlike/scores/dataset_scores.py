"""A model's brain scores for every listener of a dataset, in one job.

Listeners who heard the same stories share the model's design and each fold's decomposition,
so they are scored together (:func:`brainlike.scores.brainscore.score_subjects`), in batches
whose responses fit a memory budget; each listener's rows are written as its batch finishes,
a row group each, so memory does not grow with the number of listeners.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa

from brainlike.features.store import feature_info
from brainlike.plan.specs import ScoreSpec
from brainlike.scores.brainscore import score_subjects
from brainlike.scores.design import SubjectData, load_subject

log = logging.getLogger(__name__)

Writer = Callable[[pa.Table], None]
#: Responses held at once (bytes): at fsaverage6 size (~330 MB a run) a few listeners.
BATCH_BYTES = 2 * 1024**3


def _batches(runs: dict[str, dict[str, str | Path]]) -> Iterator[dict[str, SubjectData]]:
    """Listeners loaded in order of the stories they heard, cut at a change of stories or
    when the batch's responses would pass :data:`BATCH_BYTES`."""
    order = sorted(runs, key=lambda s: (tuple(runs[s]), s))
    batch: dict[str, SubjectData] = {}
    size, key = 0, None
    for subject in order:
        data = load_subject(runs[subject])
        if batch and (tuple(runs[subject]) != key or size + data.responses.nbytes > BATCH_BYTES):
            yield batch
            batch, size = {}, 0
        batch[subject], key = data, tuple(runs[subject])
        size += data.responses.nbytes
    if batch:
        yield batch


def score_listeners(model: str, runs: dict[str, dict[str, str | Path]],
                    features: dict[str, str | Path], roi_of_vertex: pd.Series,
                    spec: ScoreSpec, seed: int, write_scores: Writer, write_rois: Writer,
                    device=None) -> None:
    """runs: subject -> task -> responses/1 file; features: task -> features/1 file;
    roi_of_vertex: ROI name indexed by vertex id."""
    if not runs:
        raise ValueError(f"no listeners to score {model} on")
    layers = list(feature_info(next(iter(features.values())))["layers"])
    for batch in _batches(runs):
        rois = {s: roi_of_vertex.loc[d.vertices].to_numpy() for s, d in batch.items()}
        results = score_subjects(batch, features, layers, rois, spec, seed=seed, device=device)
        for subject, (scores, roi_rows) in results.items():
            for frame in (scores, roi_rows):
                frame.insert(0, "subject", subject)
                frame.insert(0, "model", model)
            write_scores(pa.Table.from_pandas(scores, preserve_index=False))
            write_rois(pa.Table.from_pandas(roi_rows, preserve_index=False))
            best = roi_rows.loc[roi_rows.groupby("roi")["mean_r"].idxmax()]
            for row in best.itertuples():
                log.info("%s %s %s: best layer %s r=%.3f p=%.3g", model, subject, row.roi,
                         row.layer, row.mean_r, row.p_value)
