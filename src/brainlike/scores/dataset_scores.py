"""A model's brain scores for every listener of a dataset, in one job.

Subjects are scored one at a time (a subject's responses are the large part of memory) and
written as they finish, a row group each, so the job's memory does not grow with the number
of listeners and its files appear only when every listener is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa

from brainlike.features.store import feature_info
from brainlike.plan.specs import ScoreSpec
from brainlike.scores.brainscore import score_subject
from brainlike.scores.design import load_subject

log = logging.getLogger(__name__)

Writer = Callable[[pa.Table], None]


def score_listeners(model: str, runs: dict[str, dict[str, str | Path]],
                    features: dict[str, str | Path], roi_of_vertex: pd.Series,
                    spec: ScoreSpec, seed: int, write_scores: Writer, write_rois: Writer,
                    device=None) -> None:
    """runs: subject -> task -> responses/1 file; features: task -> features/1 file;
    roi_of_vertex: ROI name indexed by vertex id."""
    if not runs:
        raise ValueError(f"no listeners to score {model} on")
    layers = list(feature_info(next(iter(features.values())))["layers"])
    for subject, subject_runs in runs.items():
        data = load_subject(subject_runs)
        rois = roi_of_vertex.loc[data.vertices].to_numpy()
        scores, roi_rows = score_subject(data, {t: features[t] for t in subject_runs}, layers,
                                         rois, spec, seed=seed, device=device)
        for frame in (scores, roi_rows):
            frame.insert(0, "subject", subject)
            frame.insert(0, "model", model)
        write_scores(pa.Table.from_pandas(scores, preserve_index=False))
        write_rois(pa.Table.from_pandas(roi_rows, preserve_index=False))
        best = roi_rows.loc[roi_rows.groupby("roi")["mean_r"].idxmax()]
        for row in best.itertuples():
            log.info("%s %s %s: best layer %s r=%.3f p=%.3g", model, subject, row.roi,
                     row.layer, row.mean_r, row.p_value)
