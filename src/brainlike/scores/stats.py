"""Significance of ROI-level brain scores: permutation nulls, bootstrap intervals, FDR.

The statistic throughout is an ROI's brain score: Pearson r between held-out predictions and
responses, computed per vertex within each cross-validation fold, averaged over the ROI's
vertices and then over folds. Inputs are per fold: a (T, V) array (one fold), a (folds, T, V)
array, or a sequence of (T_f, V) arrays of different lengths. ``groups`` (V,) labels vertices
with their ROI; every function scores all ROIs at once (same resamples for all of them),
which is what makes many ROI x layer tests cheap. Without ``groups`` all vertices form one
ROI.

fMRI time series are autocorrelated (HRF smoothing, AR noise), so the null must keep time
structure: the response series is circularly shifted (by at least ``block`` TRs) or cut into
blocks of ``block`` TRs that are permuted, never shuffled TR by TR, which would make chance
correlations look significant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
from scipy import sparse

__all__ = ["ConfidenceInterval", "PermutationResult", "block_bootstrap_ci", "bootstrap_ci",
           "fdr_bh", "permutation_p_value", "permutation_test", "roi_scores"]

Folds = np.ndarray | Sequence[np.ndarray]
Seed = int | np.random.Generator | None
Alternative = Literal["greater", "less", "two-sided"]

# Vertices per chunk are sized so that per-chunk temporaries stay near this many float64s.
_CHUNK_ELEMENTS = 1 << 22
# Slack for comparing null values with the observed one: both come from sums of products
# computed in different orders, and an exact tie (e.g. all-zero predictions) must count.
_TIE_TOL = 1e-12


@dataclass(frozen=True)
class PermutationResult:
    """Permutation test of G ROI scores over F folds.

    observed (G,): fold-mean ROI scores; null (n_permutations, G): their null draws;
    p_values (G,): of the fold-mean score; fold_p_values (F, G): of each fold's own score
    against that fold's null; groups (G,): ROI labels. See ``permutation_test`` for which
    p-values are valid when.
    """

    observed: np.ndarray
    null: np.ndarray
    p_values: np.ndarray
    fold_p_values: np.ndarray
    groups: np.ndarray

    @property
    def bonferroni_p_values(self) -> np.ndarray:
        """(G,) ``min(1, F * min_f fold_p_values)``: valid whatever the folds' dependence."""
        return np.minimum(1.0, len(self.fold_p_values) * self.fold_p_values.min(axis=0))


@dataclass(frozen=True)
class ConfidenceInterval:
    """estimate, low, high: arrays of one shape; samples (n_bootstrap, ...) resampled values."""

    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    samples: np.ndarray


def _as_folds(predictions: Folds, responses: Folds) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pairs of z-scored (T_f, V) float64 arrays; constant columns become zeros (r = 0)."""

    def split(x: Folds, name: str) -> list[np.ndarray]:
        if isinstance(x, np.ndarray):
            if x.ndim == 2:
                return [x]
            if x.ndim == 3:
                return list(x)
            raise ValueError(f"{name} must be (T, V), (folds, T, V) or a sequence of (T, V), "
                             f"found shape {x.shape}")
        return [np.asarray(f) for f in x]

    preds, resps = split(predictions, "predictions"), split(responses, "responses")
    if len(preds) != len(resps) or not preds:
        raise ValueError(f"{len(preds)} prediction folds but {len(resps)} response folds")
    out = []
    for p, y in zip(preds, resps):
        if p.ndim != 2 or p.shape != y.shape or p.shape[0] < 3:
            raise ValueError(f"each fold needs predictions and responses of one shape (T, V) "
                             f"with T >= 3, found {p.shape} and {y.shape}")
        if p.shape[1] != preds[0].shape[1]:
            raise ValueError(f"folds differ in vertices: {preds[0].shape} and {p.shape}")
        out.append((_zscore(p), _zscore(y)))
    return out


def _zscore(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=0)
    sd = x.std(axis=0)
    return np.divide(x, sd, out=np.zeros_like(x), where=sd > 0)


def _group_matrix(groups: np.ndarray | None, n_v: int) -> tuple[np.ndarray, sparse.csr_matrix]:
    """ROI labels (G,) and sparse (V, G) weights averaging each ROI's vertices."""
    if groups is None:
        labels, inverse = np.array([0]), np.zeros(n_v, dtype=np.int64)
    else:
        groups = np.asarray(groups)
        if groups.shape != (n_v,):
            raise ValueError(f"groups must be ({n_v},), found shape {groups.shape}")
        labels, inverse = np.unique(groups, return_inverse=True)
    counts = np.bincount(inverse, minlength=len(labels))
    w = sparse.csr_matrix((1.0 / counts[inverse], (np.arange(n_v), inverse)),
                          shape=(n_v, len(labels)))
    return labels, w


