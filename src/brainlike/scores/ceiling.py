"""Per-vertex noise ceilings from several recordings of the same stimuli.

A noise ceiling is the correlation a perfect model of the stimulus-driven signal could reach
with the measured responses; dividing brain scores by it puts vertices (and subjects) with
different noise levels on one scale. Two estimators:

* ``inter_subject``: (subjects, T, V) responses to the same stimuli. Each subject's response
  is correlated with the mean of the others and corrected for the others' own noise. This is
  the ceiling for the signal *shared* across subjects, so subjects must hear the same thing
  in the same way: group them (``groups=``) by native language, since a language ROI only
  responds to words the listener understands.
* ``split_half``: (repeats, T, V) repeated presentations to one subject. Half-means are
  correlated and the Spearman–Brown formula steps the reliability up (or down) to the number
  of repeats the model will be scored against. Subjects can be passed as "repeats" too
  (shared signal + subject-specific noise); ``target_repeats=1`` then gives the ceiling of a
  typical single subject.

Both work on each vertex's time series z-scored per recording, so recordings in arbitrary
scanner units (and with different amplitudes) weigh equally in the means. Reliability here
means the fraction of a recording's variance that is shared signal, ``rho = c**2``, where
``c`` is the correlation of the recording with the signal, i.e. its ceiling.
"""

from __future__ import annotations

import itertools
from math import comb
from typing import Hashable, Literal, Sequence

import numpy as np

__all__ = ["inter_subject", "noise_ceiling", "normalise", "reliability", "spearman_brown",
           "split_half"]

Method = Literal["inter_subject", "split_half"]


def _check_stack(responses: np.ndarray, min_recordings: int, what: str) -> np.ndarray:
    x = np.asarray(responses, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"responses must be ({what}, T, V), found shape {x.shape}")
    if x.shape[0] < min_recordings:
        raise ValueError(f"need at least {min_recordings} {what}, found shape {x.shape}")
    if x.shape[1] < 3:
        raise ValueError(f"need at least 3 time points, found shape {x.shape}")
    return x


def _zscore(x: np.ndarray) -> np.ndarray:
    """z-score along axis -2 (time); constant series become zeros (correlation 0)."""
    x = x - x.mean(axis=-2, keepdims=True)
    sd = x.std(axis=-2, keepdims=True)
    return np.divide(x, sd, out=np.zeros_like(x), where=sd > 0)


def _corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r per column of two (T, V) arrays -> (V,)."""
    return np.mean(_zscore(a) * _zscore(b), axis=-2)


def spearman_brown(rho: np.ndarray | float, factor: float) -> np.ndarray:
    """Reliability of the mean of ``factor`` times as many recordings: ``k rho / (1 + (k-1) rho)``.

    ``factor`` may be below 1 (stepping down, e.g. from the mean of n to one recording).
    rho: any shape, values in [0, 1] (negative values are clipped to 0 first).
    """
    if factor <= 0:
        raise ValueError(f"factor must be positive, found {factor!r}")
    rho = np.clip(np.asarray(rho, dtype=np.float64), 0.0, 1.0)
    return factor * rho / (1.0 + (factor - 1.0) * rho)


def _half_splits(n: int, n_splits: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Index sets A (size n // 2) of distinct splits A | rest: all of them when there are at
    most ``n_splits``, else ``n_splits`` random ones."""
    a = n // 2
    total = comb(n, a) // (2 if 2 * a == n else 1)
    if total <= n_splits:
        # With even n, A and its complement are the same split: keep the A holding 0.
        return [np.array(c) for c in itertools.combinations(range(n), a)
                if 2 * a != n or c[0] == 0]
    return [np.sort(rng.choice(n, a, replace=False)) for _ in range(n_splits)]


