"""Per-cell ridge encoding scores of a model layer against visual cortex responses.

Each cell's trial-mean response is predicted from the layer's features by ridge regression
(:mod:`brainlike.scores.ridge`: alpha per cell by efficient leave-one-out within the
training bins, contiguous k-fold outer cross-validation, held-out Pearson r averaged over
folds). Calcium responses lag and smear the stimulus, so the design holds the features at a
few causal lags (a finite impulse response): the response at bin t reads the features at
t - d for every d in ``delays``. The ceiling is the split-half reliability of the repeat
mean (:func:`brainlike.scores.ceiling.split_half`), and ``normalised`` = r / ceiling.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from brainlike.scores.ceiling import normalise, split_half
from brainlike.scores.ridge import kfold_contiguous, ridge_folds, solve_ridge

__all__ = ["CEILING_FLOOR", "cell_scores", "delayed"]

# Cells whose ceiling is at most this are left unnormalised (NaN): their ratio would be
# noise over noise. Split-half estimates over ~10 repeats are tighter than the fMRI
# inter-subject ones behind ceiling.normalise's default, hence a lower floor.
CEILING_FLOOR = 0.1


def delayed(features: np.ndarray, delays: Sequence[int]) -> np.ndarray:
    """(bins, len(delays) * D) features at lags ``delays`` (bins >= 0), zeros before bin 0.

    Column block k holds features[t - delays[k]] at row t.
    """
    x = np.asarray(features)
    if x.ndim != 2:
        raise ValueError(f"features must be (bins, D), found shape {x.shape}")
    lags = [int(d) for d in delays]
    if not lags or min(lags) < 0 or len(set(lags)) != len(lags) or max(lags) >= len(x):
        raise ValueError(f"delays must be distinct non-negative bins below {len(x)}, "
                         f"found {tuple(delays)}")
    out = np.zeros((len(x), len(lags) * x.shape[1]), dtype=x.dtype)
    for k, d in enumerate(lags):
        out[d:, k * x.shape[1]:(k + 1) * x.shape[1]] = x[:len(x) - d]
    return out


def cell_scores(features: np.ndarray, responses: np.ndarray, alphas: Sequence[float],
                n_folds: int = 5, delays: Sequence[int] = (0, 1, 2), seed: int = 0,
                floor: float = CEILING_FLOOR, n_splits: int = 100,
                device: str | None = None) -> pd.DataFrame:
    """Encoding score of every cell of responses (repeats, bins, cells) from features (bins, D).

    alphas: ridge penalties to choose from; n_folds: contiguous outer folds over bins;
    delays: FIR lags in bins; seed and n_splits: the split-half ceiling's random splits;
    floor: ceilings at or below it give NaN ``normalised``; device: for the ridge solver.
    Returns one row per cell, in order: cell (int, index into the cells axis), r (held-out r
    of the repeat mean, mean over folds), alpha (median chosen alpha over folds), ceiling,
    normalised.
    """
    y = np.asarray(responses)
    if y.ndim != 3 or y.shape[0] < 2:
        raise ValueError(f"responses must be (repeats >= 2, bins, cells), found shape {y.shape}")
    x = delayed(features, delays)
    if len(x) != y.shape[1]:
        raise ValueError(f"features have {len(x)} bins but responses (repeats, bins, cells) "
                         f"have shape {y.shape}")
    design = ridge_folds(x, alphas, kfold_contiguous(len(x), n_folds), device=device)
    fit = solve_ridge(design, y.mean(axis=0, dtype=np.float64).astype(np.float32))
    ceiling = split_half(y, n_splits=n_splits, seed=seed)
    r = fit.mean_r
    return pd.DataFrame({"cell": np.arange(y.shape[2]), "r": r,
                         "alpha": np.median(fit.alpha, axis=0), "ceiling": ceiling,
                         "normalised": normalise(r, ceiling, floor=floor)})
