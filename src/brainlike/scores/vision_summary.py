"""The vision headline: which model, pathway and layer best matches each visual area, and
whether a two-pathway model's pathways specialise (dorsal vs ventral).

Headline (:func:`headline`), one row per area and scored model:

* the model's best layer by normalised RSA (tau / the area's RDM ceiling) and its value;
* its best layer by the ridge score (mean over the area's cells of r / ceiling, cells under
  the ceiling floor left out) and its value, with a 95 % percentile bootstrap interval over
  the area's cells (the best layer held fixed: the interval is that of the layer's mean, not
  of the selection). RSA gets no interval: its RDM is of the whole population, and each
  resample would need a new Kendall tau over all pairs of bins per layer;
* the model's role and untrained control (from the roster; baselines: role "baseline"), and
  the control's value at *its own* best layer (NaN without a control);
* ``best_rsa`` / ``best_ridge`` mark each area's overall best row.

Specialisation (:func:`pathway_specialisation`): for every model with pathway layers,
:mod:`brainlike.scores.specialisation` on the per-cell ridge scores (with the cell-resampling
bootstrap) and on the per-area normalised RSA (estimate only), dorsal = ``DORSAL``, ventral =
``VENTRAL`` (those of them the dataset has, and that have scores).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from brainlike.plan.roster import RosterEntry
from brainlike.plan.specs import VisionSpec
from brainlike.scores.specialisation import bootstrap_specialisation, specialisation
from brainlike.scores.stats import bootstrap_ci

__all__ = ["BASELINE_ROLE", "DORSAL", "HEADLINE_COLUMNS", "SPECIALISATION_COLUMNS",
           "VENTRAL", "headline", "pathway_specialisation"]

log = logging.getLogger(__name__)

# Mouse visual areas by pathway (Wang, Sporns & Burkhalter 2012; Bakhtiari et al. 2021):
# anterolateral, rostrolateral, anteromedial and posteromedial areas are dorsal, the lateral
# area ventral; VISp feeds both and is in neither.
DORSAL = ("VISal", "VISrl", "VISam", "VISpm")
VENTRAL = ("VISl",)
BASELINE_ROLE = "baseline"
CONFIDENCE = 0.95

HEADLINE_COLUMNS = [
    "area", "model", "family", "role", "control", "n_cells", "n_reliable", "rdm_ceiling",
    "rsa_layer", "rsa_pathway", "rsa_normalised", "ridge_layer", "ridge_pathway",
    "ridge_normalised", "ridge_low", "ridge_high", "control_rsa_normalised",
    "control_ridge_normalised", "best_rsa", "best_ridge"]
SPECIALISATION_COLUMNS = [
    "method", "model", "pathway", "n_seeds", "dorsal", "ventral", "value",
    "specialisation_index", "index_magnitude", "value_low", "value_high", "index_low",
    "index_high", "magnitude_low", "magnitude_high", "dorsal_areas", "ventral_areas"]


def _best(frame: pd.DataFrame, column: str) -> pd.Series | None:
    """The row of frame with the largest finite ``column`` (first on ties), None if none."""
    finite = frame[np.isfinite(frame[column].to_numpy(np.float64))]
    return None if finite.empty else finite.loc[finite[column].idxmax()]


def _ridge_interval(values: np.ndarray, n_bootstrap: int, seed: int) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if n_bootstrap < 1 or len(values) < 2:
        return np.nan, np.nan
    ci = bootstrap_ci(values, n_bootstrap=n_bootstrap, confidence=CONFIDENCE, seed=seed)
    return float(ci.low), float(ci.high)


def headline(scores: pd.DataFrame, rois: pd.DataFrame, ceilings: pd.DataFrame,
             cells: pd.DataFrame, families: Mapping[str, str],
             roster: Mapping[str, RosterEntry], spec: VisionSpec, seed: int) -> pd.DataFrame:
    """The headline table (columns ``HEADLINE_COLUMNS``), areas in the cells' order, models
    in the order of ``families`` (the scored models).

    scores: per-cell rows (model, layer, pathway, cell, area, normalised); rois: per-area rows
    (model, layer, pathway, area, rsa_normalised, ridge_normalised); ceilings: the ceilings
    table (kind, name, area, ceiling); cells: the cells table (cell, area).
    """
    missing = sorted(set(families) - set(rois["model"]))
    if missing:
        raise ValueError(f"no area scores for models {missing}; found "
                         f"{sorted(set(rois['model']))}")
    cell_ceilings = ceilings[ceilings["kind"] == "cell"]
    rdm_ceilings = ceilings[ceilings["kind"] == "area"].set_index("name")["ceiling"]
    by_cell = {key: frame for key, frame in scores.groupby(["model", "layer", "area"])}
    by_area = {key: frame for key, frame in rois.groupby(["model", "area"])}
    rows = []
    for area in dict.fromkeys(cells["area"]):
        ceiling = cell_ceilings[cell_ceilings["area"] == area]["ceiling"]
        for model, family in families.items():
            entry = roster.get(model)
            frame = by_area.get((model, area))
            if frame is None:
                raise ValueError(f"model {model!r} has no scores for area {area!r}")
            rsa, ridge = _best(frame, "rsa_normalised"), _best(frame, "ridge_normalised")
            low = high = np.nan
            if ridge is not None:
                values = by_cell[(model, ridge["layer"], area)]["normalised"].to_numpy()
                low, high = _ridge_interval(values, spec.bootstrap, seed)
            rows.append({
                "area": area, "model": model, "family": family,
                "role": entry.role if entry else BASELINE_ROLE,
                "control": entry.control if entry else "",
                "n_cells": int((cells["area"] == area).sum()),
                "n_reliable": int((ceiling > spec.ceiling_floor).sum()),
                "rdm_ceiling": float(rdm_ceilings.get(area, np.nan)),
                "rsa_layer": "" if rsa is None else rsa["layer"],
                "rsa_pathway": "" if rsa is None else rsa["pathway"],
                "rsa_normalised": np.nan if rsa is None else float(rsa["rsa_normalised"]),
                "ridge_layer": "" if ridge is None else ridge["layer"],
                "ridge_pathway": "" if ridge is None else ridge["pathway"],
                "ridge_normalised": np.nan if ridge is None else float(ridge["ridge_normalised"]),
                "ridge_low": low, "ridge_high": high})
    table = pd.DataFrame(rows)
    best = table.set_index(["area", "model"])
    for prefix in ("rsa", "ridge"):
        value = best[f"{prefix}_normalised"]
        table[f"control_{prefix}_normalised"] = [
            value.get((area, control), np.nan) if control else np.nan
            for area, control in zip(table["area"], table["control"])]
        flag = np.zeros(len(table), bool)
        for _, group in table.groupby("area", sort=False):
            top = _best(group, f"{prefix}_normalised")
            if top is not None:
                flag[top.name] = True
        table[f"best_{prefix}"] = flag
    return table[HEADLINE_COLUMNS]


def _usable(frame: pd.DataFrame, areas: tuple[str, ...], score: str, what: str) -> list[str]:
    """The areas of ``areas`` where every (model, pathway, layer) has a finite ``score``."""
    kept = []
    for area in areas:
        part = frame[frame["area"] == area]
        if part.empty:
            continue
        finite = part.groupby(["model", "layer"])[score] \
            .apply(lambda s: bool(np.isfinite(s.to_numpy(np.float64)).any()))
        if finite.all():
            kept.append(area)
        else:
            log.warning("%s specialisation: area %s left out (a layer has no finite %s)",
                        what, area, score)
    return kept


def _pathways(frame: pd.DataFrame) -> pd.DataFrame:
    # specialisation groups layers without a pathway (None) as shared.
    frame = frame.copy()
    frame["pathway"] = frame["pathway"].where(frame["pathway"] != "", None)
    return frame


def _seed_of(seeds: Mapping[str, tuple[str, int]] | None, model: str) -> tuple[str, int]:
    """(the model ``model`` is a seed of, its seed): itself, seed 0, unless ``seeds`` says."""
    return (seeds or {}).get(model, (model, 0))


def _pooled_seeds(frame: pd.DataFrame,
                  seeds: Mapping[str, tuple[str, int]] | None) -> pd.DataFrame:
    """Scores of the seeds of one model under that model's name, told apart by ``seed``."""
    frame = frame.copy()
    owners = [_seed_of(seeds, m) for m in frame["model"]]
    frame["model"] = [owner for owner, _ in owners]
    frame["seed"] = [seed for _, seed in owners]
    return frame


