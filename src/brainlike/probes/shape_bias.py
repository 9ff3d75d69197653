"""Cue-conflict shape bias (Geirhos et al. 2019) of a layer, by a linear read-out.

A multinomial logistic regression on standardised features learns the object classes from
non-conflict images, in which texture k always dresses shape k, so either cue alone names the
class. On cue-conflict images (shape i dressed in texture j != i) each decision is then a
vote: for the shape, for the texture, or for neither. The shape bias is the share of shape
votes among the decisions that name one of the two cues.

The read-out is fixed (one C, lbfgs, no search) and deterministic, so layers and models are
compared under one probe; its cross-validated accuracy on the non-conflict images is
returned with the bias, since a bias read out by a probe that cannot classify means nothing.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

__all__ = ["READOUT_C", "readout", "shape_bias"]

READOUT_C = 1.0  # inverse L2 penalty of the logistic read-out


def readout(c: float = READOUT_C) -> Pipeline:
    """The unfitted linear read-out: standardisation, then multinomial logistic regression."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))


def _features(name: str, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"{name} must be (images, D), found shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or inf")
    return x


def _labels(name: str, y: np.ndarray, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name} must be ({n},) integers, found shape {y.shape} dtype "
                         f"{y.dtype}")
    return y


def shape_bias(train_features: np.ndarray, train_labels: np.ndarray,
               conflict_features: np.ndarray, conflict_shape: np.ndarray,
               conflict_texture: np.ndarray, *, c: float = READOUT_C, n_folds: int = 5,
               seed: int = 0) -> dict[str, float | int]:
    """Shape bias of features of the non-conflict (N, D) and cue-conflict (M, D) images.

    train_labels: (N,) class of each non-conflict image (its shape = its texture);
    conflict_shape, conflict_texture: (M,) the two cues' classes, different on every image.
    c: the read-out's inverse penalty; n_folds, seed: the stratified shuffled folds of the
    cross-validated training accuracy (the bias itself uses a read-out fitted on all N).
    Returns shape_bias (n_shape / (n_shape + n_texture), NaN when both are 0), n_shape,
    n_texture, n_other (decisions naming a third class) and train_accuracy.
    """
    x = _features("train_features", train_features)
    xc = _features("conflict_features", conflict_features)
    if xc.shape[1] != x.shape[1]:
        raise ValueError(f"train_features {x.shape} and conflict_features {xc.shape} must "
                         "share D")
    y = _labels("train_labels", train_labels, len(x))
    shape = _labels("conflict_shape", conflict_shape, len(xc))
    texture = _labels("conflict_texture", conflict_texture, len(xc))
    if np.any(shape == texture):
        raise ValueError(f"{int(np.sum(shape == texture))} conflict images have the same shape "
                         "and texture class: they are no conflict")
    classes, counts = np.unique(y, return_counts=True)
    unknown = np.setdiff1d(np.concatenate([shape, texture]), classes)
    if len(classes) < 2 or unknown.size:
        raise ValueError(f"the read-out learns classes {classes.tolist()}: need two or more, "
                         f"covering every conflict cue (missing {unknown.tolist()})")
    if counts.min() < n_folds:
        raise ValueError(f"class {classes[counts.argmin()]} has {counts.min()} training "
                         f"images, fewer than n_folds={n_folds}")
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    accuracy = float(cross_val_score(readout(c), x, y, cv=folds).mean())
    decision = readout(c).fit(x, y).predict(xc)
    n_shape = int(np.sum(decision == shape))
    n_texture = int(np.sum(decision == texture))
    named = n_shape + n_texture
    return {"shape_bias": n_shape / named if named else float("nan"), "n_shape": n_shape,
            "n_texture": n_texture, "n_other": len(xc) - named, "train_accuracy": accuracy}
