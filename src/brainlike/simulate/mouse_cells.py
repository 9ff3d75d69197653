"""Simulated two-photon responses of mouse visual cortex to a movie of the simulated world.

Each area's cells read one kind of stimulus property (their *drive*, (T, cells)):

* VISp: local oriented energy (``brainlike.features.gabor.oriented_energy``) at one grid
  position, orientation and wavelength, thresholded and rectified (retinotopic, phase
  invariant: what random or early filters already carry).
* VISl (ventral-like): the object's shape class, invariant to position, scale, texture and
  pose: a preference weight per class (one preferred, the others small); 0 without object.
* VISal, VISrl, VISam, VISpm (dorsal-like): direction (von Mises) and speed (log-Gaussian)
  of the object's motion RELATIVE to the background, blind to self-motion, gated by the
  object's presence; the areas differ in preferred speed (``PREFERRED_SPEED``).

The drive is scaled to unit s.d. over the movie and passed through a GCaMP-like causal
exponential kernel (decay ``tau_s``), giving the signal ``S``. One repeat is
``baseline + gain * g(t) * S(t) + noise_sd * e(t)``: ``g`` a slow log-normal multiplicative
gain fluctuation of mean 1 and s.d. ``trial_sd`` (trial-to-trial variability of the
response's size), ``e`` white measurement noise, both independent across repeats.
The repeat-invariant part is ``gain * S``, so the share of one repeat's variance that it
explains (the ``reliability`` column) is
``var(S) / (var(S) + trial_sd**2 * mean(S**2) + (noise_sd / gain)**2)``, computed on the
realised ``S``. A target reliability is drawn per cell (``RELIABILITY``) and the noise
levels are set from it on the given movie, so the same cell seed gives the same tuning on
every movie, and noise levels scaled to each movie's signal.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from brainlike.features.gabor import oriented_energy
from brainlike.plan.viewing import AREAS
from brainlike.simulate.movies import SHAPES, Movie

VENTRAL = ("VISl",)
DORSAL = ("VISal", "VISrl", "VISam", "VISpm")
#: Range (px/frame) of preferred relative speeds per dorsal area, drawn log-uniformly.
PREFERRED_SPEED: dict[str, tuple[float, float]] = {
    "VISal": (1.5, 3.5), "VISrl": (1.2, 3.0), "VISam": (0.4, 1.2), "VISpm": (0.5, 1.5)}
#: Direction tuning concentration (von Mises kappa) and speed tuning width (s.d. of ln speed).
KAPPA = (1.5, 2.5)
SPEED_WIDTH = (0.5, 0.9)
#: Largest weight of a VISl cell's non-preferred shape classes (preferred = 1).
OTHER_SHAPES = 0.3
#: Oriented-energy grid read by VISp cells (the gabor defaults).
ORIENTATIONS = 4
WAVELENGTHS = (6.0, 12.0)
GRID = 8
#: VISp threshold on the z-scored energy before rectification.
THRESHOLD = (-0.5, 1.0)
#: GCaMP decay time constant (s), target reliability, share of the non-signal variance that
#: is gain fluctuation (rest: measurement noise), and the largest gain fluctuation s.d.
TAU_S = (0.3, 0.5)
RELIABILITY = (0.05, 0.8)
TRIAL_SHARE = (0.2, 0.5)
MAX_TRIAL_SD = 0.7
#: Time constant (s) of the slow gain fluctuation within a repeat.
GAIN_TAU_S = 1.0
GAIN = (0.1, 0.6)
BASELINE = (0.0, 0.1)


@dataclass
class CellResponses:
    """dff: (repeats, T, n_cells) float32 dF/F per stimulus frame; tuning: one row per cell."""

    dff: np.ndarray
    tuning: pd.DataFrame


def _rng(seed: int, area: str, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(area.encode()), zlib.crc32(stream.encode())])


def _visp(movie: Movie, rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict]:
    energy = oriented_energy(movie.frames, ORIENTATIONS, WAVELENGTHS, GRID)
    o = rng.integers(ORIENTATIONS, size=n)
    w = rng.integers(len(WAVELENGTHS), size=n)
    gy, gx = rng.integers(GRID, size=(2, n))
    threshold = rng.uniform(*THRESHOLD, size=n)
    feature = energy[:, o, w, gy, gx].astype(np.float64)
    sd = feature.std(axis=0)
    z = np.divide(feature - feature.mean(axis=0), sd, out=np.zeros_like(feature), where=sd > 0)
    prefs = {"orientation": o * np.pi / ORIENTATIONS, "wavelength": np.asarray(WAVELENGTHS)[w],
             "grid_y": gy, "grid_x": gx, "threshold": threshold}
    return np.maximum(z - threshold, 0.0), prefs


def _visl(movie: Movie, rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict]:
    preferred = rng.integers(len(SHAPES), size=n)
    weights = rng.uniform(0, OTHER_SHAPES, size=(n, len(SHAPES)))
    weights[np.arange(n), preferred] = 1.0
    shape = movie.latents["shape"].astype(np.int64)
    present = shape >= 0
    drive = np.where(present[:, None], weights[:, np.where(present, shape, 0)].T, 0.0)
    prefs = {"preferred_shape": np.asarray(SHAPES)[preferred]}
    prefs.update({f"weight_{name}": weights[:, k] for k, name in enumerate(SHAPES)})
    return drive, prefs


def _dorsal(movie: Movie, rng: np.random.Generator, n: int, area: str) -> tuple[np.ndarray, dict]:
    direction = rng.uniform(-np.pi, np.pi, size=n)
    kappa = rng.uniform(*KAPPA, size=n)
    lo, hi = PREFERRED_SPEED[area]
    speed = np.exp(rng.uniform(np.log(lo), np.log(hi), size=n))
    width = rng.uniform(*SPEED_WIDTH, size=n)
    present = movie.latents["shape"] >= 0
    theta = np.where(present, movie.latents["rel_direction"], 0.0).astype(np.float64)
    rel_speed = np.where(present, movie.latents["rel_speed"], 1.0).astype(np.float64)
    tuned = (np.exp(kappa * (np.cos(theta[:, None] - direction) - 1.0))
             * np.exp(-0.5 * (np.log(np.maximum(rel_speed[:, None], 1e-3) / speed) / width) ** 2))
    prefs = {"preferred_direction": direction, "kappa": kappa, "preferred_speed": speed,
             "speed_width": width}
    return np.where(present[:, None], tuned, 0.0), prefs


def calcium(drive: np.ndarray, tau_s: np.ndarray, fps: float) -> np.ndarray:
    """Causal exponential (GCaMP-like) filtering with unit DC gain, per cell.

    drive: (T, n) -> (T, n); tau_s: (n,) decay time constants in seconds. The filter starts
    in steady state at the first frame's drive.
    """
    out = np.empty_like(drive, dtype=np.float64)
    for i, tau in enumerate(tau_s):
        a = np.exp(-1.0 / (tau * fps))
        out[:, i] = lfilter([1 - a], [1, -a], drive[:, i], zi=[a * drive[0, i]])[0]
    return out


def _slow_gain_noise(rng: np.random.Generator, shape: tuple[int, int, int],
                     fps: float) -> np.ndarray:
    """(repeats, T, n) stationary AR(1) noise of unit variance, time constant GAIN_TAU_S."""
    phi = np.exp(-1.0 / (GAIN_TAU_S * fps))
    e = rng.standard_normal(shape)
    e[:, 0] /= np.sqrt(1 - phi ** 2)  # so the first sample already has unit variance
    return lfilter([np.sqrt(1 - phi ** 2)], [1, -phi], e, axis=1)


def simulate_cells(movie: Movie, area: str, n_cells: int, repeats: int, seed: int,
                   fps: float = 30.0) -> CellResponses:
    """Responses of ``n_cells`` cells of ``area`` to ``repeats`` presentations of ``movie``.

    Tuning depends only on (seed, area); the noise also on the movie.
    Returns dff (repeats, T, n_cells) float32 and the tuning table (one row per cell: cell,
    area, kind, gain, baseline, tau_s, noise_sd, trial_sd, reliability, preferences).
    """
    if area not in AREAS:
        raise ValueError(f"area must be one of {AREAS}, found {area!r}")
    if n_cells < 1 or repeats < 1:
        raise ValueError(f"n_cells and repeats must be >= 1, found {n_cells}, {repeats}")
    if movie.frames.ndim != 3 or len(movie.frames) < 2:
        raise ValueError(f"movie frames must be (T >= 2, H, W), found {movie.frames.shape}")
    rng = _rng(seed, area, "tuning")
    if area == "VISp":
        kind, (drive, prefs) = "oriented_energy", _visp(movie, rng, n_cells)
    elif area in VENTRAL:
        kind, (drive, prefs) = "shape", _visl(movie, rng, n_cells)
    else:
        kind, (drive, prefs) = "relative_motion", _dorsal(movie, rng, n_cells, area)
    gain = rng.uniform(*GAIN, size=n_cells)
    baseline = rng.uniform(*BASELINE, size=n_cells)
    tau = rng.uniform(*TAU_S, size=n_cells)
    target = rng.uniform(*RELIABILITY, size=n_cells)
    trial_share = rng.uniform(*TRIAL_SHARE, size=n_cells)

    sd = drive.std(axis=0)
    drive = np.divide(drive, sd, out=np.zeros_like(drive), where=sd > 0)
    signal = calcium(drive, tau, fps)
    var_s = signal.var(axis=0)
    mean_sq = np.mean(signal ** 2, axis=0)
    live = var_s > 1e-12
    # Non-signal variance (in units of gain**2) for the target reliability, split between
    # gain fluctuation (capped) and measurement noise.
    other = np.where(live, var_s * (1 / target - 1), 1.0)
    trial_var = np.minimum(trial_share * other / np.maximum(mean_sq, 1e-12), MAX_TRIAL_SD ** 2)
    trial_var = np.where(live, trial_var, 0.0)
    noise_var = other - trial_var * mean_sq
    reliability = np.where(live, var_s / (var_s + trial_var * mean_sq + noise_var), 0.0)

    noise = _rng(seed, area, "noise")
    t = len(movie.frames)
    sigma = np.sqrt(np.log1p(trial_var))  # log-normal with mean 1 and variance trial_var
    g = np.exp(sigma * _slow_gain_noise(noise, (repeats, t, n_cells), fps) - sigma ** 2 / 2)
    noise_sd = gain * np.sqrt(noise_var)
    dff = (baseline + gain * g * signal[None]
           + noise_sd * noise.standard_normal((repeats, t, n_cells)))
    tuning = pd.DataFrame({
        "cell": np.arange(n_cells), "area": area, "kind": kind, "gain": gain,
        "baseline": baseline, "tau_s": tau, "noise_sd": noise_sd,
        "trial_sd": np.sqrt(trial_var), "reliability": reliability, **prefs})
    return CellResponses(dff=dff.astype(np.float32), tuning=tuning)
