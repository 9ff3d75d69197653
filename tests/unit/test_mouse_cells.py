"""Unit tests of the simulated mouse visual cortex: planted reliability is what split halves
measure, and the planted tuning needs more than pixels (VISl, dorsal areas) while VISp is
local oriented energy; dorsal cells ignore self-motion."""

from __future__ import annotations

import itertools
from dataclasses import replace
from functools import cache, lru_cache

import numpy as np
import pytest
from sklearn.linear_model import RidgeCV

from brainlike.features.gabor import oriented_energy
from brainlike.scores.ceiling import reliability
from brainlike.simulate.mouse_cells import (
    AREAS,
    DORSAL,
    GRID,
    ORIENTATIONS,
    WAVELENGTHS,
    CellResponses,
    calcium,
    simulate_cells,
)
from brainlike.simulate.movies import SHAPES, Movie, MovieWorld, render_movie

N_FRAMES = 900  # 30 s at 30 Hz
#: Shorter segments than the default: more distinct stimuli in a short movie, so that the
#: regressions below are limited by what the regressors carry, not by 20 samples.
WORLD = MovieWorld(segment_frames=(15, 30))
N_CELLS = 30
REPEATS = 10
TAU_S = 0.4  # kernel applied to the regressors, within the planted range


@lru_cache(maxsize=1)
def movie() -> Movie:
    return render_movie(WORLD, N_FRAMES, seed=5)


@lru_cache(maxsize=1)
def energy() -> np.ndarray:
    """(T, orientations, wavelengths, grid, grid) oriented energy of the movie."""
    return oriented_energy(movie().frames, ORIENTATIONS, WAVELENGTHS, GRID)


@cache
def cells(area: str) -> CellResponses:
    return simulate_cells(movie(), area, N_CELLS, REPEATS, seed=1)


def _convolved(x: np.ndarray) -> np.ndarray:
    return calcium(x.astype(np.float64), np.full(x.shape[1], TAU_S), 30.0)


