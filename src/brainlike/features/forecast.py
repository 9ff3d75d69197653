"""Forecast windows (Caucheteux, Gramfort & King 2023): the stimulus's future, as regressors.

The paper asks whether brain responses to word n are better modelled when the model's
representation of a word ``d`` words ahead is added to the present one: the forecast score
is ``R(X (+) X~(d)) - R(X)``, where X~(d) row n is the state of word ``n + d`` (a causal
model's state, which has read every word up to ``n + d``). Here:

* ``forecast_states(X, d)``: row i holds row ``i + d`` of X, zeros past the story's end.
  Windows run across sentence boundaries by default, as in the paper (the words ahead in
  the story); given ``sentence_ids``, a row whose word ``i + d`` lies in another sentence is
  zeroed instead.
* ``with_forecast(X, d)``: ``[X, forecast_states(X, d)]``, the future part optionally
  reduced to ``k`` principal components (the paper used 20, so that the window adds the
  same few columns whatever the layer's width). The PCA is fitted on the story's states X
  and the projection then shifted, so the padded rows stay exact zeros.
* ``frame_forecast(F, offset_s, rate)``: the same for a speech model's frames, ``offset_s``
  seconds ahead (a multiple of the frame period, e.g. 20 ms to 2 s at 50 Hz).

Everything is built from the stimulus's features alone: these functions take no brain data,
so the future they add is the story's, not the response's.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

#: Principal components of the future part in the paper.
PAPER_COMPONENTS = 20


def _check_2d(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"{name} must be (rows, D), found shape {x.shape}")
    return x


def shift_rows(x: np.ndarray, n: int) -> np.ndarray:
    """(rows, D) -> (rows, D) with row i = x[i + n] (n >= 0), zeros past the end."""
    x = _check_2d(x, "x")
    if n < 0:
        raise ValueError(f"a forecast looks ahead: the shift must be >= 0, found {n}")
    out = np.zeros_like(x)
    if n < len(x):
        out[:len(x) - n] = x[n:]
    return out


def reduce_pca(x: np.ndarray, k: int) -> np.ndarray:
    """(rows, D) -> (rows, k) float32 scores on x's first k principal components (fitted on x)."""
    x = _check_2d(x, "x")
    if not 1 <= k <= min(x.shape):
        raise ValueError(f"k must be in [1, min(rows, D) = {min(x.shape)}] for x of shape "
                         f"{x.shape}, found {k}")
    scores = PCA(n_components=k, svd_solver="full").fit_transform(x.astype(np.float64))
    return scores.astype(np.float32)


def forecast_states(states: np.ndarray, d: int, sentence_ids: np.ndarray | None = None
                    ) -> np.ndarray:
    """states: (n_words, D) -> (n_words, D): row i is word ``i + d``'s state (d >= 1), zeros
    past the story's end and, given ``sentence_ids`` (n_words,), where word ``i + d`` is in
    another sentence than word i."""
    if d < 1:
        raise ValueError(f"forecast distance d must be >= 1 word, found {d}")
    out = shift_rows(states, d)
    if sentence_ids is not None:
        ids = np.asarray(sentence_ids)
        if ids.shape != (len(out),):
            raise ValueError(f"sentence_ids must be (n_words={len(out)},), found {ids.shape}")
        out[:len(out) - d][ids[d:] != ids[:len(ids) - d]] = 0
    return out


def with_forecast(states: np.ndarray, d: int, k: int | None = None,
                  sentence_ids: np.ndarray | None = None) -> np.ndarray:
    """states: (n_words, D) -> (n_words, D + (k or D)): ``[states, forecast]``, the forecast
    of distance ``d`` reduced to ``k`` principal components of the story's states if given."""
    states = _check_2d(states, "states")
    future = states if k is None else reduce_pca(states, k)
    return np.hstack([states, forecast_states(future, d, sentence_ids)])


def frame_forecast(frames: np.ndarray, offset_s: float, rate: float,
                   k: int | None = None) -> np.ndarray:
    """frames: (n_frames, D) at ``rate`` Hz -> (n_frames, k or D): row t is frame
    ``t + offset_s * rate`` (optionally on the first ``k`` principal components of the
    story's frames), zeros past the end. ``offset_s`` must be a whole number of frames."""
    frames = _check_2d(frames, "frames")
    if not rate > 0 or not offset_s >= 0:
        raise ValueError(f"need rate > 0 and offset_s >= 0, found {rate}, {offset_s}")
    shift = round(offset_s * rate)
    if abs(shift - offset_s * rate) > 1e-6:
        raise ValueError(f"offset {offset_s} s is not a whole number of frames at {rate} Hz")
    return shift_rows(frames if k is None else reduce_pca(frames, k), shift)
