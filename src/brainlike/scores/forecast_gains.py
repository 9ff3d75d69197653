"""Forecast gains: how much a window of the stimulus ahead adds to a layer's brain score.

For every model, listener, layer, window and ROI: the gain is the ROI's ceiling-normalised
score with the window minus the same layer's score without it (Caucheteux, Gramfort & King
2023's ``R(X (+) X~(d)) - R(X)``). Both scores come from the same cross-validated ridge on
the same folds (the forecast scores job scores the layer alone beside its windows), and are
reduced to ROI means exactly as the summary does (:func:`brainlike.scores.summary.
subject_rows`: vertex r averaged over folds, divided by the vertex's ceiling, vertices under
the ceiling floor left out). Group rows (subject ``group``) average the listeners' gains,
with a bootstrap interval over listeners (:func:`brainlike.scores.stats.bootstrap_ci`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from brainlike.features.forecast_windows import Window
from brainlike.scores.stats import bootstrap_ci
from brainlike.scores.summary import subject_rows

COLUMNS = ["dataset", "model", "subject", "layer", "unit", "ahead", "roi", "n_vertices",
           "score", "score_forecast", "gain", "raw_gain", "ci_low", "ci_high", "n_subjects"]
#: Bootstrap resamples of the group interval (as the summary's group rows).
N_BOOTSTRAP = 2000


def subject_gains(rows: pd.DataFrame, unit: str) -> pd.DataFrame:
    """One model's gains per listener.

    rows: ``subject_rows`` output for every listener (columns subject, layer, roi,
    n_vertices, mean_r, normalised_r), whose layers are forecast set names
    (:class:`~brainlike.features.forecast_layers.Window`); unit: the model's window unit.
    Returns subject, layer (the layer the window extends), unit, ahead, roi, n_vertices,
    score (without), score_forecast (with), gain (their difference), raw_gain (the same for
    the raw r).
    """
    missing = {"subject", "layer", "roi", "n_vertices", "mean_r", "normalised_r"} - set(rows)
    if missing:
        raise ValueError(f"forecast rows lack column(s) {sorted(missing)}")
    parsed = [Window.parse(name, unit) for name in rows["layer"]]
    rows = rows.assign(base=[w.layer for w in parsed],
                       ahead=[np.nan if w.ahead is None else w.ahead for w in parsed])
    keys = ["subject", "base", "roi"]
    alone = rows[rows["ahead"].isna()][[*keys, "normalised_r", "mean_r"]].rename(
        columns={"normalised_r": "score", "mean_r": "raw"})
    if alone.duplicated(keys).any():
        raise ValueError("a layer alone appears twice for one listener and ROI")
    ahead = rows[rows["ahead"].notna()].merge(alone, on=keys, how="left")
    lacking = ahead[ahead["raw"].isna()]
    if len(lacking):
        raise ValueError(f"no score of layer {lacking['base'].iloc[0]!r} alone to measure "
                         f"the gain of {lacking['layer'].iloc[0]!r} from")
    return pd.DataFrame({
        "subject": ahead["subject"], "layer": ahead["base"], "unit": unit,
        "ahead": ahead["ahead"].astype(float), "roi": ahead["roi"],
        "n_vertices": ahead["n_vertices"], "score": ahead["score"],
        "score_forecast": ahead["normalised_r"], "gain": ahead["normalised_r"] - ahead["score"],
        "raw_gain": ahead["mean_r"] - ahead["raw"]}).reset_index(drop=True)


def group_gains(subjects: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Per model x layer x window x ROI: the mean over listeners and a 95 % bootstrap
    interval of the gain (listeners whose ROI has no normalised score are left out)."""
    out = []
    keys = ["model", "layer", "unit", "ahead", "roi"]
    for key, frame in subjects.groupby(keys, sort=False):
        gains = frame["gain"].dropna().to_numpy()
        row = dict(zip(keys, key), subject="group", n_vertices=int(frame["n_vertices"].mean()),
                   score=frame["score"].mean(), score_forecast=frame["score_forecast"].mean(),
                   gain=float(gains.mean()) if len(gains) else np.nan,
                   raw_gain=frame["raw_gain"].mean(), ci_low=np.nan, ci_high=np.nan,
                   n_subjects=len(gains))
        if len(gains) >= 2:
            ci = bootstrap_ci(gains, n_bootstrap=N_BOOTSTRAP, seed=seed)
            row["ci_low"], row["ci_high"] = float(ci.low), float(ci.high)
        out.append(row)
    return pd.DataFrame(out)


def forecast_table(dataset: str, scores: dict[str, pd.DataFrame], units: dict[str, str],
                   ceilings: pd.DataFrame, vertices: pd.DataFrame, floor: float,
                   seed: int = 0) -> pd.DataFrame:
    """The gain table of a dataset (columns ``COLUMNS``): listener rows and group rows.

    scores: model -> its forecast scores (brainscores/1 rows: subject, layer, layer_index,
    vertex, fold, r); units: model -> "words" or "seconds"; ceilings: subject, vertex,
    ceiling; vertices: vertex, roi_name; floor: the ceiling floor (``scores.ceiling_floor``).
    """
    no_p = pd.DataFrame({"layer": pd.Series(dtype=str), "roi": pd.Series(dtype=str),
                         "p_value": pd.Series(dtype=float)})
    per_model = []
    for model, table in scores.items():
        rows = []
        for subject, frame in table.groupby("subject", sort=False):
            theirs = ceilings[ceilings["subject"] == subject]
            rows.append(subject_rows(frame, no_p, theirs, vertices, floor)
                        .assign(subject=subject))
        gains = subject_gains(pd.concat(rows, ignore_index=True), units[model])
        per_model.append(gains.assign(model=model))
    subjects = pd.concat(per_model, ignore_index=True)
    subjects["ci_low"] = subjects["ci_high"] = np.nan
    subjects["n_subjects"] = 1
    table = pd.concat([subjects, group_gains(subjects, seed)], ignore_index=True)
    table.insert(0, "dataset", dataset)
    return table[COLUMNS].sort_values(["model", "subject", "layer", "ahead", "roi"],
                                      ignore_index=True)
