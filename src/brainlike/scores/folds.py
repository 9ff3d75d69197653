"""Outer cross-validation folds for brain scores: contiguous blocks or one story left out.

Both return ``[(train_idx, test_idx), ...]`` with int64 row indices into the (T, ·) design,
the format :func:`brainlike.scores.ridge.cross_validated_ridge` takes.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import KFold, LeaveOneGroupOut

Fold = tuple[np.ndarray, np.ndarray]


def kfold_contiguous(n: int, k: int = 5) -> list[Fold]:
    """``k`` contiguous test blocks over ``n`` rows (``KFold(k, shuffle=False)``).

    No shuffling on purpose: neighbouring TRs are autocorrelated (HRF), so a shuffled split
    would leak the test rows' signal into training.
    """
    if k < 2:
        raise ValueError(f"need at least 2 folds, got k={k}")
    if n < k:
        raise ValueError(f"cannot make {k} folds from {n} rows")
    rows = np.zeros((n, 1))
    return [(tr.astype(np.int64), te.astype(np.int64)) for tr, te in KFold(k).split(rows)]


def leave_one_group_out(groups: np.ndarray | list) -> list[Fold]:
    """One fold per distinct group label (e.g. the story each TR belongs to).

    groups: (T,) labels; folds come in sorted label order (``LeaveOneGroupOut``).
    """
    groups = np.asarray(groups)
    if groups.ndim != 1:
        raise ValueError(f"groups must be 1-D (T,), got shape {groups.shape}")
    if len(np.unique(groups)) < 2:
        raise ValueError("leave-one-group-out needs at least 2 distinct groups")
    rows = np.zeros((len(groups), 1))
    splits = LeaveOneGroupOut().split(rows, groups=groups)
    return [(tr.astype(np.int64), te.astype(np.int64)) for tr, te in splits]
