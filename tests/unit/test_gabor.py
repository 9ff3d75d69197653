"""Gabor energy baselines: shapes, orientation/direction/speed tuning, causality, phase invariance."""

from __future__ import annotations

import numpy as np
import pytest

from brainlike.features.gabor import motion_energy, oriented_energy

SIZE = 64


def _grating(angle: float, wavelength: float, speed: float, n_frames: int,
             phase: float = 0.0) -> np.ndarray:
    """(n_frames, SIZE, SIZE) full-contrast sinusoid drifting along ``angle`` at ``speed`` px/frame."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    k = 2 * np.pi / wavelength
    t = np.arange(n_frames)[:, None, None]
    along = x * np.cos(angle) + y * np.sin(angle)
    return (0.5 + 0.5 * np.cos(k * (along - speed * t) + phase)).astype(np.float32)


def test_oriented_energy_shape_and_dtype():
    frames = np.random.default_rng(0).random((3, 20, 24))
    out = oriented_energy(frames, orientations=6, wavelengths=(4.0, 8.0, 16.0), grid=4)
    assert out.shape == (3, 6, 3, 4, 4)
    assert out.dtype == np.float32
    assert np.isfinite(out).all() and (out >= 0).all() and out.max() > 0


def test_motion_energy_shape_and_dtype():
    frames = np.random.default_rng(0).random((5, 20, 24)).astype(np.float32)
    out = motion_energy(frames, directions=4, speeds=(0.0, 1.0, 2.0), frames_window=3, grid=2)
    assert out.shape == (5, 4, 3, 2, 2)
    assert out.dtype == np.float32
    assert np.isfinite(out).all() and (out >= 0).all() and out.max() > 0


@pytest.mark.parametrize("k", range(4))
def test_oriented_energy_peaks_at_grating_orientation(k):
    frames = _grating(k * np.pi / 4, 12.0, speed=1.0, n_frames=4)
    per_orientation = oriented_energy(frames).sum(axis=(0, 2, 3, 4))
    assert per_orientation.argmax() == k
    others = np.delete(per_orientation, k)
    assert others.max() < 0.2 * per_orientation[k]


def test_oriented_energy_peaks_at_grating_wavelength():
    for j, wavelength in enumerate((6.0, 12.0)):
        per_wavelength = oriented_energy(_grating(0.0, wavelength, 0.0, 1)).sum(axis=(0, 1, 3, 4))
        assert per_wavelength.argmax() == j


def test_uniform_frames_give_no_energy():
    frames = np.full((2, SIZE, SIZE), 0.7, np.float32)
    grating = oriented_energy(_grating(0.0, 12.0, 0.0, 1)).max()
    assert oriented_energy(frames).max() < 1e-6 * grating
    assert motion_energy(frames).max() < 1e-6 * grating


@pytest.mark.parametrize("speed_index,speed", [(0, 1.0), (1, 3.0)])
def test_motion_energy_peaks_at_drift_direction(speed_index, speed):
    for d in range(8):
        frames = _grating(2 * np.pi * d / 8, 12.0, speed, n_frames=12)
        # Skip the first frames, whose window reaches into the static padding.
        per_direction = motion_energy(frames)[7:, :, speed_index].sum(axis=(0, 2, 3))
        assert per_direction.argmax() == d
        # Direction selectivity: the opposite direction, same orientation, is far weaker.
        assert per_direction[(d + 4) % 8] < 0.25 * per_direction[d]


def test_motion_energy_prefers_matching_speed():
    for j, speed in enumerate((1.0, 3.0)):
        per_speed = motion_energy(_grating(0.0, 12.0, speed, 12))[7:, 0].sum(axis=(0, 2, 3))
        assert per_speed.argmax() == j


def test_motion_energy_is_causal():
    rng = np.random.default_rng(1)
    frames = rng.random((20, 32, 32)).astype(np.float32)
    window, t = 5, 12
    base = motion_energy(frames, frames_window=window)
    future = frames.copy()
    future[t + 1:] = rng.random(future[t + 1:].shape)
    np.testing.assert_allclose(motion_energy(future, frames_window=window)[:t + 1],
                               base[:t + 1], rtol=1e-5, atol=1e-7)
    # The oldest frame in the window counts, the one before it does not.
    oldest = frames.copy()
    oldest[t - window + 1] = rng.random(oldest.shape[1:])
    assert not np.allclose(motion_energy(oldest, frames_window=window)[t], base[t])
    before = frames.copy()
    before[t - window] = rng.random(before.shape[1:])
    np.testing.assert_allclose(motion_energy(before, frames_window=window)[t], base[t],
                               rtol=1e-5, atol=1e-7)


def test_motion_energy_pads_early_frames_with_the_first():
    frames = np.repeat(np.random.default_rng(2).random((1, 32, 32)), 9, axis=0)
    out = motion_energy(frames)
    # A still movie padded with its own first frame is still from the start.
    np.testing.assert_allclose(out, np.broadcast_to(out[-1], out.shape), rtol=1e-4, atol=1e-8)


def test_oriented_energy_is_phase_invariant():
    energies = [oriented_energy(_grating(np.pi / 4, 12.0, 0.0, 1, phase=p))[0]
                for p in (0.0, 1.0, np.pi / 2, np.pi)]
    ref = energies[0][1].sum()
    for e in energies[1:]:
        assert abs(e[1].sum() - ref) < 0.02 * ref
    # Not vacuous: the phase shift really moves the stripes.
    shifted = _grating(np.pi / 4, 12.0, 0.0, 1, phase=np.pi / 2)
    assert np.abs(shifted - _grating(np.pi / 4, 12.0, 0.0, 1)).mean() > 0.2


@pytest.mark.parametrize("call", [
    lambda: oriented_energy(np.zeros((SIZE, SIZE))),
    lambda: oriented_energy(np.zeros((1, 1, SIZE, SIZE))),
    lambda: oriented_energy(np.zeros((0, SIZE, SIZE))),
    lambda: oriented_energy(np.zeros((2, 6, 6)), grid=8),
    lambda: oriented_energy(np.zeros((2, SIZE, SIZE)), wavelengths=()),
    lambda: oriented_energy(np.zeros((2, SIZE, SIZE)), wavelengths=(-3.0,)),
    lambda: oriented_energy(np.zeros((2, SIZE, SIZE)), orientations=0),
    lambda: oriented_energy(np.zeros((2, SIZE, SIZE), complex)),
    lambda: motion_energy(np.zeros((SIZE, SIZE))),
    lambda: motion_energy(np.zeros((2, 3, 3)), grid=4),
    lambda: motion_energy(np.zeros((2, SIZE, SIZE)), directions=0),
    lambda: motion_energy(np.zeros((2, SIZE, SIZE)), frames_window=0),
    lambda: motion_energy(np.zeros((2, SIZE, SIZE)), speeds=(-1.0,)),
    lambda: motion_energy(np.zeros((2, SIZE, SIZE)), wavelength=0.0),
])
def test_bad_inputs_raise(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("d", range(8))
def test_compensated_motion_energy_reads_motion_relative_to_the_scene(d):
    # On the screen the grating drifts against d at 1 px/frame; the scene shifts against d
    # at 2 px/frame, so relative to the scene the grating moves along d at 1 px/frame.
    angle = 2 * np.pi * d / 8
    frames = _grating(angle, 12.0, speed=-1.0, n_frames=14)
    shifts = np.tile(-2.0 * np.array([np.cos(angle), np.sin(angle)]), (14, 1))
    shifts[0] = 0.0
    relative = motion_energy(frames, shifts=shifts)[7:, :, 0].sum(axis=(0, 2, 3))
    screen = motion_energy(frames)[7:, :, 0].sum(axis=(0, 2, 3))
    assert relative.argmax() == d and relative[(d + 4) % 8] < 0.25 * relative[d]
    assert screen.argmax() == (d + 4) % 8


def test_a_texture_carried_by_the_scene_has_no_relative_direction():
    rng = np.random.default_rng(3)
    canvas = rng.random((SIZE, 3 * SIZE)).astype(np.float32)
    frames = np.stack([canvas[:, 2 * t:2 * t + SIZE] for t in range(14)])  # moves left 2 px
    shifts = np.tile([-2.0, 0.0], (14, 1))
    shifts[0] = 0.0
    right, left = 0, 4
    screen = motion_energy(frames)[7:].sum(axis=(0, 2, 3, 4))
    relative = motion_energy(frames, shifts=shifts)[7:].sum(axis=(0, 2, 3, 4))
    assert screen[left] > 4 * screen[right]
    assert 0.67 < relative[left] / relative[right] < 1.5


def test_motion_energy_rejects_shifts_of_the_wrong_shape():
    frames = np.zeros((5, 16, 16), np.float32)
    with pytest.raises(ValueError, match="shifts"):
        motion_energy(frames, grid=2, shifts=np.zeros((4, 2)))
    with pytest.raises(ValueError, match="shifts"):
        motion_energy(frames, grid=2, shifts=np.full((5, 2), np.nan))
