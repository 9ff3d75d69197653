"""Outer cross-validation folds for brain scores: contiguous blocks or one story left out.

Both return ``[(train_idx, test_idx), ...]`` with int64 row indices into the (T, ·) design,
the format :func:`brainlike.scores.ridge.cross_validated_ridge` takes. They split exactly as
scikit-learn's ``KFold`` and ``LeaveOneGroupOut`` (tested against them) without importing
scikit-learn, which costs every brain-score job a second of start-up.
"""

from __future__ import annotations

import numpy as np

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
    sizes = np.full(k, n // k)
    sizes[:n % k] += 1  # the first n % k blocks take one row more, as KFold's
    edges = np.concatenate([[0], np.cumsum(sizes)])
    rows = np.arange(n, dtype=np.int64)
    return [(np.concatenate([rows[:a], rows[b:]]), rows[a:b])
            for a, b in zip(edges[:-1], edges[1:])]


def leave_one_group_out(groups: np.ndarray | list) -> list[Fold]:
    """One fold per distinct group label (e.g. the story each TR belongs to).

    groups: (T,) labels; folds come in sorted label order (``LeaveOneGroupOut``).
    """
    groups = np.asarray(groups)
    if groups.ndim != 1:
        raise ValueError(f"groups must be 1-D (T,), got shape {groups.shape}")
    if len(np.unique(groups)) < 2:
        raise ValueError("leave-one-group-out needs at least 2 distinct groups")
    return [(np.flatnonzero(groups != g).astype(np.int64),
             np.flatnonzero(groups == g).astype(np.int64)) for g in np.unique(groups)]
