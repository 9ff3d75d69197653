"""Tidy summaries: subject x model x layer x ROI, plus group rows, for pandas and DuckDB.

Per subject and model, vertex scores (fold-averaged held-out r) are averaged within each ROI,
raw and ceiling-normalised (vertices whose ceiling is under the floor drop out of the
normalised mean). Permutation p-values come from the scoring step. Benjamini-Hochberg runs
within each model x ROI family (all its subjects and layers): a family mixing ROIs would let
the many true effects of auditory ROIs lower the bar for a noise-only ROI, which FDR allows
but a reader of one ROI does not expect. Group rows (subject ``group``) average subjects,
with a bootstrap interval over subjects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from brainlike.scores.ceiling import normalise
from brainlike.scores.stats import bootstrap_ci, fdr_bh

COLUMNS = ["dataset", "model", "subject", "layer", "layer_index", "roi", "n_vertices",
           "mean_r", "normalised_r", "ceiling", "p_value", "p_fdr", "significant",
           "ci_low", "ci_high"]


def subject_rows(scores: pd.DataFrame, rois: pd.DataFrame, ceilings: pd.DataFrame,
                 vertices: pd.DataFrame, floor: float) -> pd.DataFrame:
    """ROI means for one subject and model.

    scores: vertex, layer, layer_index, fold, r (one row per fold). rois: layer, roi, p_value.
    ceilings: vertex, ceiling (this subject). vertices: vertex, roi_name.
    """
    per_vertex = scores.groupby(["layer", "layer_index", "vertex"], as_index=False)["r"].mean()
    per_vertex = per_vertex.merge(vertices[["vertex", "roi_name"]], on="vertex")
    per_vertex = per_vertex.merge(ceilings[["vertex", "ceiling"]], on="vertex", how="left")
    per_vertex["normalised_r"] = normalise(per_vertex["r"].to_numpy(),
                                           per_vertex["ceiling"].to_numpy(), floor)
    rows = per_vertex.groupby(["layer", "layer_index", "roi_name"], as_index=False).agg(
        n_vertices=("vertex", "size"), mean_r=("r", "mean"),
        normalised_r=("normalised_r", "mean"), ceiling=("ceiling", "mean"))
    rows = rows.rename(columns={"roi_name": "roi"}).merge(rois, on=["layer", "roi"], how="left")
    rows["ci_low"] = rows["ci_high"] = np.nan
    return rows


def add_fdr(rows: pd.DataFrame, q: float, family: tuple[str, ...] = ("model", "roi")
            ) -> pd.DataFrame:
    """``p_fdr`` and ``significant`` by Benjamini-Hochberg within each ``family``.

    Untested rows (NaN p) stay NaN and not significant and do not count in m.
    """
    rows = rows.copy()
    rows["p_fdr"] = np.nan
    rows["significant"] = False
    for _, part in rows.groupby(list(family))["p_value"]:
        tested = part.index[part.notna()]
        if len(tested):
            rejected, adjusted = fdr_bh(rows.loc[tested, "p_value"].to_numpy(), alpha=q)
            rows.loc[tested, "p_fdr"] = adjusted
            rows.loc[tested, "significant"] = rejected
    rows["significant"] = rows["significant"].astype(bool)
    return rows


def group_rows(subjects: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Mean over subjects per model x layer x ROI with a 95 % bootstrap interval."""
    out = []
    keys = ["dataset", "model", "layer", "layer_index", "roi"]
    for key, frame in subjects.groupby(keys, sort=False):
        values = frame["normalised_r"].dropna().to_numpy()
        row = dict(zip(keys, key), subject="group", n_vertices=int(frame["n_vertices"].mean()),
                   mean_r=frame["mean_r"].mean(), normalised_r=np.nan, ceiling=frame["ceiling"].mean(),
                   p_value=np.nan, p_fdr=np.nan, significant=bool(frame["significant"].mean() > 0.5),
                   ci_low=np.nan, ci_high=np.nan)
        if len(values):
            row["normalised_r"] = float(values.mean())
        if len(values) >= 2:
            ci = bootstrap_ci(values, n_bootstrap=2000, seed=seed)
            row["ci_low"], row["ci_high"] = float(ci.low), float(ci.high)
        out.append(row)
    return pd.DataFrame(out)


def summarise(dataset: str, per_subject: list[pd.DataFrame], q: float = 0.05) -> pd.DataFrame:
    """Stack subject rows (each already tagged with model and subject), correct them for
    multiple comparisons (``add_fdr``) and add group rows."""
    subjects = add_fdr(pd.concat(per_subject, ignore_index=True), q)
    subjects.insert(0, "dataset", dataset)
    table = pd.concat([subjects, group_rows(subjects)], ignore_index=True)
    return table[COLUMNS].sort_values(["model", "subject", "layer_index", "roi"],
                                      ignore_index=True)