def _chunks(n_v: int, per_vertex: int) -> list[slice]:
    step = max(1, _CHUNK_ELEMENTS // max(per_vertex, 1))
    return [slice(a, min(a + step, n_v)) for a in range(0, n_v, step)]


def _grouped(x: np.ndarray, w: sparse.csr_matrix) -> np.ndarray:
    """(..., V) per-vertex values -> (..., G) ROI means."""
    return np.asarray((w.T @ x.reshape(-1, x.shape[-1]).T).T).reshape(*x.shape[:-1], -1)


def roi_scores(predictions: Folds, responses: Folds,
               groups: np.ndarray | None = None) -> np.ndarray:
    """(G,) ROI brain scores: per-vertex r within folds, averaged over ROI vertices and folds."""
    folds = _as_folds(predictions, responses)
    _, w = _group_matrix(groups, folds[0][0].shape[1])
    return np.mean([_grouped(np.mean(p * y, axis=0), w) for p, y in folds], axis=0)


def _circular_null(p: np.ndarray, y: np.ndarray, w: sparse.csr_matrix, block: int,
                   n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, G) ROI scores with y circularly shifted by k in [block, T - block] TRs."""
    t = len(p)
    if t - block < block:
        raise ValueError(f"circular shifts of at least block={block} TRs need T >= "
                         f"{2 * block}, found a fold of shape {p.shape}")
    # Cross-correlation at every lag at once: sum_t p[t] y[(t + k) % T] = irfft(conj(P) Y)[k];
    # ROI averaging is linear, so it is done in the frequency domain on (F, G), not (T, V).
    spec = np.zeros((t // 2 + 1, w.shape[1]), dtype=np.complex128)
    for sl in _chunks(p.shape[1], t):
        cross = np.conj(np.fft.rfft(p[:, sl], axis=0)) * np.fft.rfft(y[:, sl], axis=0)
        spec += np.asarray((w[sl].T @ cross.T).T)
    lagged = np.fft.irfft(spec, n=t, axis=0) / t  # (T, G)
    return lagged[rng.integers(block, t - block + 1, size=n)]


def _block_null(p: np.ndarray, y: np.ndarray, w: sparse.csr_matrix, block: int,
                n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, G) ROI scores with y's blocks of ``block`` TRs permuted.

    The last T mod block TRs stay in place (a conservative, < block-TR remnant).
    """
    t, n_v = p.shape
    nb = t // block
    if nb < 2:
        raise ValueError(f"block permutation needs at least 2 blocks of {block} TRs, found a "
                         f"fold of shape {p.shape}")
    used = nb * block
    # pair[i, j, g] = ROI mean of sum over block offsets of p in block i times y in block j;
    # a permutation's score is then sum_i pair[i, perm[i]], a gather instead of a product.
    pair = np.zeros((nb * nb, w.shape[1]))
    for sl in _chunks(n_v, nb * nb):
        pb = p[:used, sl].reshape(nb, block, -1).transpose(2, 0, 1)  # (v, nb, block)
        yb = y[:used, sl].reshape(nb, block, -1).transpose(2, 1, 0)  # (v, block, nb)
        prod = np.matmul(pb, yb).reshape(-1, nb * nb)  # (v, nb * nb)
        pair += np.asarray((w[sl].T @ prod).T)
    tail = _grouped(np.sum(p[used:] * y[used:], axis=0), w)
    perms = rng.permuted(np.tile(np.arange(nb), (n, 1)), axis=1)
    cols = (np.arange(nb) * nb + perms).ravel()
    pick = sparse.csr_matrix((np.ones(n * nb), cols, np.arange(0, n * nb + 1, nb)),
                             shape=(n, nb * nb))
    return (np.asarray(pick @ pair) + tail) / t


def permutation_p_value(observed: np.ndarray, null: np.ndarray,
                        alternative: Alternative = "greater") -> np.ndarray:
    """``(1 + #{null at least as extreme}) / (1 + n)`` for (n, ...) null and (...) observed.

    The +1 counts the observed arrangement as one of the permutations, so p is never 0 and
    the test is exact-valid under exchangeability. two-sided compares absolute values.
    """
    null = np.asarray(null, dtype=np.float64)
    obs = np.asarray(observed, dtype=np.float64)
    if null.ndim < 1 or null.shape[1:] != obs.shape:
        raise ValueError(f"null must be (n, *observed.shape) = (n, *{obs.shape}), "
                         f"found shape {null.shape}")
    if alternative == "greater":
        hits = null >= obs - _TIE_TOL
    elif alternative == "less":
        hits = null <= obs + _TIE_TOL
    elif alternative == "two-sided":
        hits = np.abs(null) >= np.abs(obs) - _TIE_TOL
    else:
        raise ValueError(f"alternative must be greater, less or two-sided, found "
                         f"{alternative!r}")
    return (1.0 + hits.sum(axis=0)) / (1.0 + len(null))


def permutation_test(predictions: Folds, responses: Folds, groups: np.ndarray | None = None,
                     *, n_permutations: int = 1000,
                     method: Literal["circular", "block"] = "circular", block: int = 20,
                     alternative: Alternative = "greater", seed: Seed = 0) -> PermutationResult:
    """Permutation null of ROI brain scores, keeping the responses' autocorrelation.

    predictions, responses: per-fold held-out (T_f, V) arrays (see module docstring).
    groups: (V,) ROI label per vertex, or None for one ROI of all vertices.
    method: "circular" shifts each fold's responses by a uniform random lag in
        [block, T_f - block] (all autocorrelation kept, except across the wrap point);
        "block" permutes blocks of ``block`` TRs. Each fold gets its own draw; a null
        score is the mean over folds, like the observed one. All ROIs share the draws.
    seed: int or ``numpy.random.Generator``; the same seed gives the same null.
    Returns a ``PermutationResult``; all p-values lie in (0, 1].

    Validity. ``p_values`` (the fold-mean score) assume the folds' scores are independent
    under the null, true when each fold's predictions come from a model that never saw the
    responses of the other folds being tested (a model fitted on other subjects, sessions or
    stimuli). With K-fold cross-validation on the same data they are NOT: fold f's model was
    fitted on fold g's responses and vice versa, so chance scores co-vary across folds and
    the fold-mean null is too narrow (on simulated noise vertices, leave-one-run-out OLS
    over 3 runs of 300 TRs gives 11-14 % p <= 0.05). Then use ``fold_p_values`` (each is
    valid: a fold's predictions never depend on its own responses) or their Bonferroni
    combination ``bonferroni_p_values`` (5-6 % on the same data), or refit the model on
    shifted responses.
    Cost: O(V T log T) per fold plus O(n_permutations G), e.g. a few ms for 1000
    permutations x 900 TRs x 100 vertices.
    """
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be >= 1, found {n_permutations!r}")
    if block < 1:
        raise ValueError(f"block must be >= 1, found {block!r}")
    if method not in ("circular", "block"):
        raise ValueError(f"method must be 'circular' or 'block', found {method!r}")
    folds = _as_folds(predictions, responses)
    labels, w = _group_matrix(groups, folds[0][0].shape[1])
    rng = np.random.default_rng(seed)
    draw = _circular_null if method == "circular" else _block_null
    observed = np.zeros(len(labels))
    null = np.zeros((n_permutations, len(labels)))
    fold_p = np.empty((len(folds), len(labels)))
    for i, (p, y) in enumerate(folds):
        obs_f = _grouped(np.mean(p * y, axis=0), w)
        null_f = draw(p, y, w, block, n_permutations, rng)
        fold_p[i] = permutation_p_value(obs_f, null_f, alternative)
        observed += obs_f
        null += null_f
    observed /= len(folds)
    null /= len(folds)
    return PermutationResult(observed=observed, null=null,
                             p_values=permutation_p_value(observed, null, alternative),
                             fold_p_values=fold_p, groups=labels)


def _interval(estimate: np.ndarray, samples: np.ndarray,
              confidence: float) -> ConfidenceInterval:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), found {confidence!r}")
    tail = 50.0 * (1.0 - confidence)
    low, high = np.percentile(samples, [tail, 100.0 - tail], axis=0)
    return ConfidenceInterval(estimate=np.asarray(estimate), low=low, high=high,
                              samples=samples)


