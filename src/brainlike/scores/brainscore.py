"""One subject's brain scores for one model: every layer, every vertex, every ROI.

Per layer: the design aligned to the subject's volumes, the cross-validated ridge (exact
leave-one-out alpha per vertex by default), and the held-out r of every vertex and fold.

Significance per ROI: the ROI's mean response (vertices z-scored, then averaged) is scored by
the same cross-validated ridge, and so are ``permutations`` copies of it circularly shifted
by at least ``block_trs`` volumes, each refitted from scratch. Refitting matters: with K-fold
CV a fold's model is trained on the other folds' test rows, which couples the fold scores, so
a null that only shifts held-out responses against fixed predictions is too narrow (11-14 %
false positives at 0.05 in our simulations). The shifted copies are just more columns for
the solver, in the same call as the vertices: they share one SVD per fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from brainlike.scores.design import SubjectData, layer_design
from brainlike.scores.folds import kfold_contiguous, leave_one_group_out
from brainlike.scores.ridge import cross_validated_ridge


@dataclass(frozen=True)
class ScoreSpec:
    """The ``scores`` section of the config."""

    alphas: tuple[float, ...] = tuple(np.logspace(-1, 8, 10))
    cv: str = "kfold"
    n_folds: int = 5
    solver: str = "exact"
    chunk_size: int = 4096
    permutations: int = 1000
    block_trs: int = 20

    @classmethod
    def from_dict(cls, d: dict) -> ScoreSpec:
        keys = {k: d[k] for k in ("cv", "n_folds", "solver", "chunk_size", "permutations",
                                  "block_trs") if k in d}
        return cls(alphas=tuple(d.get("alphas", cls.alphas)), **keys)


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


def _roi_null_columns(responses: np.ndarray, roi_names: np.ndarray,
                      lags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels (G,), columns (T, G * (1 + L))): each ROI's mean z-scored response, then its
    circular shifts by every lag, lag-major."""
    sd = responses.std(axis=0)
    z = np.divide(responses - responses.mean(axis=0), sd, out=np.zeros_like(responses),
                  where=sd > 0)
    labels = np.unique(roi_names)
    means = np.stack([z[:, roi_names == g].mean(axis=1) for g in labels], axis=1)  # (T, G)
    shifted = [np.roll(means, int(k), axis=0) for k in lags]
    return labels, np.concatenate([means, *shifted], axis=1)


def _roi_null_p(score: np.ndarray, labels: np.ndarray, n_lags: int) -> pd.DataFrame:
    """The ROI table from the fold-mean r of the columns :func:`_roi_null_columns` made."""
    observed, null = score[:len(labels)], score[len(labels):].reshape(n_lags, len(labels))
    p = (1 + (null >= observed - 1e-12).sum(axis=0)) / (1 + n_lags)
    return pd.DataFrame({"roi": labels, "roi_r": observed, "p_value": p})


def roi_null_test(X: np.ndarray, responses: np.ndarray, roi_names: np.ndarray,
                  folds: list, spec: ScoreSpec, lags: np.ndarray,
                  device=None) -> pd.DataFrame:
    """roi, roi_r (CV r of the ROI-mean response), p_value (refitted circular-shift null)."""
    labels, columns = _roi_null_columns(responses, roi_names, lags)
    result = cross_validated_ridge(X, columns, spec.alphas, folds, mode=spec.solver,
                                   chunk_size=spec.chunk_size, device=device)
    return _roi_null_p(result.r.mean(axis=0), labels, len(lags))


def score_subject(data: SubjectData, features: dict[str, str | Path], layers: list[str],
                  roi_names: np.ndarray, spec: ScoreSpec, seed: int = 0,
                  device=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (vertex rows: layer, layer_index, vertex, fold, r, alpha;
    ROI rows: layer, roi, mean_r, roi_r, p_value). roi_names: (V,) aligned with data.vertices."""
    if len(roi_names) != data.responses.shape[1]:
        raise ValueError(f"roi_names has {len(roi_names)} entries for "
                         f"{data.responses.shape[1]} vertices")
    folds = folds_for(data, spec)
    lags = circular_shifts(len(data.tasks), spec.permutations, spec.block_trs,
                           np.random.default_rng(seed)) if spec.permutations > 0 else None
    n_vertices = data.responses.shape[1]
    Y = data.responses
    if lags is not None:
        # One solver call per layer for vertices and null columns: they share each fold's SVD.
        labels, null_columns = _roi_null_columns(data.responses, roi_names, lags)
        Y = np.concatenate([data.responses, null_columns.astype(Y.dtype)], axis=1)
    vertex_rows, roi_rows = [], []
    for index, layer in enumerate(layers):
        X = layer_design(features, layer, data)
        result = cross_validated_ridge(X, Y, spec.alphas, folds, mode=spec.solver,
                                       chunk_size=spec.chunk_size, device=device)
        r, alpha = result.r[:, :n_vertices], result.alpha[:, :n_vertices]
        n_folds = r.shape[0]
        vertex_rows.append(pd.DataFrame({
            "layer": layer, "layer_index": index,
            "vertex": np.tile(data.vertices, n_folds),
            "fold": np.repeat(np.arange(n_folds), n_vertices),
            "r": r.ravel(), "alpha": alpha.ravel()}))
        mean_r = pd.Series(r.mean(axis=0)).groupby(roi_names).mean()
        rois = pd.DataFrame({"roi": mean_r.index, "mean_r": mean_r.to_numpy()})
        if lags is not None:
            null = _roi_null_p(result.r[:, n_vertices:].mean(axis=0), labels, len(lags))
            rois = rois.merge(null, on="roi")
        else:
            rois["roi_r"] = rois["p_value"] = np.nan
        roi_rows.append(rois.assign(layer=layer))
    return (pd.concat(vertex_rows, ignore_index=True),
            pd.concat(roi_rows, ignore_index=True)[["layer", "roi", "mean_r", "roi_r", "p_value"]])
