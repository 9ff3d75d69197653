"""Brain scores for one model: every subject, layer, vertex and ROI.

Per layer: the design aligned to the subject's volumes, the cross-validated ridge (exact
leave-one-out alpha per vertex by default), and the held-out r of every vertex and fold.
Subjects who heard the same stories with the same volume times share the design, so
:func:`score_subjects` builds each layer's design and its per-fold decomposition once for all
of them; :func:`score_subject` is the one-subject case.

Significance per ROI: the ROI's mean response (vertices z-scored, then averaged) is scored by
the same cross-validated ridge, and so are ``permutations`` copies of it circularly shifted
by at least ``block_trs`` volumes, each refitted from scratch. Refitting matters: with K-fold
CV a fold's model is trained on the other folds' test rows, which couples the fold scores, so
a null that only shifts held-out responses against fixed predictions is too narrow (11-14 %
false positives at 0.05 in our simulations). The shifted copies share each fold's
decomposition with the vertices; with several subjects they are solved together through the
shift structure (:func:`brainlike.scores.shifts.shifted_ridge`), whose cost hardly grows with
the number of series.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from brainlike.plan.specs import ScoreSpec
from brainlike.scores.design import SubjectData, layer_design
from brainlike.scores.folds import kfold_contiguous, leave_one_group_out
from brainlike.scores.ridge import ridge_folds, solve_ridge
from brainlike.scores.shifts import CircularShifts, shifted_ridge


def folds_for(data: SubjectData, spec: ScoreSpec) -> list[tuple[np.ndarray, np.ndarray]]:
    if spec.cv == "leave_one_story_out":
        return leave_one_group_out(data.tasks)
    if spec.cv == "kfold":
        return kfold_contiguous(len(data.tasks), spec.n_folds)
    raise ValueError(f"unknown cross-validation {spec.cv!r}")


def circular_shifts(n_volumes: int, n: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """Distinct lags in [block, n_volumes - block] for the circular-shift null: ``n`` drawn
    without replacement, or all of them when there are no more than ``n`` (an exact test;
    repeated lags would overstate how many distinct nulls were seen)."""
    if n_volumes < 2 * block + 1:
        raise ValueError(f"{n_volumes} volumes are too few for shifts of at least {block}")
    lags = np.arange(block, n_volumes - block + 1)
    return lags if len(lags) <= n else np.sort(rng.choice(lags, size=n, replace=False))


def _roi_means(responses: np.ndarray, roi_names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels (G,), means (T, G) float32): each ROI's mean z-scored response."""
    sd = responses.std(axis=0)
    z = np.divide(responses - responses.mean(axis=0), sd, out=np.zeros_like(responses),
                  where=sd > 0)
    labels = np.unique(roi_names)
    means = np.stack([z[:, roi_names == g].mean(axis=1) for g in labels], axis=1)
    return labels, means.astype(np.float32)


def _roi_null_p(score: np.ndarray, labels: np.ndarray, n_lags: int) -> pd.DataFrame:
    """The ROI table from the fold-mean r (G (1 + L),) of the ROI means and their shifts,
    lag-major (:meth:`brainlike.scores.shifts.CircularShifts.columns`)."""
    observed, null = score[:len(labels)], score[len(labels):].reshape(n_lags, len(labels))
    p = (1 + (null >= observed - 1e-12).sum(axis=0)) / (1 + n_lags)
    return pd.DataFrame({"roi": labels, "roi_r": observed, "p_value": p})


def roi_null_test(X: np.ndarray, responses: np.ndarray, roi_names: np.ndarray,
                  folds: list, spec: ScoreSpec, lags: np.ndarray,
                  device=None) -> pd.DataFrame:
    """roi, roi_r (CV r of the ROI-mean response), p_value (refitted circular-shift null)."""
    labels, means = _roi_means(responses, roi_names)
    design = ridge_folds(X, spec.alphas, folds, spec.solver, device)
    result = shifted_ridge(design, CircularShifts(means, lags), spec.chunk_size)
    return _roi_null_p(result.mean_r, labels, len(lags))


