"""Vision baselines: layer names and shapes, the shape one-hot, errors, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from brainlike.features.gabor import motion_energy, oriented_energy
from brainlike.features.self_motion import image_shifts
from brainlike.features.vision_baselines import (
    PIXEL_GRID,
    VISION_BASELINES,
    MOTION_DIRECTIONS,
    MOTION_SPEEDS,
    baseline_layers,
)
from brainlike.simulate.movies import SHAPES

T, SIZE = 6, 64


@pytest.fixture
def frames():
    return np.random.default_rng(0).random((T, SIZE, SIZE)).astype(np.float32)


@pytest.fixture
def latents():
    return {"shape": np.array([-1, 0, 1, 2, 3, -1], np.int16),
            "x": np.linspace(10, 50, T).astype(np.float32),
            "rel_direction": np.array([np.nan, 0.0, np.pi / 2, np.pi, 0.1, np.nan], np.float32),
            "rel_speed": np.array([np.nan, 1.0, 1.0, 3.0, 1.0, np.nan], np.float32)}


def test_every_baseline_gives_float32_rows_per_frame(frames, latents):
    widths = {"pixels": PIXEL_GRID ** 2, "oriented_energy": oriented_energy(frames[:1])[0].size,
              "motion_energy": motion_energy(frames[:1])[0].size, "shape_label": 4,
              "motion_label": MOTION_DIRECTIONS * MOTION_SPEEDS}
    for name in VISION_BASELINES:
        layers = baseline_layers(name, frames, latents)
        assert len(layers) == (2 if name == "motion_energy" else 1)
        for x in layers.values():
            assert x.shape == (T, widths[name]) and x.dtype == np.float32
            assert np.isfinite(x).all()


def test_layer_names(frames, latents):
    assert list(baseline_layers("pixels", frames, None)) == ["pixels"]
    assert list(baseline_layers("oriented_energy", frames, None)) == ["energy"]
    assert list(baseline_layers("motion_energy", frames, None)) == ["energy", "relative"]
    assert list(baseline_layers("shape_label", frames, latents)) == ["shape_label"]


def test_pixels_average_blocks():
    frames = np.zeros((2, SIZE, SIZE), np.float32)
    block = SIZE // PIXEL_GRID
    frames[0, :block, :block] = 1.0            # first cell fully on
    frames[1, -block:, -1] = 1.0               # one column of the last cell
    x = baseline_layers("pixels", frames, None)["pixels"]
    assert x[0, 0] == pytest.approx(1.0) and x[0, 1:].max() == 0
    assert x[1, -1] == pytest.approx(1.0 / block) and x[1, :-1].max() == 0


def test_energy_layers_flatten_the_gabor_maps(frames):
    np.testing.assert_array_equal(baseline_layers("oriented_energy", frames, None)["energy"],
                                  oriented_energy(frames).reshape(T, -1))
    motion = baseline_layers("motion_energy", frames, None)
    np.testing.assert_array_equal(motion["energy"], motion_energy(frames).reshape(T, -1))
    np.testing.assert_array_equal(
        motion["relative"], motion_energy(frames, shifts=image_shifts(frames)).reshape(T, -1))


def test_shape_label_is_one_hot_of_present_objects(frames, latents):
    x = baseline_layers("shape_label", frames, latents)["shape_label"]
    assert x.shape == (T, len(SHAPES))
    shape = latents["shape"]
    np.testing.assert_array_equal(x.sum(axis=1), (shape >= 0).astype(np.float32))
    present = shape >= 0
    np.testing.assert_array_equal(x[present].argmax(axis=1), shape[present])
    assert set(np.unique(x)) == {0.0, 1.0}


def test_shape_label_needs_latents(frames):
    with pytest.raises(ValueError, match="shape_label"):
        baseline_layers("shape_label", frames, None)
    with pytest.raises(ValueError, match="shape_label"):
        baseline_layers("shape_label", frames, {"x": np.zeros(T, np.float32)})


@pytest.mark.parametrize("shape", [np.zeros(T - 1, np.int16), np.zeros((T, 1), np.int16),
                                   np.full(T, 4, np.int16), np.full(T, -2, np.int16),
                                   np.zeros(T, np.float32)])
def test_shape_label_rejects_bad_latents(frames, shape):
    with pytest.raises(ValueError, match="latents\\['shape'\\]"):
        baseline_layers("shape_label", frames, {"shape": shape})


def test_unknown_baseline_lists_the_choices(frames):
    with pytest.raises(ValueError) as err:
        baseline_layers("spectrogram", frames, None)
    assert all(name in str(err.value) for name in VISION_BASELINES)


@pytest.mark.parametrize("bad", [np.zeros((SIZE, SIZE)), np.zeros((0, SIZE, SIZE)),
                                 np.zeros((T, 8, 8))])
def test_bad_frames_raise(bad):
    with pytest.raises(ValueError):
        baseline_layers("pixels", bad, None)


def test_deterministic(frames, latents):
    for name in VISION_BASELINES:
        a = baseline_layers(name, frames, latents)
        b = baseline_layers(name, frames.copy(), {k: v.copy() for k, v in latents.items()})
        for layer in a:
            np.testing.assert_array_equal(a[layer], b[layer])


def test_motion_label_codes_relative_direction_and_speed(frames, latents):
    x = baseline_layers("motion_label", frames, latents)["motion_label"]
    assert not x[[0, 5]].any()  # no object, no motion
    grid = x.reshape(T, MOTION_DIRECTIONS, MOTION_SPEEDS)
    # the preferred direction channel of each frame's motion, the same speed channel
    assert grid[1].sum(1).argmax() == 0 and grid[2].sum(1).argmax() == MOTION_DIRECTIONS // 4
    assert grid[3].sum(1).argmax() == MOTION_DIRECTIONS // 2
    assert grid[3].sum(0).argmax() > grid[1].sum(0).argmax()  # faster: a faster channel
    np.testing.assert_allclose(x[4], x[1], atol=0.2)  # nearby directions, similar codes
    with pytest.raises(ValueError, match="motion_label"):
        baseline_layers("motion_label", frames, {"shape": latents["shape"]})