def _heldout_r(regressors: np.ndarray, responses: np.ndarray, folds: int = 3) -> float:
    """Median over cells of the r of out-of-fold ridge predictions (responses (T, cells)).

    Folds are contiguous blocks, and so are the inner folds choosing the penalty: frames of
    one segment are near copies, and leave-one-frame-out would pick no penalty at all.
    """
    x = _convolved(regressors)
    t = len(x)
    edges = np.linspace(0, t, folds + 1).astype(int)
    pred = np.empty(responses.shape)
    for a, b in itertools.pairwise(edges):
        train = np.r_[0:a, b:t]
        sd = x[train].std(axis=0)
        z = (x - x[train].mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        fit = RidgeCV(alphas=np.logspace(-1, 5, 7), cv=5).fit(z[train], responses[train])
        pred[a:b] = fit.predict(z[a:b])
    r = [np.corrcoef(pred[:, i], responses[:, i])[0, 1] for i in range(responses.shape[1])]
    return float(np.nanmedian(r))


def _pixels(frames: np.ndarray) -> np.ndarray:
    t, h, w = frames.shape
    return frames.reshape(t, 16, h // 16, 16, w // 16).mean(axis=(2, 4)).reshape(t, -1)


def _motion_basis(direction: np.ndarray, speed: np.ndarray, present: np.ndarray) -> np.ndarray:
    """(T, 15): log-speed bumps times (1, cos, sin of direction and of twice it)."""
    theta = np.nan_to_num(direction)
    speed = np.nan_to_num(speed, nan=1.0)
    columns = []
    for centre in (0.5, 1.5, 4.0):
        bump = np.exp(-0.5 * (np.log(np.maximum(speed, 1e-3) / centre) / 0.7) ** 2) * present
        columns += [bump] + [bump * f(k * theta) for k in (1, 2) for f in (np.cos, np.sin)]
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("area", AREAS)
def test_shapes_and_tuning_table(area):
    out = cells(area)
    assert out.dff.shape == (REPEATS, N_FRAMES, N_CELLS) and out.dff.dtype == np.float32
    assert np.isfinite(out.dff).all()
    tab = out.tuning
    assert len(tab) == N_CELLS and (tab["area"] == area).all()
    for column in ("gain", "baseline", "noise_sd", "trial_sd", "tau_s", "reliability"):
        assert (tab[column] >= 0).all(), column
    assert tab["reliability"].between(0.04, 0.81).all()
    assert tab["reliability"].max() - tab["reliability"].min() > 0.4


def test_tuning_depends_on_seed_and_area_not_movie():
    other = render_movie(MovieWorld(), 200, seed=99)
    a = cells("VISam").tuning
    b = simulate_cells(other, "VISam", N_CELLS, 2, seed=1).tuning
    for column in ("preferred_direction", "preferred_speed", "gain", "tau_s"):
        np.testing.assert_array_equal(a[column], b[column])
    c = simulate_cells(other, "VISam", N_CELLS, 2, seed=2).tuning
    assert not np.allclose(a["preferred_direction"], c["preferred_direction"])
    # Slower preferred speeds in the medial areas than in the lateral ones.
    assert cells("VISal").tuning["preferred_speed"].median() > 1.5 * a["preferred_speed"].median()


def test_planted_reliability_matches_split_half_estimate():
    planted = np.concatenate([cells(a).tuning["reliability"].to_numpy() for a in AREAS])
    estimated = np.concatenate([reliability(cells(a).dff) for a in AREAS])
    assert np.corrcoef(planted, estimated)[0, 1] >= 0.9
    assert abs(np.mean(estimated - planted)) < 0.05


def test_visl_needs_more_than_pixels_or_energy():
    lat = movie().latents
    response = cells("VISl").dff.mean(axis=0)
    onehot = (lat["shape"][:, None] == np.arange(len(SHAPES))).astype(float)
    r_latent = _heldout_r(onehot, response)
    assert r_latent > 0.7
    assert _heldout_r(_pixels(movie().frames), response) < 0.5 * r_latent
    assert _heldout_r(energy().reshape(N_FRAMES, -1), response) < 0.5 * r_latent


@pytest.mark.parametrize("area", DORSAL)
def test_dorsal_needs_more_than_pixels_or_self_motion(area):
    lat = movie().latents
    response = cells(area).dff.mean(axis=0)
    present = lat["shape"] >= 0
    r_latent = _heldout_r(_motion_basis(lat["rel_direction"], lat["rel_speed"], present), response)
    background = _motion_basis(np.arctan2(lat["background_vy"], lat["background_vx"]),
                               np.hypot(lat["background_vx"], lat["background_vy"]), present)
    assert r_latent > 0.7
    assert _heldout_r(_pixels(movie().frames), response) < 0.5 * r_latent
    assert _heldout_r(background, response) < 0.5 * r_latent


def test_visp_is_oriented_energy():
    out = cells("VISp")
    response = out.dff.mean(axis=0)
    tab = out.tuning
    own = energy()[:, np.round(tab["orientation"] / np.pi * ORIENTATIONS).astype(int),
                   np.searchsorted(WAVELENGTHS, tab["wavelength"]), tab["grid_y"], tab["grid_x"]]
    # Each cell's own energy channel, linearly: close to its (rectified) drive.
    own = _convolved(own)
    assert np.median([np.corrcoef(own[:, i], response[:, i])[0, 1] for i in range(N_CELLS)]) > 0.75
    # The whole energy map beats pixels (the ridge must find the channel among 512).
    r_energy = _heldout_r(energy().reshape(N_FRAMES, -1), response)
    assert r_energy > 0.3
    assert _heldout_r(_pixels(movie().frames), response) < 0.5 * r_energy


def test_dorsal_cells_ignore_self_motion():
    """Same relative motion under another self-motion: the same responses."""
    m = movie()
    lat = dict(m.latents)
    rng = np.random.default_rng(0)
    segments = lat["segment"]
    angle = rng.uniform(0, 2 * np.pi, segments.max() + 1)[segments]
    speed = rng.uniform(0.0, 2.0, segments.max() + 1)[segments]
    rvx = lat["object_vx"] - lat["background_vx"]
    rvy = lat["object_vy"] - lat["background_vy"]
    lat["background_vx"] = (speed * np.cos(angle)).astype(np.float32)
    lat["background_vy"] = (speed * np.sin(angle)).astype(np.float32)
    lat["object_vx"] = lat["background_vx"] + rvx
    lat["object_vy"] = lat["background_vy"] + rvy
    moved = replace(m, latents=lat)
    for area in DORSAL:
        a = cells(area).dff.mean(axis=0)
        b = simulate_cells(moved, area, N_CELLS, REPEATS, seed=1).dff.mean(axis=0)
        r = [np.corrcoef(a[:, i], b[:, i])[0, 1] for i in range(N_CELLS)]
        assert np.min(r) > 0.99, area


def test_bad_input_raises():
    with pytest.raises(ValueError, match="area"):
        simulate_cells(movie(), "V1", 3, 2, seed=0)
    with pytest.raises(ValueError, match="n_cells"):
        simulate_cells(movie(), "VISl", 0, 2, seed=0)