def score_subject(data: SubjectData, features: Mapping[str, str | Path], layers: list[str],
                  roi_names: np.ndarray, spec: ScoreSpec, seed: int = 0,
                  device=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (vertex rows: layer, layer_index, vertex, fold, r, alpha;
    ROI rows: layer, roi, mean_r, roi_r, p_value). roi_names: (V,) aligned with data.vertices."""
    return score_subjects({"": data}, features, layers, {"": roi_names}, spec, seed, device)[""]


def score_subjects(subjects: Mapping[str, SubjectData], features: Mapping[str, str | Path],
                   layers: list[str], roi_names: Mapping[str, np.ndarray], spec: ScoreSpec,
                   seed: int = 0, device=None) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """:func:`score_subject` for every subject, sharing the work their designs have in common.

    subjects: name -> loaded responses; features: story -> features/1 file (every story any
    subject heard); roi_names: name -> (V,) ROI of each of that subject's vertices. Subjects
    with identical (tasks, stories, times) form a group: per layer its design, the folds'
    decompositions and the circular-shift null of all its subjects' ROIs are computed once.
    Every subject's responses are held at once; score a large dataset in batches of subjects.
    Returns name -> (vertex rows, ROI rows), in the order given; each equals
    ``score_subject`` of that subject (r to ~1e-6, p-values alike).
    """
    for name, data in subjects.items():
        if len(roi_names[name]) != data.responses.shape[1]:
            raise ValueError(f"roi_names of {name or 'the subject'} has {len(roi_names[name])} "
                             f"entries for {data.responses.shape[1]} vertices")
    groups: dict[tuple, list[str]] = {}
    for name, data in subjects.items():
        key = (tuple(data.tasks.tolist()), tuple(data.stories.tolist()), data.times.tobytes())
        groups.setdefault(key, []).append(name)
    results = {}
    for names in groups.values():
        results.update(_score_group({n: subjects[n] for n in names}, features, layers,
                                    {n: roi_names[n] for n in names}, spec, seed, device))
    return {name: results[name] for name in subjects}


def _score_group(subjects: dict[str, SubjectData], features: Mapping[str, str | Path],
                 layers: list[str], roi_names: dict[str, np.ndarray], spec: ScoreSpec,
                 seed: int, device) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Subjects sharing tasks, stories and volume times: one design and decomposition per layer."""
    first = next(iter(subjects.values()))
    folds = folds_for(first, spec)
    lags = circular_shifts(len(first.tasks), spec.permutations, spec.block_trs,
                           np.random.default_rng(seed)) if spec.permutations > 0 else None
    shifts, labels, where = None, {}, {}
    if lags is not None:
        series = []
        for name, data in subjects.items():
            labels[name], means = _roi_means(data.responses, roi_names[name])
            start = sum(s.shape[1] for s in series)
            where[name] = slice(start, start + means.shape[1])
            series.append(means)
        shifts = CircularShifts(np.concatenate(series, axis=1), lags)
    vertex_rows = {name: [] for name in subjects}
    roi_rows = {name: [] for name in subjects}
    for index, layer in enumerate(layers):
        X = layer_design(features, layer, first)
        design = ridge_folds(X, spec.alphas, folds, spec.solver, device)
        null = None
        if shifts is not None:  # fold-mean r, (1 + L, G) lag-major
            null = shifted_ridge(design, shifts, spec.chunk_size).mean_r.reshape(len(lags) + 1, -1)
        for name, data in subjects.items():
            result = solve_ridge(design, data.responses, spec.chunk_size)
            n_folds, n_vertices = result.r.shape
            vertex_rows[name].append(pd.DataFrame({
                "layer": layer, "layer_index": index,
                "vertex": np.tile(data.vertices, n_folds),
                "fold": np.repeat(np.arange(n_folds), n_vertices),
                "r": result.r.ravel(), "alpha": result.alpha.ravel()}))
            mean_r = pd.Series(result.r.mean(axis=0)).groupby(roi_names[name]).mean()
            rois = pd.DataFrame({"roi": mean_r.index, "mean_r": mean_r.to_numpy()})
            if null is not None:
                score = null[:, where[name]].ravel()  # lag-major, this subject's ROIs
                rois = rois.merge(_roi_null_p(score, labels[name], len(lags)), on="roi")
            else:
                rois["roi_r"] = rois["p_value"] = np.nan
            roi_rows[name].append(rois.assign(layer=layer))
    return {name: (pd.concat(vertex_rows[name], ignore_index=True),
                   pd.concat(roi_rows[name], ignore_index=True)[
                       ["layer", "roi", "mean_r", "roi_r", "p_value"]])
            for name in subjects}