def _single_from_halves(r: np.ndarray, a: int, b: int) -> np.ndarray:
    """Per-recording reliability x from the correlation r of means of a and b recordings.

    With every recording equally reliable, corr(mean_a, mean_b) = sqrt(rho_a rho_b) with
    rho_k = SB(x, k); squaring gives the quadratic
    (ab - r^2 (a-1)(b-1)) x^2 - r^2 (a+b-2) x - r^2 = 0, whose positive root is returned.
    For a == b it reduces to the inverse Spearman–Brown step x = r / (a - (a-1) r).
    """
    r2 = np.clip(r, 0.0, 1.0) ** 2
    quad = a * b - r2 * (a - 1) * (b - 1)  # > 0 since r^2 <= 1
    lin = r2 * (a + b - 2)
    x = (lin + np.sqrt(lin * lin + 4.0 * quad * r2)) / (2.0 * quad)
    return np.where(r > 0, x, 0.0)


def reliability(responses: np.ndarray, n_splits: int = 100,
                seed: int | np.random.Generator | None = 0) -> np.ndarray:
    """Per-recording reliability (V,) from split halves of (n, T, V) responses, n >= 2.

    The recordings are split into halves of sizes n // 2 and n - n // 2 (all distinct splits
    when there are at most ``n_splits``, else random ones from ``seed``); the half-mean
    correlations are averaged over splits *before* conversion (averaging converted values
    would turn noise around 0 into a positive bias) and converted to the reliability of one
    recording, assuming recordings are equally reliable (see ``_single_from_halves``).
    Non-positive mean correlations give 0.
    """
    z = _zscore(_check_stack(responses, 2, "recordings"))
    n = z.shape[0]
    rng = np.random.default_rng(seed)
    r = np.zeros(z.shape[2])
    splits = _half_splits(n, n_splits, rng)
    for half in splits:
        rest = np.setdiff1d(np.arange(n), half)
        r += _corr(z[half].mean(axis=0), z[rest].mean(axis=0))
    return _single_from_halves(r / len(splits), n // 2, n - n // 2)


def split_half(responses: np.ndarray, target_repeats: int | None = None, n_splits: int = 100,
               seed: int | np.random.Generator | None = 0) -> np.ndarray:
    """Split-half noise ceiling (V,) of (repeats, T, V) responses to the same stimuli.

    Returns ``sqrt(SB(x, target_repeats))``: the correlation a perfect model can reach with the
    mean of ``target_repeats`` recordings (default: all of them, the usual target when a
    model is scored against the repeat-averaged response), where ``x`` is the per-recording
    reliability from ``reliability`` (half-mean correlation, Spearman–Brown corrected; for an
    even number of repeats this is exactly ``SB(r_half, 2)`` at full length).

    Subjects may be passed as repeats: the ceiling is then that of the signal shared by the
    subjects, and ``target_repeats=1`` gives the ceiling of an average single subject
    (subject-specific signal counts as noise; subjects with very different noise levels
    break the equal-reliability assumption, and the estimate is then their typical value).
    Vertices without positive split-half correlation get 0.
    """
    x = _check_stack(responses, 2, "repeats")
    k = x.shape[0] if target_repeats is None else target_repeats
    if k < 1:
        raise ValueError(f"target_repeats must be >= 1, found {target_repeats!r}")
    return np.sqrt(spearman_brown(reliability(x, n_splits=n_splits, seed=seed), float(k)))


def inter_subject(responses: np.ndarray, groups: Sequence[Hashable] | None = None,
                  min_reliability: float = 0.05, n_splits: int = 100,
                  seed: int | np.random.Generator | None = 0) -> np.ndarray:
    """Leave-one-subject-out noise ceiling (subjects, V) of (subjects, T, V) responses.

    Derivation. Write each subject's z-scored response as ``y_s = c_s u + e_s``: ``u`` the
    shared signal (unit variance), ``e_s`` noise independent across subjects, ``c_s`` the
    correlation a perfect model of ``u`` reaches with ``y_s`` (the ceiling sought). The mean
    of the others, ``m = mean_{j != s} y_j``, has ``corr(m, u) = c_o``, so
    ``corr(y_s, m) = c_s c_o`` and ``c_s = corr(y_s, m) / c_o``. ``c_o**2`` is the reliability
    of ``m``: the others are split into halves, the half-mean correlation is turned into a
    per-subject reliability (``reliability``) and Spearman–Brown steps it up to n - 1.

    Clipping: ``corr(y_s, m) <= 0`` gives 0 (no shared signal seen); ``c_o**2 <= 0`` gives 0
    (the others share nothing measurable); ``c_o**2`` is floored at ``min_reliability``,
    because dividing by a noisy near-zero reliability sends noise-only vertices to arbitrary
    ceilings up to 1; below the floor the estimate is therefore biased toward 0 (a lower
    bound), which only matters for vertices too unreliable to normalise anyway; results are
    capped at 1.

    groups: (subjects,) labels, e.g. native language; each group is estimated on its own and
        needs at least 3 subjects (two others, to estimate their reliability).
    """
    x = _check_stack(responses, 3, "subjects")
    n_sub = x.shape[0]
    labels = np.zeros(n_sub, dtype=int) if groups is None else np.asarray(groups)
    if labels.shape != (n_sub,):
        raise ValueError(f"groups must be ({n_sub},), found shape {labels.shape}")
    if min_reliability < 0:
        raise ValueError(f"min_reliability must be >= 0, found {min_reliability!r}")
    rng = np.random.default_rng(seed)
    z = _zscore(x)
    out = np.zeros((n_sub, x.shape[2]))
    for label in dict.fromkeys(labels.tolist()):  # first-seen order, for reproducible seeds
        members = np.flatnonzero(labels == label)
        if len(members) < 3:
            raise ValueError(f"group {label!r} has {len(members)} subjects, need at least 3")
        for s in members:
            others = members[members != s]
            r = _corr(z[s], z[others].mean(axis=0))
            rho_o = spearman_brown(reliability(z[others], n_splits, rng), len(others))
            c = np.clip(r, 0.0, None) / np.sqrt(np.maximum(rho_o, max(min_reliability, 1e-12)))
            out[s] = np.where(rho_o > 0, np.minimum(c, 1.0), 0.0)
    return out


def noise_ceiling(responses: np.ndarray, method: Method = "inter_subject",
                  **kwargs) -> np.ndarray:
    """Noise ceiling by ``method``; keyword arguments go to the estimator.

    inter_subject: (subjects, T, V) -> (subjects, V), one ceiling per subject.
    split_half: (repeats, T, V) -> (V,), for the mean of ``target_repeats`` recordings.
    """
    if method == "inter_subject":
        return inter_subject(responses, **kwargs)
    if method == "split_half":
        return split_half(responses, **kwargs)
    raise ValueError(f"method must be 'inter_subject' or 'split_half', found {method!r}")


def normalise(r: np.ndarray, ceiling: np.ndarray, floor: float = 0.2) -> np.ndarray:
    """Ceiling-normalised scores ``r / ceiling``, NaN where ``ceiling <= floor`` (or is NaN).

    r and ceiling broadcast against each other, e.g. (layers, V) scores with a (V,) ceiling.
    The floor keeps vertices whose ceiling is indistinguishable from noise from turning into
    huge ratios: on simulated noise-only vertices (900 TRs, 3-4 subjects) inter-subject
    estimates are 0 at the median and ~0.19 at the 95th percentile, hence the default 0.2;
    lower it when more data make the estimates tighter. Such vertices are excluded (NaN),
    not set to 0, so ROI means must skip NaN (``np.nanmean``).
    Ratios above 1 are kept: a model can beat a noisy ceiling estimate by chance.
    """
    r = np.asarray(r, dtype=np.float64)
    c = np.asarray(ceiling, dtype=np.float64)
    try:
        shape = np.broadcast_shapes(r.shape, c.shape)
    except ValueError:
        raise ValueError(f"r of shape {r.shape} does not broadcast with ceiling of shape "
                         f"{c.shape}") from None
    ok = np.broadcast_to(c > floor, shape)  # NaN compares False
    out = np.full(shape, np.nan)
    np.divide(np.broadcast_to(r, shape), np.broadcast_to(c, shape), out=out, where=ok)
    return out
