"""Simulated listeners: vertex responses = planted driver signal + AR(1) noise, with known SNR.

Planted map (``ROI_DRIVERS``): early-auditory vertices follow the acoustic drivers,
mid-temporal the phonetic ones, high-language the word ones; control and "other" vertices
are noise only (no weak mixture in "other": keeping them signal-free makes the truth table
exact and gives the noise-ceiling estimators a clean null population).

For a vertex ``v`` driven by set ``D`` (T, k), in standardised units:

    signal_v = D @ (g_v + deviation * s_v), rescaled to variance ``snr_v * nu``
    noise_v  = AR(1) with coefficient ``noise_ar`` and marginal variance ``nu`` (per run)
    response_v = baseline_v + amplitude_v * (signal_v + noise_v)

``g_v`` ~ N(0, I) comes from ``group_seed`` and is shared by every subject (so subjects'
responses correlate and an inter-subject noise ceiling exists); ``s_v`` ~ N(0, I) comes from
``subject_seed``. The SNR map is group level: log-uniform over ``snr_range`` per vertex
(independent across vertices, so it varies widely within every ROI); each subject multiplies
it by a small per-vertex jitter and divides by its own noise level ``nu`` (log-normal), so a
subject's SNR tracks the group map closely without copying it. ``baseline_v`` (arbitrary
scanner units) and ``amplitude_v`` (``baseline_v`` times a percent-signal-change factor) are
per subject, so the data are not standardised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from brainlike.simulate.drivers import Drivers
from brainlike.simulate.surface import ROI_NAMES

#: ROI code -> driver set planted there ("none" = noise only).
ROI_DRIVERS: dict[int, str] = {0: "none", 1: "acoustic", 2: "phonetic", 3: "word", 4: "none"}

# Independent random streams, so adding a draw to one never shifts another.
_GROUP_WEIGHTS, _GROUP_SNR = 1, 2
_SUBJ_WEIGHTS, _SUBJ_SNR, _SUBJ_NOISE, _SUBJ_SCALE = 11, 12, 13, 14


@dataclass
class SubjectSimulation:
    """One simulated subject.

    responses: (T, n_vertices) float32, ``baseline + amplitude * (signal + noise)``.
    signal, noise: (T, n_vertices) float32 in standardised units (before baseline/amplitude).
    truth: one row per vertex: vertex, roi_id, roi, driver, signal_var, noise_var (both in
        response units), snr = signal_var / noise_var, ceiling_r = sqrt(snr / (1 + snr)),
        baseline, amplitude.
    boundaries: (n_runs + 1,) run limits in rows, as in ``Drivers.boundaries``.
    """

    responses: np.ndarray
    signal: np.ndarray
    noise: np.ndarray
    truth: pd.DataFrame
    boundaries: np.ndarray


def group_snr_map(n_vertices: int, group_seed: int,
                  snr_range: tuple[float, float] = (0.05, 2.0)) -> np.ndarray:
    """(n_vertices,) group-level SNR, log-uniform over ``snr_range``."""
    lo, hi = snr_range
    if not 0 < lo <= hi:
        raise ValueError(f"snr_range must satisfy 0 < low <= high, found {snr_range!r}")
    rng = np.random.default_rng([group_seed, _GROUP_SNR])
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n_vertices))


def ar1_noise(rng: np.random.Generator, n_time: int, n_vertices: int, ar: float) -> np.ndarray:
    """(n_time, n_vertices) stationary AR(1) noise of unit marginal variance."""
    if not -1 < ar < 1:
        raise ValueError(f"noise_ar must lie in (-1, 1), found {ar!r}")
    eps = rng.standard_normal((n_time, n_vertices))
    out = np.empty_like(eps)
    out[0] = eps[0]  # stationary start: marginal variance 1 from the first sample
    innov = np.sqrt(1.0 - ar * ar)
    for t in range(1, n_time):
        out[t] = ar * out[t - 1] + innov * eps[t]
    return out


def simulate_subject(
    drivers: Drivers,
    labels: np.ndarray,
    subject_seed: int,
    group_seed: int,
    snr_range: tuple[float, float] = (0.05, 2.0),
    noise_ar: float = 0.3,
    deviation: float = 0.2,
    snr_jitter: float = 0.05,
    noise_level_sd: float = 0.2,
) -> SubjectSimulation:
    """Simulate one subject's responses on a surface with ROI ``labels`` (n_vertices,) int.

    deviation: scale of the subject-specific weights relative to the group weights. Kept
        small (0.2) so a leave-one-out inter-subject correlation still ranks vertices like
        the true ceilings (r ~ 0.95 with 12 subjects; ~ 0.90 at 0.3).
    snr_jitter: sd of the subject's per-vertex log-SNR jitter around the group map.
    noise_level_sd: sd of the subject's log noise level (one value per subject).
    Deterministic given the seeds; group quantities depend on ``group_seed`` only.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be (n_vertices,), found shape {labels.shape}")
    bad = sorted(set(np.unique(labels).tolist()) - set(ROI_DRIVERS))
    if bad:
        raise ValueError(f"labels contain unknown ROI codes {bad}")
    n_v, n_t = len(labels), drivers.n_trs
    sets = drivers.sets()

    g_snr = group_snr_map(n_v, group_seed, snr_range)
    rng_s = np.random.default_rng([subject_seed, _SUBJ_SNR])
    noise_level = float(np.exp(noise_level_sd * rng_s.standard_normal()))
    snr = g_snr * np.exp(snr_jitter * rng_s.standard_normal(n_v)) / noise_level

    driver_of = np.array([ROI_DRIVERS[int(c)] for c in labels], dtype=object)
    signal = np.zeros((n_t, n_v))
    for i, name in enumerate(("acoustic", "phonetic", "word")):
        x = sets[name]
        # Full (n_v, k) draws for every set keep each vertex's weights independent of labels.
        shape = (n_v, x.shape[1])
        g = np.random.default_rng([group_seed, _GROUP_WEIGHTS, i]).standard_normal(shape)
        s = np.random.default_rng([subject_seed, _SUBJ_WEIGHTS, i]).standard_normal(shape)
        idx = np.flatnonzero(driver_of == name)
        if idx.size:
            signal[:, idx] = x @ (g[idx] + deviation * s[idx]).T
    signal -= signal.mean(axis=0)
    sd = signal.std(axis=0)
    # A set with no variance (the word set of a listener who understands none of the words)
    # plants nothing: those vertices get SNR 0.
    live = sd > 1e-12
    snr = np.where(live, snr, 0.0)
    signal = np.divide(signal, sd, out=np.zeros_like(signal), where=live)
    signal *= np.sqrt(snr * noise_level)

    rng_n = np.random.default_rng([subject_seed, _SUBJ_NOISE])
    noise = np.vstack([ar1_noise(rng_n, int(b - a), n_v, noise_ar)
                       for a, b in zip(drivers.boundaries[:-1], drivers.boundaries[1:])])
    noise *= np.sqrt(noise_level)

    rng_b = np.random.default_rng([subject_seed, _SUBJ_SCALE])
    baseline = rng_b.uniform(500.0, 1500.0, n_v)
    amplitude = baseline * rng_b.uniform(0.5, 2.0, n_v) / 100.0  # 0.5-2 % signal change per unit
    responses = baseline + amplitude * (signal + noise)

    signal_var = amplitude**2 * snr * noise_level
    noise_var = amplitude**2 * noise_level
    truth = pd.DataFrame({
        "vertex": np.arange(n_v),
        "roi_id": labels.astype(np.int32),
        "roi": [ROI_NAMES[int(c)] for c in labels],
        "driver": driver_of.astype(str),
        "signal_var": signal_var,
        "noise_var": noise_var,
        "snr": snr,
        "ceiling_r": np.sqrt(snr / (1.0 + snr)),
        "baseline": baseline,
        "amplitude": amplitude,
    })
    return SubjectSimulation(responses=responses.astype(np.float32),
                             signal=signal.astype(np.float32), noise=noise.astype(np.float32),
                             truth=truth, boundaries=drivers.boundaries.copy())
