"""One vision model's (or baseline's) scores against the cells: every layer, cell and area.

Per layer (features (bins, D), the movie binned as the responses are):

* cells: the per-cell ridge encoding score (:func:`brainlike.scores.cells.cell_scores`: FIR
  delays, contiguous folds, the split-half ceiling of the repeat mean);
* areas: RSA (Kendall tau between the layer's RDM and the RDM of the area's repeat-mean
  responses, :mod:`brainlike.scores.rsa`) normalised by the area's RDM ceiling from the
  ceilings table, linear CKA (:func:`brainlike.scores.cka.linear_cka`) with the same
  repeat-mean responses, and the mean normalised ridge score over the area's cells (cells
  under the ceiling floor, NaN, left out).

RSA and CKA compare the layer with the responses at the same bin (no lag): they fit nothing,
so they have no delays to choose; the ridge does.

A bin in which every unit of a layer has the same value (e.g. the ``shape_label`` baseline
while no object is on screen) has no correlation distance to anything: such bins are left
out of that layer's RSA (on both sides), with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from brainlike.errors import InputError
from brainlike.plan.specs import VisionSpec
from brainlike.scores.cells import cell_scores
from brainlike.scores.cka import linear_cka
from brainlike.scores.rsa import kendall_tau, rdm
from brainlike.scores.vision_data import ROI_COLUMNS, SCORE_COLUMNS, area_columns

__all__ = ["layer_pathway", "read_model_features", "score_model"]

log = logging.getLogger(__name__)


def layer_pathway(layer: str) -> str:
    """The pathway ("1", "2", ...) of a two-pathway (CPC) model's layer; "" for a shared
    layer or any other model's (the scores carry no model spec: the name decides)."""
    from brainlike.models.cpc import pathway_of

    try:
        return pathway_of(layer) or ""
    except ValueError:  # not a CPC layer name
        return ""


def read_model_features(directory: str | Path) -> dict[str, np.ndarray]:
    """Layer -> (bins, D) float32 from the one features/1 file in a model's features
    directory, layers in the file's order."""
    from brainlike.features.store import feature_info, read_layer

    files = sorted(Path(directory).glob("*.parquet"))
    if len(files) != 1:
        raise InputError(directory, f"must hold one features file, found "
                                    f"{[f.name for f in files]}")
    layers = feature_info(files[0])["layers"]
    if not layers:
        raise InputError(files[0], "holds no layers")
    return {name: read_layer(files[0], name)[1] for name in layers}


def _flat_rows(x: np.ndarray) -> np.ndarray:
    """(n,) bool: rows of x (n, D) whose values are all equal."""
    return x.max(axis=1) == x.min(axis=1)


def _rsa(layer: str, features: np.ndarray, means: dict[str, np.ndarray],
         neural: dict[str, np.ndarray | None]) -> dict[str, float]:
    """Area -> tau between the RDMs of features (bins, D) and of means[area] (bins, n);
    neural[area] is the full-bins RDM of means[area] (None when the area cannot have one)."""
    flat = _flat_rows(features)
    out = {area: np.nan for area in means}
    if features.shape[1] < 2 or (~flat).sum() < 3:
        log.warning("layer %r: fewer than 3 bins with varying units (or D < 2): no RSA",
                    layer)
        return out
    if flat.any():
        log.warning("layer %r: %d of %d bins have one value in every unit: left out of its "
                    "RSA", layer, int(flat.sum()), len(flat))
    model = rdm(features[~flat])
    for area, full in neural.items():
        if full is None:
            continue
        out[area] = kendall_tau(model, full if not flat.any() else rdm(means[area][~flat]))
    return out


def score_model(model: str, layers: dict[str, np.ndarray], cells: pd.DataFrame,
                responses: np.ndarray, rdm_ceilings: dict[str, float], spec: VisionSpec,
                alphas: Sequence[float], seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cell scores, area scores) of every layer of ``model``.

    layers: name -> (bins, D); cells: one row per column of responses (repeats, bins, cells)
    with cell and area; rdm_ceilings: area -> its RDM ceiling. Returns tables with columns
    ``SCORE_COLUMNS`` (a row per layer and cell) and ``ROI_COLUMNS`` (a row per layer and
    area), layers in the given order. ``n_cells`` counts all the area's cells;
    ``ridge_normalised`` averages those with a finite normalised score.
    """
    y = np.asarray(responses)
    if y.ndim != 3 or y.shape[2] != len(cells):
        raise ValueError(f"responses must be (repeats, bins, cells={len(cells)}), found shape "
                         f"{y.shape}")
    if not layers:
        raise ValueError(f"model {model!r} has no layers")
    groups = area_columns(cells)
    absent = sorted(set(groups) - set(rdm_ceilings))
    if absent:
        raise ValueError(f"no RDM ceiling for areas {absent}; have {sorted(rdm_ceilings)}")
    mean = y.mean(axis=0, dtype=np.float64)
    means = {area: mean[:, idx] for area, idx in groups.items()}
    neural: dict[str, np.ndarray | None] = {}
    for area, m in means.items():
        if m.shape[1] < 2:
            log.warning("area %s has %d cell(s): no RDM, no RSA", area, m.shape[1])
        neural[area] = rdm(m) if m.shape[1] >= 2 else None
    ids, areas = cells["cell"].to_numpy(), cells["area"].to_numpy()
    scores, rois = [], []
    for layer, features in layers.items():
        x = np.asarray(features, dtype=np.float32)
        if x.ndim != 2 or len(x) != y.shape[1]:
            raise ValueError(f"layer {layer!r} must be (bins={y.shape[1]}, D) like the "
                             f"responses, found shape {x.shape}")
        pathway = layer_pathway(layer)
        fit = cell_scores(x, y, alphas, n_folds=spec.n_folds, delays=spec.delays,
                          seed=seed, floor=spec.ceiling_floor)
        scores.append(pd.DataFrame({
            "model": model, "layer": layer, "pathway": pathway, "cell": ids, "area": areas,
            "r": fit["r"].to_numpy(), "ceiling": fit["ceiling"].to_numpy(),
            "normalised": fit["normalised"].to_numpy()}))
        constant = bool(_flat_rows(x.T).all())
        if constant:
            log.warning("layer %r is constant over the movie: no RSA or CKA", layer)
        taus = {a: np.nan for a in means} if constant else _rsa(layer, x, means, neural)
        normalised = fit["normalised"].to_numpy()
        for area, idx in groups.items():
            ceiling = float(rdm_ceilings[area])
            tau = taus[area]
            finite = normalised[idx][np.isfinite(normalised[idx])]
            rois.append({
                "model": model, "layer": layer, "pathway": pathway, "area": area,
                "rsa_tau": tau, "rsa_ceiling": ceiling,
                "rsa_normalised": tau / ceiling if ceiling > 0 else np.nan,
                "cka": np.nan if constant else linear_cka(x, means[area]),
                "ridge_normalised": finite.mean() if finite.size else np.nan,
                "n_cells": len(idx)})
    return (pd.concat(scores, ignore_index=True)[SCORE_COLUMNS],
            pd.DataFrame(rois, columns=ROI_COLUMNS))