def bootstrap_ci(values: np.ndarray, *, n_bootstrap: int = 10000, confidence: float = 0.95,
                 seed: Seed = 0) -> ConfidenceInterval:
    """Percentile bootstrap interval of the mean over independent units (e.g. subjects).

    values: (n_units, ...) finite, e.g. (subjects,) ROI scores or (subjects, layers);
    units are resampled with replacement and the mean taken over axis 0. Returns estimate,
    low, high of shape values.shape[1:] and samples (n_bootstrap, ...). With few subjects
    the percentile interval is too narrow (the resampled means take few distinct values):
    read it as descriptive below ~10 subjects.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim < 1 or x.shape[0] < 2:
        raise ValueError(f"values must be (n_units >= 2, ...), found shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("values must be finite (drop NaN scores, e.g. unnormalised vertices)")
    n = x.shape[0]
    rng = np.random.default_rng(seed)
    # A multinomial count matrix turns n_bootstrap resampled means into one product.
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_bootstrap) / n
    samples = (counts @ x.reshape(n, -1)).reshape(n_bootstrap, *x.shape[1:])
    return _interval(x.mean(axis=0), samples, confidence)


def _block_counts(t: int, block: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, t) times each TR is drawn by circular block bootstrap (ceil(t / block) blocks)."""
    n_blocks = -(-t // block)
    starts = rng.integers(0, t, size=(n, n_blocks))
    rows = ((starts[:, :, None] + np.arange(block)) % t).reshape(n, -1)[:, :t]
    flat = (rows + t * np.arange(n)[:, None]).ravel()
    return np.bincount(flat, minlength=n * t).reshape(n, t).astype(np.float64)


def block_bootstrap_ci(predictions: Folds, responses: Folds, groups: np.ndarray | None = None,
                       *, block: int = 20, n_bootstrap: int = 1000, confidence: float = 0.95,
                       seed: Seed = 0) -> ConfidenceInterval:
    """Circular block bootstrap interval of ROI brain scores over time (one subject).

    Each fold's TRs are resampled in blocks of ``block`` consecutive TRs (wrapping around the
    fold's end, so every TR is equally likely), pairing predictions with responses; per-vertex
    r is recomputed from resampled sums, averaged over ROI vertices, then over folds.
    Returns estimate (G,) (the observed ``roi_scores``), low, high (G,), samples
    (n_bootstrap, G).
    """
    if block < 1 or n_bootstrap < 1:
        raise ValueError(f"block and n_bootstrap must be >= 1, found {block}, {n_bootstrap}")
    folds = _as_folds(predictions, responses)
    _, w = _group_matrix(groups, folds[0][0].shape[1])
    rng = np.random.default_rng(seed)
    samples = np.zeros((n_bootstrap, w.shape[1]))
    for p, y in folds:
        t = len(p)
        counts = _block_counts(t, min(block, t), n_bootstrap, rng)
        r = np.empty((n_bootstrap, p.shape[1]))
        for sl in _chunks(p.shape[1], n_bootstrap):
            a, b = p[:, sl], y[:, sl]
            # Weighted sums over the resampled TRs; r from them (inputs are z-scored, so the
            # sums are well scaled).
            sa, sb = counts @ a, counts @ b
            cov = t * (counts @ (a * b)) - sa * sb
            va = t * (counts @ (a * a)) - sa * sa
            vb = t * (counts @ (b * b)) - sb * sb
            den = np.sqrt(np.clip(va, 0, None) * np.clip(vb, 0, None))
            r[:, sl] = np.divide(cov, den, out=np.zeros_like(cov), where=den > 1e-12 * t * t)
        samples += _grouped(r, w)
    samples /= len(folds)
    return _interval(roi_scores(predictions, responses, groups), samples, confidence)


def fdr_bh(pvalues: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini–Hochberg FDR: (rejected bool, adjusted p) of the input's shape.

    adjusted = min over j >= i of p_(j) m / j (sorted ranks, capped at 1), equal to
    ``scipy.stats.false_discovery_control(p, method="bh")``; rejected = adjusted <= alpha.
    NaN p-values (untested ROIs) are left out of m and come back NaN / not rejected.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    finite = ~np.isnan(p)
    if np.any((p[finite] < 0) | (p[finite] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), found {alpha!r}")
    flat = p[finite]
    m = flat.size
    order = np.argsort(flat, kind="stable")
    scaled = flat[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    adj_flat = np.empty(m)
    adj_flat[order] = adjusted_sorted
    adjusted = np.full(p.shape, np.nan)
    adjusted[finite] = adj_flat
    return np.where(finite, adjusted <= alpha, False), adjusted
