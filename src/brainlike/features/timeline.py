"""From frame-level activations to regressors on the fMRI volume grid.

Every feature set goes the same way: pool to a common frame rate, scale each feature over
the story, then either convolve with the canonical Glover HRF and sample at each volume's
midpoint (the default, as Millet et al.), or average within volumes and stack FIR delays.
The grid is story-locked: volume ``i`` starts ``i * tr`` seconds after the story onset.
"""

from __future__ import annotations

import numpy as np

from brainlike.hrf import convolve_and_sample

SCALINGS = ("zscore", "minmax", "none")
RESPONSES = ("hrf", "fir")


def n_volumes(duration_s: float, tr: float, tail_s: float) -> int:
    """Volumes on the story grid: the story plus the hemodynamic tail."""
    return int(np.ceil((duration_s + tail_s) / tr))


def pool_to_rate(values: np.ndarray, centres: np.ndarray, rate: float,
                 duration_s: float) -> np.ndarray:
    """Average frames into bins of 1/rate s. values: (frames, F); centres: (frames,) seconds.

    Returns (ceil(duration_s * rate), F); bins without a frame (a layer coarser than the
    rate) are linearly interpolated from their neighbours.
    """
    if values.ndim != 2 or len(centres) != len(values):
        raise ValueError(f"values must be (frames, F) with one centre per frame, found "
                         f"{values.shape} and {len(centres)} centres")
    n_bins = int(np.ceil(duration_s * rate))
    bins = np.clip((np.asarray(centres) * rate).astype(np.int64), 0, n_bins - 1)
    sums = np.zeros((n_bins, values.shape[1]), np.float64)
    np.add.at(sums, bins, values)
    counts = np.bincount(bins, minlength=n_bins)
    filled = counts > 0
    out = np.zeros_like(sums)
    out[filled] = sums[filled] / counts[filled, None]
    if not filled.all() and filled.any():  # one filled bin: np.interp holds it constant
        idx = np.flatnonzero(filled)
        for j in range(values.shape[1]):
            out[~filled, j] = np.interp(np.flatnonzero(~filled), idx, out[idx, j])
    return out.astype(np.float32)


def scale(values: np.ndarray, method: str) -> np.ndarray:
    """Scale each column over the story. values: (frames, F). Constant columns become 0."""
    if method not in SCALINGS:
        raise ValueError(f"unknown scaling {method!r}; choose from {SCALINGS}")
    x = values.astype(np.float64)
    if method == "zscore":
        sd = x.std(axis=0)
        # max > min, not sd > 0: the mean of a constant float column is off by an ulp, so
        # its sd is ~1e-17, not 0, and dividing by it would make the column -1 or +1.
        varies = (sd > 0) & (x.max(axis=0) > x.min(axis=0))
        x = np.divide(x - x.mean(axis=0), sd, out=np.zeros_like(x), where=varies)
    elif method == "minmax":
        span = x.max(axis=0) - x.min(axis=0)
        x = np.divide(x - x.min(axis=0), span, out=np.zeros_like(x), where=span > 0)
    return x.astype(np.float32)


def to_volumes(values: np.ndarray, rate: float, tr: float, n_trs: int, response: str,
               fir_delays: tuple[int, ...]) -> np.ndarray:
    """values: (frames, F) at ``rate`` Hz from the story onset -> (n_trs, F) or (n_trs, F*delays).

    hrf: Glover-HRF convolution sampled at each volume's midpoint (``brainlike.hrf``).
    fir: mean within each volume, then one copy per delay (in volumes), zero before the start.
    """
    if response not in RESPONSES:
        raise ValueError(f"unknown response model {response!r}; choose from {RESPONSES}")
    if response == "hrf":
        return convolve_and_sample(values, rate, tr, n_trs).astype(np.float32)
    per_volume = int(round(tr * rate))
    padded = np.zeros((n_trs * per_volume, values.shape[1]), np.float32)
    n = min(len(values), len(padded))
    padded[:n] = values[:n]
    means = padded.reshape(n_trs, per_volume, -1).mean(axis=1)
    delayed = [np.vstack([np.zeros((d, means.shape[1]), np.float32), means[:n_trs - d]])
               for d in fir_delays]
    return np.hstack(delayed)
