"""Linear centred kernel alignment (CKA; Kornblith et al. 2019) between two representations
of the same n stimuli.

``CKA(X, Y) = ||Yᵀ X||_F² / (||Xᵀ X||_F ||Yᵀ Y||_F)`` on column-centred X and Y: the HSIC of
the linear kernels ``X Xᵀ`` and ``Y Yᵀ`` normalised by their self-HSICs. It is invariant to
orthogonal transforms and isotropic scaling of either side (not to arbitrary invertible
maps, unlike CCA), so it compares geometry without fitting anything.
"""

from __future__ import annotations

import numpy as np

__all__ = ["linear_cka"]


def _centred(name: str, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"{name} must be (n >= 2, features), found shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or inf")
    # Tested on the raw values: centring a constant column can leave rounding residue.
    if np.all(x.max(axis=0) == x.min(axis=0)):
        raise ValueError(f"{name} is constant over its rows: CKA is undefined")
    return x - x.mean(axis=0)


def linear_cka(X: np.ndarray, Y: np.ndarray) -> float:
    """Linear CKA in [0, 1] of X (n, p) and Y (n, q), rows the same n stimuli.

    The cross-covariance form costs O(n p q); when n is smaller than p and q the Gram
    matrices (n, n) are compared instead, which is the same number.
    """
    x = _centred("X", X)
    y = _centred("Y", Y)
    if len(x) != len(y):
        raise ValueError(f"X (n, p) and Y (n, q) must share n, found shapes {x.shape} and "
                         f"{y.shape}")
    if len(x) < min(x.shape[1], y.shape[1]):
        kx, ky = x @ x.T, y @ y.T
        cross, self_x, self_y = np.vdot(kx, ky), np.linalg.norm(kx), np.linalg.norm(ky)
    else:
        cross = np.linalg.norm(y.T @ x) ** 2
        self_x, self_y = np.linalg.norm(x.T @ x), np.linalg.norm(y.T @ y)
    return float(cross / (self_x * self_y))
