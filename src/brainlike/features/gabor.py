"""Gabor energy of a movie: oriented (2-D) and motion (3-D, causal) quadrature-pair energy.

The classic model-free baselines for visual cortex (Adelson & Bergen 1985; Nishimoto et al.
2011): each filter is a complex Gabor whose real and imaginary parts are the even and odd
members of a quadrature pair, so its energy ``even**2 + odd**2`` is invariant to the phase
of a grating under it. Energies are average-pooled onto a coarse retinotopic grid.

Conventions: frames are (T, H, W) with x along columns and y along rows (downwards).
Orientation ``k`` of ``orientations`` has its carrier wave vector at angle
``k * pi / orientations`` from +x (the stripes run perpendicular to it); direction ``d`` of
``directions`` is motion along angle ``2 * pi * d / directions``. Speeds are in px/frame,
wavelengths in px. A full-contrast grating ``0.5 + 0.5 * cos(...)`` matching a filter gives
energy 1/16: filters are normalised so a unit-amplitude matching grating gives 1/4.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy import fft as sfft

#: Gaussian envelope s.d. as a fraction of the carrier wavelength (about 1.5 octaves).
SIGMA_PER_WAVELENGTH = 0.5
#: Frames filtered per FFT batch, to bound memory on long movies.
_CHUNK = 128


def _check_frames(frames: np.ndarray, grid: int) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 3 or frames.shape[0] == 0:
        raise ValueError(f"frames must be (T, H, W) with T >= 1, got shape {frames.shape}")
    if grid < 1 or min(frames.shape[1:]) < grid:
        raise ValueError(f"grid {grid} needs frames at least {grid}x{grid} px, "
                         f"got {frames.shape[1]}x{frames.shape[2]}")
    if not np.issubdtype(frames.dtype, np.number) or np.iscomplexobj(frames):
        raise ValueError(f"frames must be real numbers, got dtype {frames.dtype}")
    return frames.astype(np.float32, copy=False)


def _check_positive(name: str, values: tuple[float, ...], allow_zero: bool = False) -> None:
    if len(values) == 0 or any(not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero)
                               for v in values):
        raise ValueError(f"{name} must be a non-empty tuple of "
                         f"{'non-negative' if allow_zero else 'positive'} numbers, got {values}")


def _gabor(wavelength: float, angle: float) -> np.ndarray:
    """(2h+1, 2h+1) complex zero-mean Gabor G(u) with sum_u G(u) exp(i k.u) = 1."""
    sigma = SIGMA_PER_WAVELENGTH * wavelength
    half = int(np.ceil(3 * sigma))
    y, x = np.mgrid[-half:half + 1, -half:half + 1].astype(np.float64)
    envelope = np.exp(-(x ** 2 + y ** 2) / (2 * sigma ** 2))
    k = 2 * np.pi / wavelength
    carrier = np.exp(-1j * k * (x * np.cos(angle) + y * np.sin(angle)))
    # Remove the envelope-weighted DC so uniform luminance gives no energy.
    carrier -= (envelope * carrier).sum() / envelope.sum()
    return envelope * carrier / envelope.sum()


def _spatial_responses(frames: np.ndarray, kernels: list[np.ndarray],
                       margin: int = 0) -> Iterator[np.ndarray]:
    """Yield (K, chunk, H + 2 margin, W + 2 margin) complex64 correlations
    ``sum_u G_k(u) frame(x + u)`` per chunk, ``margin`` px beyond the frame on each side.

    Frames are reflect-padded so the borders add no artificial edges and the FFT's circular
    convolution does not wrap.
    """
    t, h, w = frames.shape
    half = max(k.shape[0] // 2 for k in kernels)
    pad = half + margin
    shape = (h + 2 * pad, w + 2 * pad)
    bank = np.zeros((len(kernels),) + shape, np.complex64)
    for i, kernel in enumerate(kernels):
        r = kernel.shape[0] // 2
        offsets = np.arange(-r, r + 1)
        # Correlation as convolution with the flipped kernel, placed with wrap-around indices.
        bank[i][np.ix_(-offsets % shape[0], -offsets % shape[1])] = kernel
    bank = sfft.fft2(bank, axes=(-2, -1))
    for start in range(0, t, _CHUNK):
        chunk = frames[start:start + _CHUNK]
        padded = np.pad(chunk, ((0, 0), (pad, pad), (pad, pad)), mode="reflect")
        spectrum = sfft.fft2(padded.astype(np.complex64), axes=(-2, -1))
        out = sfft.ifft2(spectrum[None] * bank[:, None], axes=(-2, -1))
        yield out[:, :, half:half + h + 2 * margin, half:half + w + 2 * margin]


def _pool(energy: np.ndarray, grid: int) -> np.ndarray:
    """(..., H, W) -> (..., grid, grid) means over contiguous near-equal blocks."""
    h, w = energy.shape[-2:]
    rows = np.add.reduceat(energy, np.arange(grid) * h // grid, axis=-2)
    rows /= np.diff(np.append(np.arange(grid) * h // grid, h))[:, None]
    cols = np.add.reduceat(rows, np.arange(grid) * w // grid, axis=-1)
    return cols / np.diff(np.append(np.arange(grid) * w // grid, w))


def oriented_energy(frames: np.ndarray, orientations: int = 4,
                    wavelengths: tuple[float, ...] = (6.0, 12.0), grid: int = 8) -> np.ndarray:
    """Quadrature-pair 2-D Gabor energy per frame, pooled onto a retinotopic grid.

    frames: (T, H, W) real, nominally in [0, 1].
    Returns (T, orientations, len(wavelengths), grid, grid) float32, non-negative.
    """
    frames = _check_frames(frames, grid)
    if orientations < 1:
        raise ValueError(f"orientations must be >= 1, got {orientations}")
    _check_positive("wavelengths", tuple(wavelengths))
    kernels = [_gabor(lam, o * np.pi / orientations)
               for o in range(orientations) for lam in wavelengths]
    pooled = [_pool(np.abs(r) ** 2, grid) for r in _spatial_responses(frames, kernels)]
    out = np.concatenate(pooled, axis=1)  # (O * L, T, grid, grid)
    out = out.reshape(orientations, len(wavelengths), *out.shape[1:])
    return np.ascontiguousarray(out.transpose(2, 0, 1, 3, 4), dtype=np.float32)


def _temporal_weights(frames_window: int) -> np.ndarray:
    """(frames_window,) positive taper over lags 0..frames_window-1, summing to 1.

    A Hann window without its zero end points: sharper direction selectivity than a
    Gaussian over so few frames, and every lag in the window counts.
    """
    w = np.hanning(frames_window + 2)[1:-1]
    return w / w.sum()


def _aligned_history(spatial: np.ndarray, shifts: np.ndarray, frames_window: int,
                     margin: int) -> list[np.ndarray]:
    """Per lag tau, (T, H, W) spatial responses of frame t - tau moved by the image shift
    from t - tau to t (rounded to whole pixels: at most half a pixel off, a small phase
    error at the filters' wavelengths), so that content carried along by self-motion stays
    in place.

    spatial: (T, H + 2 margin, W + 2 margin) complex; shifts: (T, 2) (dx, dy) from t-1 to t.
    Moves beyond the margin are clipped to it.
    """
    t, hp, wp = spatial.shape
    h, w = hp - 2 * margin, wp - 2 * margin
    position = np.cumsum(shifts, axis=0)  # where frame t's content has moved to, from frame 0
    rows, cols = np.arange(h) + margin, np.arange(w) + margin
    history = []
    for lag in range(frames_window):
        source = np.maximum(np.arange(t) - lag, 0)  # frames before the first equal the first
        move = np.clip(np.rint(position - position[source]), -margin, margin).astype(int)
        # Output pixel p shows the source's pixel p - move.
        history.append(spatial[source[:, None, None],
                               rows[None, :, None] - move[:, 1, None, None],
                               cols[None, None, :] - move[:, 0, None, None]])
    return history


def motion_energy(frames: np.ndarray, directions: int = 8, speeds: tuple[float, ...] = (1.0, 3.0),
                  wavelength: float = 12.0, frames_window: int = 7, grid: int = 4,
                  shifts: np.ndarray | None = None) -> np.ndarray:
    """Quadrature-pair 3-D (x, y, t) Gabor energy, causal in time, pooled onto a grid.

    The filter for direction d and speed s is a spatial Gabor (carrier along d) times a
    temporal complex exponential at ``s / wavelength`` cycles/frame over lags
    0..frames_window-1, so frame t reads frames t-frames_window+1 .. t only; frames before
    the first are taken to equal the first. Speed 0 gives a static (direction-blind) filter.

    shifts: optional (T, 2) image shift (dx, dy) from frame t-1 to t, e.g. the observer's
    self-motion (``brainlike.features.self_motion.image_shifts``). Each frame the filter reads
    is first moved by the shift accumulated since, so energy is that of motion relative to
    the shifting scene: a pattern carried along by the shift gives the static response.

    frames: (T, H, W) real, nominally in [0, 1].
    Returns (T, directions, len(speeds), grid, grid) float32, non-negative.
    """
    frames = _check_frames(frames, grid)
    if directions < 1:
        raise ValueError(f"directions must be >= 1, got {directions}")
    if frames_window < 1:
        raise ValueError(f"frames_window must be >= 1, got {frames_window}")
    _check_positive("speeds", tuple(speeds), allow_zero=True)
    _check_positive("wavelength", (wavelength,))
    t = frames.shape[0]
    margin = 0
    if shifts is not None:
        shifts = np.asarray(shifts, dtype=np.float64)
        if shifts.shape != (t, 2) or not np.all(np.isfinite(shifts)):
            raise ValueError(f"shifts must be finite ({t}, 2) to match the frames, got "
                             f"{shifts.shape}")
        # The largest move within the window, bounded by what reflect padding can supply.
        steps = np.abs(shifts).max() * (frames_window - 1)
        margin = int(min(np.ceil(steps), min(frames.shape[1:]) // 2 - 1))
    taper = _temporal_weights(frames_window)
    lags = np.arange(frames_window)
    out = np.empty((t, directions, len(speeds), grid, grid), np.float32)
    for d in range(directions):
        kernel = _gabor(wavelength, 2 * np.pi * d / directions)
        spatial = np.concatenate([r[0] for r in _spatial_responses(frames, [kernel], margin)])
        if shifts is None:
            # Padding with the first frame = repeating its spatial response.
            padded = np.concatenate([np.repeat(spatial[:1], frames_window - 1, axis=0),
                                     spatial])
            history = [padded[frames_window - 1 - lag:frames_window - 1 - lag + t]
                       for lag in lags]
        else:
            history = _aligned_history(spatial, shifts, frames_window, margin)
        for j, speed in enumerate(speeds):
            omega = 2 * np.pi * speed / wavelength
            # r(t) = sum_tau w(tau) exp(-i omega tau) S(t - tau): matches a pattern moving
            # along the carrier, whose phase at a fixed place falls by omega per frame.
            coeffs = (taper * np.exp(-1j * omega * lags)).astype(np.complex64)
            response = np.zeros_like(history[0])
            for lag, c in zip(lags, coeffs):
                response += c * history[lag]
            out[:, d, j] = _pool(np.abs(response) ** 2, grid)
    return out
