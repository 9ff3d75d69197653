"""Drawing the movie world: noise canvases, object shapes, object textures, compositing.

Coordinates: x along columns, y along rows (downwards), in pixels; pixel ``i`` covers
[i - 0.5, i + 0.5]. Objects are drawn from signed distance functions in their own
(rotated) coordinates ``(u, v)``, with one pixel of anti-aliasing at the outline. Every
shape class has the same area (that of the equilateral triangle inscribed in the bounding
circle of radius ``radius``), so object size does not give the class away. Textures are
functions of the object's own coordinates (they move and turn with it) and are normalised
to zero mean and unit s.d. over the object in every frame: the object's mean luminance and
contrast are then set by the caller alone, independently of shape and texture.
"""

from __future__ import annotations

import numpy as np

#: Area of every shape, as a multiple of radius**2 (the inscribed equilateral triangle's).
_AREA = 3.0 * np.sqrt(3.0) / 4.0
_DISC = np.sqrt(_AREA / np.pi)          # disc radius / radius
_SQUARE = np.sqrt(_AREA) / 2.0          # square half-side / radius
_CROSS_WIDTH = 0.3                      # cross arm half-width / arm half-length
_CROSS = np.sqrt(_AREA / (8 * _CROSS_WIDTH - 4 * _CROSS_WIDTH ** 2))  # arm half-length / radius
#: Dot radius as a fraction of the dot lattice spacing.
_DOT = 0.28


def fractal_noise(rng: np.random.Generator, size: int, exponent: float = 1.0) -> np.ndarray:
    """(size, size) float32 periodic noise with a 1/f**exponent amplitude spectrum.

    Zero mean, unit s.d.; periodic, so it can be sampled with wrap-around.
    """
    if size < 2:
        raise ValueError(f"size must be >= 2, found {size}")
    f = np.fft.fftfreq(size)
    radius = np.hypot(f[:, None], f[None, :])
    amplitude = np.zeros_like(radius)
    np.divide(1.0, radius ** exponent, out=amplitude, where=radius > 0)
    spectrum = amplitude * np.fft.fft2(rng.standard_normal((size, size)))
    return _standardise(np.fft.ifft2(spectrum).real)


def smooth_noise(rng: np.random.Generator, size: int, scale: float) -> np.ndarray:
    """(size, size) float32 periodic Gaussian-filtered white noise (blobs of s.d. ``scale`` px).

    Zero mean, unit s.d.
    """
    f = np.fft.fftfreq(size)
    gain = np.exp(-2.0 * (np.pi * scale) ** 2 * (f[:, None] ** 2 + f[None, :] ** 2))
    return _standardise(np.fft.ifft2(gain * np.fft.fft2(rng.standard_normal((size, size)))).real)


def _standardise(x: np.ndarray) -> np.ndarray:
    x = x - x.mean()
    sd = x.std()
    return (x / sd if sd > 0 else x).astype(np.float32)