def pathway_specialisation(scores: pd.DataFrame, rois: pd.DataFrame,
                           families: Mapping[str, str], spec: VisionSpec,
                           seed: int,
                           seeds: Mapping[str, tuple[str, int]] | None = None) -> pd.DataFrame:
    """Specialisation of every model with pathway layers (columns ``SPECIALISATION_COLUMNS``):
    method "ridge" rows (per-cell normalised scores, bootstrap intervals over cells, and over
    seeds for a model with several, when ``spec.bootstrap`` > 0) and method "rsa" rows
    (per-area normalised RSA averaged over seeds, no interval).

    seeds: scored model -> (the model it is a seed of, its seed) (``Plan.vision_seeds``); a
    model missing there is a model of its own. Empty when no model has pathways or the
    dataset lacks dorsal or ventral areas."""
    with_pathways = set(rois.loc[rois["pathway"] != "", "model"])
    scores, rois = _pooled_seeds(scores, seeds), _pooled_seeds(rois, seeds)
    models = sorted({_seed_of(seeds, m)[0] for m in families
                     if families[m] and m in with_pathways})
    if not models:
        log.info("no scored model has pathway layers: no specialisation")
    out = []
    for method, frame, score in (("ridge", scores, "normalised"),
                                 ("rsa", rois, "rsa_normalised")):
        frame = _pathways(frame[frame["model"].isin(models)])
        dorsal = _usable(frame, DORSAL, score, method)
        ventral = _usable(frame, VENTRAL, score, method)
        if not models:
            continue
        if not dorsal or not ventral:
            log.warning("%s specialisation: needs dorsal (%s) and ventral (%s) areas with "
                        "scores", method, dorsal, ventral)
            continue
        if method == "ridge" and spec.bootstrap > 0:
            table = bootstrap_specialisation(frame, dorsal, ventral, score=score,
                                             n_bootstrap=spec.bootstrap,
                                             confidence=CONFIDENCE, seed=seed)
        else:
            table = specialisation(frame, dorsal, ventral, score=score)
        out.append(table.assign(method=method, dorsal_areas="+".join(dorsal),
                                ventral_areas="+".join(ventral)))
    if not out:
        return pd.DataFrame({c: pd.Series(dtype=object if c in (
            "method", "model", "pathway", "dorsal_areas", "ventral_areas") else np.float64)
            for c in SPECIALISATION_COLUMNS})
    return pd.concat(out, ignore_index=True).reindex(columns=SPECIALISATION_COLUMNS)
