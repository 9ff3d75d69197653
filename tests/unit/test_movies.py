"""Unit tests of the simulated visual world: determinism, latents that match the frames,
texture drawn independently of shape, no luminance give-away, cue-conflict semantics."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from scipy.stats import chi2_contingency, f_oneway
from sklearn.linear_model import LogisticRegression

from brainlike.simulate import sprites
from brainlike.simulate.movies import (
    LATENT_DTYPES,
    SHAPES,
    TEXTURES,
    Movie,
    MovieWorld,
    cue_conflict_images,
    render_clip,
    render_movie,
)

WORLD = MovieWorld()


@lru_cache(maxsize=1)
def movie() -> Movie:
    return render_movie(WORLD, 600, seed=11)


@lru_cache(maxsize=1)
def static_clips(n: int = 480) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """First frames (n, H, W), shape (n,), texture (n,), object-centre luminance (n,)."""
    frames, shape, texture, centre = [], [], [], []
    yy, xx = np.mgrid[:WORLD.size, :WORLD.size]
    for seed in range(n):
        clip = render_clip(WORLD, 1, seed=1000 + seed)
        lat = {k: v[0] for k, v in clip.latents.items()}
        # A disc of a fifth of the radius lies inside every shape class (the cross's arms
        # are the narrowest), whatever the pose.
        inside = np.hypot(xx - lat["x"], yy - lat["y"]) < 0.2 * lat["radius"]
        frames.append(clip.frames[0])
        shape.append(lat["shape"])
        texture.append(lat["texture"])
        centre.append(clip.frames[0][inside].mean())
    return np.stack(frames), np.array(shape), np.array(texture), np.array(centre)


def test_same_seed_same_movie_other_seed_differs():
    a, b, c = (render_movie(WORLD, 120, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.frames, b.frames)
    for name in LATENT_DTYPES:
        np.testing.assert_array_equal(a.latents[name], b.latents[name])
    assert not np.allclose(a.frames, c.frames)
    np.testing.assert_array_equal(render_clip(WORLD, 10, 5).frames,
                                  render_clip(WORLD, 10, 5).frames)


def test_frames_and_latent_types():
    m = movie()
    assert m.frames.shape == (600, WORLD.size, WORLD.size) and m.frames.dtype == np.float32
    assert m.frames.min() >= 0 and m.frames.max() <= 1
    assert set(m.latents) == set(LATENT_DTYPES)
    for name, dtype in LATENT_DTYPES.items():
        assert m.latents[name].shape == (600,) and m.latents[name].dtype == dtype, name


def test_segments_lengths_and_constant_identity():
    lat = movie().latents
    segment = lat["segment"]
    assert np.all(np.diff(segment) >= 0) and segment[0] == 0
    lengths = np.bincount(segment)
    lo, hi = WORLD.segment_frames
    assert np.all((lengths[:-1] >= lo) & (lengths[:-1] <= hi)) and lengths[-1] <= hi
    for s in np.unique(segment):
        rows = segment == s
        for name in ("shape", "texture", "radius"):
            values = lat[name][rows]
            assert np.all((values == values[0]) | np.isnan(values.astype(float))), name


def test_object_inside_frame_and_relative_velocity():
    lat = movie().latents
    present = lat["shape"] >= 0
    x, y, r = lat["x"][present], lat["y"][present], lat["radius"][present]
    edge = WORLD.size - 0.5
    assert np.all(x - r >= -0.5 - 1e-4) and np.all(x + r <= edge + 1e-4)
    assert np.all(y - r >= -0.5 - 1e-4) and np.all(y + r <= edge + 1e-4)
    rvx = lat["object_vx"] - lat["background_vx"]
    rvy = lat["object_vy"] - lat["background_vy"]
    np.testing.assert_allclose(lat["rel_speed"][present], np.hypot(rvx, rvy)[present], atol=1e-5)
    np.testing.assert_allclose(np.cos(lat["rel_direction"][present]),
                               np.cos(np.arctan2(rvy, rvx)[present]), atol=1e-5)
    lo, hi = WORLD.object_speed
    rel_speed = lat["rel_speed"][present]
    assert np.all((rel_speed >= lo - 1e-5) & (rel_speed <= hi + 1e-5))
    bg = np.hypot(lat["background_vx"], lat["background_vy"])
    assert np.all(bg <= WORLD.self_motion_speed[1] + 1e-5)
    # Positions follow the on-screen velocities except across bounces and cuts.
    same = (np.diff(lat["segment"]) == 0) & present[:-1]
    step = np.diff(lat["x"])[same]
    v = lat["object_vx"][:-1][same]
    assert np.mean(np.abs(step - v) < 1e-3) > 0.9


def test_blank_segments():
    lat = render_movie(MovieWorld(blank_probability=0.5), 600, seed=1).latents
    blank = lat["shape"] < 0
    assert 0.2 < blank.mean() < 0.8
    assert np.all(lat["texture"][blank] == -1) and np.all(lat["direction_class"][blank] == -1)
    for name in ("x", "y", "radius", "object_vx", "rel_direction", "rel_speed"):
        assert np.all(np.isnan(lat[name][blank])) and not np.isnan(lat[name][~blank]).any(), name
    assert not np.isnan(lat["background_vx"]).any()
    assert np.all(render_movie(MovieWorld(blank_probability=0.0), 300, 1).latents["shape"] >= 0)


def _shift_error(now: np.ndarray, later: np.ndarray, vx: float, vy: float,
                 mask: np.ndarray) -> float:
    """Mean squared error of ``later`` predicted as ``now`` moved by (vx, vy), over mask."""
    yy, xx = np.mgrid[:now.shape[0], :now.shape[1]].astype(float)
    moved = sprites.sample_periodic(now, yy - vy, xx - vx)
    return float(np.mean((moved - later)[mask] ** 2))


def test_frames_move_as_latents_say():
    """Background pixels move with the background velocity, object pixels with the object's."""
    m = movie()
    lat = m.latents
    yy, xx = np.mgrid[:WORLD.size, :WORLD.size]
    border = 4  # the shifted frame reads wrapped pixels at its edges
    interior = np.zeros((WORLD.size, WORLD.size), bool)
    interior[border:-border, border:-border] = True
    ratios = {"background": [], "object": []}
    for t in range(0, 599, 7):
        if lat["segment"][t] != lat["segment"][t + 1] or np.sign(lat["object_vx"][t]) != np.sign(
                lat["object_vx"][t + 1]) or np.sign(lat["object_vy"][t]) != np.sign(
                lat["object_vy"][t + 1]):
            continue  # a cut or a bounce
        now, later = m.frames[t].astype(float), m.frames[t + 1].astype(float)
        present = lat["shape"][t] >= 0
        dist = np.hypot(xx - lat["x"][t], yy - lat["y"][t]) if present else np.full(now.shape, 1e9)
        for part, mask, vx, vy in (
                ("background", interior & (dist > lat["radius"][t] + 4 if present else True),
                 lat["background_vx"][t], lat["background_vy"][t]),
                ("object", dist < 0.2 * lat["radius"][t] if present else np.zeros_like(interior),
                 lat["object_vx"][t], lat["object_vy"][t])):
            if mask.sum() < 5 or np.hypot(vx, vy) < 0.5:
                continue
            ratios[part].append(_shift_error(now, later, vx, vy, mask)
                                / _shift_error(now, later, -vx, -vy, mask))
    for part, r in ratios.items():
        assert len(r) >= 5, part
        assert np.median(r) < 0.3, (part, np.median(r))


