"""Representational similarity analysis of model layers against visual cortex (Bakhtiari et al.
2021, after Kriegeskorte et al. 2008).

Conditions are time bins of the movie. A representational dissimilarity matrix (RDM) holds,
for every pair of bins, 1 - Pearson r between their population vectors (a layer's D units,
or an area's cells); two RDMs are compared by Kendall's tau-b over their pairs, which asks
only that dissimilarities be ordered alike, not that they be linearly related.

The ceiling is the tau between the RDMs of the means of two random halves of the repeats:
how alike two independent estimates of the area's geometry are. It is an estimate for
*half* the repeats (no Spearman-Brown step exists for tau), while a layer is compared with
the mean of all of them, so a good model can exceed it: ``normalised`` above 1 is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from brainlike.scores.ceiling import _half_splits

__all__ = ["RdmCeiling", "kendall_tau", "rdm", "rdm_ceiling", "rsa", "rsa_scores"]


def rdm(x: np.ndarray) -> np.ndarray:
    """Condensed RDM (n (n - 1) / 2,) float64 of the rows of x (n, D): 1 - Pearson r.

    Pairs come in scipy's condensed order, (0, 1), (0, 2), ..., (1, 2), ... (the strict lower
    triangle read column by column), so ``squareform`` turns it into the (n, n) matrix and it
    equals ``pdist(x, "correlation")``. A row with zero variance has no correlation with
    anything: a ValueError says how many there are.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        raise ValueError(f"x must be (n >= 2, D >= 2), found shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or inf")
    z = x - x.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(z, axis=1)
    # Relative test: a row of equal values leaves rounding residue of order eps * |value|.
    flat = norm <= 1e-12 * np.maximum(np.abs(x).max(axis=1), 1e-300) * np.sqrt(x.shape[1])
    if flat.any():
        raise ValueError(f"{int(flat.sum())} of {len(x)} rows have zero variance: their "
                         "correlation distance is undefined")
    z /= norm[:, None]
    i, j = np.triu_indices(len(x), k=1)
    corr = z @ z.T
    return 1.0 - corr[i, j]


def kendall_tau(a: np.ndarray, b: np.ndarray) -> float:
    """Kendall's tau-b of two (n,) vectors, ties counted as tau-b does.

    scipy's O(n log n) implementation (Knight's algorithm); its p-value is not used.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape or len(a) < 2:
        raise ValueError(f"a and b must be 1-D of one length >= 2, found shapes {a.shape} "
                         f"and {b.shape}")
    for name, v in (("a", a), ("b", b)):
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{name} contains NaN or inf")
        if np.all(v == v[0]):
            raise ValueError(f"{name} is constant: tau-b is undefined")
    return float(kendalltau(a, b, method="asymptotic").statistic)


def rsa(features: np.ndarray, responses_mean: np.ndarray) -> float:
    """Kendall tau between the RDMs of features (bins, D) and responses_mean (bins, cells)."""
    features = np.asarray(features)
    responses_mean = np.asarray(responses_mean)
    if features.ndim != 2 or responses_mean.ndim != 2 or len(features) != len(responses_mean):
        raise ValueError(f"features (bins, D) and responses_mean (bins, cells) must share "
                         f"bins, found shapes {features.shape} and {responses_mean.shape}")
    return kendall_tau(rdm(features), rdm(responses_mean))


@dataclass(frozen=True)
class RdmCeiling:
    """tau_mean: mean of taus; taus: (n_splits_used,) one tau per split of the repeats."""

    tau_mean: float
    taus: np.ndarray


def _check_responses(responses: np.ndarray) -> np.ndarray:
    x = np.asarray(responses, dtype=np.float64)
    if x.ndim != 3 or x.shape[0] < 2:
        raise ValueError(f"responses must be (repeats >= 2, bins, cells), found shape {x.shape}")
    return x


def rdm_ceiling(responses: np.ndarray, n_splits: int = 100, seed: int = 0) -> RdmCeiling:
    """Split-half RDM reliability of responses (repeats, bins, cells).

    Each split puts repeats // 2 random repeats in one half and the rest in the other; the
    tau between the two halves' mean-response RDMs is recorded. With at most ``n_splits``
    distinct splits all of them are used (so ``taus`` can be shorter), else ``n_splits``
    random ones drawn from ``seed`` (as :func:`brainlike.scores.ceiling.reliability`).
    """
    x = _check_responses(responses)
    if n_splits < 1:
        raise ValueError(f"n_splits must be >= 1, found {n_splits!r}")
    n = x.shape[0]
    total = x.sum(axis=0)
    taus = []
    for half in _half_splits(n, n_splits, np.random.default_rng(seed)):
        first = x[half].sum(axis=0)
        taus.append(kendall_tau(rdm(first / len(half)), rdm((total - first) / (n - len(half)))))
    taus = np.asarray(taus)
    return RdmCeiling(tau_mean=float(taus.mean()), taus=taus)


def rsa_scores(layers: dict[str, np.ndarray], responses_by_area: dict[str, np.ndarray],
               n_splits: int = 100, seed: int = 0) -> pd.DataFrame:
    """RSA of every layer (bins, D) with every area's responses (repeats, bins, cells).

    Returns one row per (layer, area), layers outer: layer, area, tau (against the area's
    repeat-mean RDM), ceiling (:func:`rdm_ceiling` of the area), normalised = tau / ceiling
    (NaN where the ceiling is not positive).
    """
    if not layers or not responses_by_area:
        raise ValueError("layers and responses_by_area must not be empty")
    areas = {}
    for area, responses in responses_by_area.items():
        x = _check_responses(responses)
        areas[area] = (rdm(x.mean(axis=0)), rdm_ceiling(x, n_splits, seed).tau_mean, x.shape[1])
    rows = []
    for layer, features in layers.items():
        features = np.asarray(features)
        for area, (_, _, bins) in areas.items():
            if features.ndim != 2 or len(features) != bins:
                raise ValueError(f"layer {layer!r} must be (bins={bins}, D) like area "
                                 f"{area!r}, found shape {features.shape}")
        model = rdm(features)
        for area, (neural, ceiling, _) in areas.items():
            tau = kendall_tau(model, neural)
            rows.append({"layer": layer, "area": area, "tau": tau, "ceiling": ceiling,
                         "normalised": tau / ceiling if ceiling > 0 else np.nan})
    return pd.DataFrame(rows, columns=["layer", "area", "tau", "ceiling", "normalised"])