def sample_periodic(canvas: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Bilinear samples of a periodic (N, M) canvas at real coordinates ``y``, ``x``.

    y, x: arrays that broadcast together; returns float32 of their broadcast shape.
    """
    if canvas.ndim != 2:
        raise ValueError(f"canvas must be (N, M), found shape {canvas.shape}")
    n, m = canvas.shape
    y0 = np.floor(y)
    x0 = np.floor(x)
    fy = (y - y0).astype(np.float32)
    fx = (x - x0).astype(np.float32)
    i0 = y0.astype(np.int64) % n
    j0 = x0.astype(np.int64) % m
    i1 = (i0 + 1) % n
    j1 = (j0 + 1) % m
    top = canvas[i0, j0] * (1 - fx) + canvas[i0, j1] * fx
    bottom = canvas[i1, j0] * (1 - fx) + canvas[i1, j1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


def _box(u: np.ndarray, v: np.ndarray, half_u: float, half_v: float) -> np.ndarray:
    du = np.abs(u) - half_u
    dv = np.abs(v) - half_v
    outside = np.hypot(np.maximum(du, 0), np.maximum(dv, 0))
    return outside + np.minimum(np.maximum(du, dv), 0)


def _triangle(u: np.ndarray, v: np.ndarray, radius: float) -> np.ndarray:
    """Exact signed distance to the equilateral triangle of circumradius ``radius``
    (centroid at the origin, a vertex on -v), after Inigo Quilez's formula."""
    k = np.sqrt(3.0)
    half_side = radius * k / 2.0
    px = np.abs(u) - half_side
    py = -v + half_side / k
    fold = px + k * py > 0
    px, py = (np.where(fold, (px - k * py) / 2, px), np.where(fold, (-k * px - py) / 2, py))
    px = px - np.clip(px, -2 * half_side, 0)
    return -np.hypot(px, py) * np.sign(py)


def shape_distance(shape: int, u: np.ndarray, v: np.ndarray, radius: float) -> np.ndarray:
    """Signed distance (px, negative inside) to shape class ``shape`` (index into
    ``movies.SHAPES``: disc, square, triangle, cross) of bounding radius ``radius``."""
    if shape == 0:
        return np.hypot(u, v) - _DISC * radius
    if shape == 1:
        return _box(u, v, _SQUARE * radius, _SQUARE * radius)
    if shape == 2:
        return _triangle(u, v, radius)
    if shape == 3:
        arm, width = _CROSS * radius, _CROSS_WIDTH * _CROSS * radius
        return np.minimum(_box(u, v, arm, width), _box(u, v, width, arm))
    raise ValueError(f"shape must be 0..3, found {shape!r}")


def texture_pattern(texture: int, u: np.ndarray, v: np.ndarray, wavelength: float,
                    phase: tuple[float, float], blobs: np.ndarray) -> np.ndarray:
    """Texture class ``texture`` (index into ``movies.TEXTURES``: stripes, checks, dots,
    blobs) at object coordinates ``u``, ``v``, of spatial period ``wavelength`` px.

    phase: (2,) offsets in [0, 1) periods; blobs: periodic canvas read by the blob texture.
    Raw values (normalised later over the object).
    """
    a = 2 * np.pi * (u / wavelength + phase[0])
    b = 2 * np.pi * (v / wavelength + phase[1])
    if texture == 0:
        return np.sin(a)
    if texture == 1:
        # Soft square-wave checkerboard: sharp enough to read as checks, without aliasing.
        return np.tanh(4.0 * np.sin(a) * np.sin(b))
    if texture == 2:
        du = (u / wavelength + phase[0]) % 1.0 - 0.5
        dv = (v / wavelength + phase[1]) % 1.0 - 0.5
        return np.clip(0.5 - (np.hypot(du, dv) - _DOT) * wavelength, 0.0, 1.0)
    if texture == 3:
        return sample_periodic(blobs, v + phase[1] * blobs.shape[0], u + phase[0] * blobs.shape[1])
    raise ValueError(f"texture must be 0..3, found {texture!r}")


def normalise_over(pattern: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """(T, H, W) pattern with zero weighted mean and unit weighted s.d. in every frame.

    weight: (T, H, W) non-negative (the object's coverage). Frames where the pattern is flat
    under the weight (or the weight is zero) become zeros.
    """
    total = weight.sum(axis=(1, 2), keepdims=True)
    safe = np.maximum(total, 1e-12)
    mean = (weight * pattern).sum(axis=(1, 2), keepdims=True) / safe
    centred = pattern - mean
    sd = np.sqrt((weight * centred ** 2).sum(axis=(1, 2), keepdims=True) / safe)
    return np.divide(centred, sd, out=np.zeros_like(centred), where=(sd > 1e-6) & (total > 0))


def coverage(distance: np.ndarray) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] from a signed distance (one pixel of ramp)."""
    return np.clip(0.5 - distance, 0.0, 1.0).astype(np.float32)
