"""Canonical haemodynamic response and the convolve-then-sample step of fMRI forward models.

The HRF is Glover's (1999) double gamma, written out here so that the package does not need
nilearn:

    h(t) = (t / d1)^a1 exp(-(t - d1) / b1) - c (t / d2)^a2 exp(-(t - d2) / b2),
    d_i = a_i b_i,  a1 = 6, b1 = 0.9, a2 = 12, b2 = 0.9, c = 0.35.

The response peaks at ~5.2 s and the undershoot bottoms out at ~12.3 s (nilearn's ``glover``
uses the same constants through gamma densities, which places its features slightly
differently).

Sampling convention: volume ``i`` of a run is acquired over ``[i * tr, (i + 1) * tr)`` and is
sampled at the **middle** of that interval, ``t_i = (i + 0.5) * tr`` (what slice-timing
correction to the middle slice does). Signal sample ``k`` at rate ``fs`` sits at ``t = k / fs``;
the signal is taken to be zero after its last sample, so the response's tail decays into TRs
that outlast the stimulus.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve

#: Fraction of a TR at which a volume is sampled (0.5 = middle of the acquisition).
SAMPLE_OFFSET = 0.5

# Glover (1999) shape constants.
_A1, _B1 = 6.0, 0.9
_A2, _B2 = 12.0, 0.9
_C = 0.35


def glover_hrf(dt: float, duration: float = 32.0) -> np.ndarray:
    """Glover double-gamma HRF sampled every ``dt`` seconds from 0 to ``duration`` (exclusive).

    Returns a (round(duration / dt),) float64 array normalised to unit sum, so that convolving
    a constant signal with it returns the same constant (unit DC gain).
    """
    if not np.isfinite(dt) or dt <= 0:
        raise ValueError(f"dt must be a positive number of seconds, found {dt!r}")
    if not np.isfinite(duration) or duration <= dt:
        raise ValueError(f"duration must exceed dt={dt}, found {duration!r}")
    t = np.arange(int(round(duration / dt))) * dt
    d1, d2 = _A1 * _B1, _A2 * _B2
    h = (t / d1) ** _A1 * np.exp(-(t - d1) / _B1) - _C * (t / d2) ** _A2 * np.exp(-(t - d2) / _B2)
    total = h.sum()
    if total <= 0:  # only for absurdly coarse dt, where the peak is missed entirely
        raise ValueError(f"dt={dt} is too coarse to sample the HRF")
    return h / total


def acquisition_times(tr: float, n_trs: int) -> np.ndarray:
    """(n_trs,) seconds at which each volume is sampled (middle of each TR)."""
    return (np.arange(n_trs) + SAMPLE_OFFSET) * tr


def convolve_and_sample(
    signal: np.ndarray,
    fs: float,
    tr: float,
    n_trs: int,
    hrf: np.ndarray | None = None,
) -> np.ndarray:
    """Convolve a (time, features) signal at rate ``fs`` Hz with the HRF and sample every TR.

    signal: (n_samples, n_features), sample ``k`` at ``k / fs`` seconds; zero is assumed after
        the last sample.
    hrf: optional (n_taps,) kernel at rate ``fs``; defaults to ``glover_hrf(1 / fs)``.
    Returns (n_trs, n_features) float64: the convolved signal linearly interpolated at
    ``acquisition_times(tr, n_trs)``.
    """
    signal = np.asarray(signal)
    if signal.ndim != 2:
        raise ValueError(f"signal must be (time, features), found shape {signal.shape}")
    if signal.shape[0] == 0:
        raise ValueError(f"signal has no samples, found shape {signal.shape}")
    if not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"fs must be positive, found {fs!r}")
    if not np.isfinite(tr) or tr <= 0:
        raise ValueError(f"tr must be positive, found {tr!r}")
    if int(n_trs) != n_trs or n_trs < 1:
        raise ValueError(f"n_trs must be a positive integer, found {n_trs!r}")
    n_trs = int(n_trs)
    kernel = glover_hrf(1.0 / fs) if hrf is None else np.asarray(hrf, dtype=np.float64)
    if kernel.ndim != 1 or kernel.size == 0:
        raise ValueError(f"hrf must be (n_taps,), found shape {kernel.shape}")

    conv = fftconvolve(signal.astype(np.float64), kernel[:, None], mode="full", axes=0)
    # Linear interpolation at the sample times; beyond the convolution's support it is zero.
    pos = acquisition_times(tr, n_trs) * fs
    i0 = np.floor(pos).astype(np.int64)
    frac = (pos - i0)[:, None]
    padded = np.vstack([conv, np.zeros((2, conv.shape[1]))])
    i0 = np.clip(i0, 0, conv.shape[0])  # indices past the end land on the zero padding
    return (1.0 - frac) * padded[i0] + frac * padded[i0 + 1]