def test_texture_drawn_independently_of_shape():
    _, shape, texture, _ = static_clips()
    table = np.zeros((len(SHAPES), len(TEXTURES)))
    np.add.at(table, (shape, texture), 1)
    assert table.min() >= 0.5 * table.mean()
    assert chi2_contingency(table).pvalue > 0.01


def test_luminance_does_not_give_the_shape_away():
    frames, shape, _, centre = static_clips()
    frame_mean = frames.mean(axis=(1, 2))
    # Object luminance relative to its scene: near zero on average for every class.
    contrast = centre - frame_mean
    per_class = np.array([contrast[shape == k].mean() for k in range(len(SHAPES))])
    assert np.all(np.abs(per_class) < 0.02), per_class
    assert f_oneway(*[contrast[shape == k] for k in range(len(SHAPES))]).pvalue > 0.01
    assert f_oneway(*[frame_mean[shape == k] for k in range(len(SHAPES))]).pvalue > 0.01
    # A linear readout of (16x16 downsampled) pixels stays near chance.
    pixels = frames.reshape(len(frames), 16, 4, 16, 4).mean(axis=(2, 4)).reshape(len(frames), -1)
    half = len(frames) // 2
    clf = LogisticRegression(C=0.1, max_iter=500).fit(pixels[:half], shape[:half])
    assert clf.score(pixels[half:], shape[half:]) < 0.4


def test_short_clip_keeps_its_velocities():
    world = MovieWorld()
    clip = render_clip(world, 5, seed=2)  # too short to reach an edge at the highest speed
    lat = clip.latents
    assert np.all(lat["shape"] >= 0) and np.all(lat["segment"] == 0)
    for name in ("shape", "texture", "object_vx", "object_vy", "background_vx", "rel_direction",
                 "direction_class"):
        assert np.all(lat[name] == lat[name][0]), name


def test_cue_conflict_images():
    out = cue_conflict_images(WORLD, n_per_pair=2, seed=0)
    n = len(SHAPES) * len(TEXTURES) * 2
    assert out["images"].shape == (n, WORLD.size, WORLD.size)
    assert out["images"].dtype == np.float32
    assert out["images"].min() >= 0 and out["images"].max() <= 1
    np.testing.assert_array_equal(out["conflict"], out["shape"] != out["texture"])
    assert out["conflict"].sum() == n - 2 * len(SHAPES)
    pairs = np.zeros((len(SHAPES), len(TEXTURES)), int)
    np.add.at(pairs, (out["shape"], out["texture"]), 1)
    assert np.all(pairs == 2)
    assert len({img.tobytes() for img in out["images"]}) == n
    again = cue_conflict_images(WORLD, n_per_pair=2, seed=0)
    np.testing.assert_array_equal(out["images"], again["images"])


def test_bad_input_raises():
    with pytest.raises(ValueError, match="n_frames"):
        render_movie(WORLD, 0, seed=0)
    with pytest.raises(ValueError, match="radius"):
        MovieWorld(radius=(8.0, 40.0))
    with pytest.raises(ValueError, match="n_per_pair"):
        cue_conflict_images(WORLD, 0, seed=0)
