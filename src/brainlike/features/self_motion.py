"""The observer's self-motion seen in a movie: the global image shift from frame to frame.

Self-motion over a distant scene moves the whole image at once (uniform optic flow), while
an object moves on its own. The shift is estimated by phase correlation (the peak of the
normalised cross-power spectrum's inverse, refined to sub-pixel) in a grid of
small patches, and the median over patches taken: an object covers a few patches, the
background most of them, so the median follows the background.

Conventions as in ``brainlike.features.gabor``: frames (T, H, W), x along columns, y along
rows (downwards); a shift (dx, dy) at frame t carries the content of frame t-1 to where it
is in frame t.
"""

from __future__ import annotations

import numpy as np

#: Side of the square patches the shift is estimated in, and their spacing (px).
PATCH, STEP = 16, 16


def _peak_offset(left: np.ndarray, centre: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Sub-pixel offset of a phase-correlation peak from its three samples: for a shift
    between pixels the peak is a sampled sinc, whose two largest samples split in
    proportion to the offset (Foroosh, Zerubia & Berthod 2002)."""
    up = right >= left
    side = np.where(up, right, left)
    total = side + centre
    offset = np.where(total > 0, side / np.where(total > 0, total, 1.0), 0.0)
    return np.where(up, offset, -offset)


def _phase_shift(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(N, 2) shift (dx, dy) of ``after`` relative to ``before``, both (N, h, w)."""
    spectra = [np.fft.fft2(x - x.mean(axis=(-2, -1), keepdims=True)) for x in (before, after)]
    cross = spectra[1] * np.conj(spectra[0])
    cross /= np.abs(cross) + 1e-9
    surface = np.real(np.fft.ifft2(cross))
    n, h, w = surface.shape
    y, x = np.divmod(surface.reshape(n, -1).argmax(axis=1), w)
    rows = np.arange(n)
    dy = _peak_offset(surface[rows, (y - 1) % h, x], surface[rows, y, x],
                      surface[rows, (y + 1) % h, x])
    dx = _peak_offset(surface[rows, y, (x - 1) % w], surface[rows, y, x],
                      surface[rows, y, (x + 1) % w])
    # Circular: a peak past the middle is a negative shift.
    return np.stack([(x + dx + w / 2) % w - w / 2, (y + dy + h / 2) % h - h / 2], axis=1)


def image_shifts(frames: np.ndarray, patch: int = PATCH, step: int = STEP) -> np.ndarray:
    """(T, 2) float64 global shift (dx, dy) in px from frame t-1 to frame t; row 0 is zero.

    frames: (T, H, W) real, at least ``patch`` px on each side.
    """
    frames = np.asarray(frames, dtype=np.float64)
    if frames.ndim != 3 or frames.shape[0] == 0:
        raise ValueError(f"frames must be (T, H, W) with T >= 1, got shape {frames.shape}")
    t, h, w = frames.shape
    if patch < 4 or step < 1 or min(h, w) < patch:
        raise ValueError(f"patch {patch} px (step {step}) does not fit {h}x{w} frames")
    out = np.zeros((t, 2))
    if t < 2:
        return out
    estimates = [_phase_shift(frames[:-1, y:y + patch, x:x + patch],
                              frames[1:, y:y + patch, x:x + patch])
                 for y in range(0, h - patch + 1, step) for x in range(0, w - patch + 1, step)]
    out[1:] = np.median(np.stack(estimates), axis=0)
    return out
