"""Cue-conflict shape bias on synthetic features that encode the shape, the texture or both."""

from __future__ import annotations

import numpy as np
import pytest

from brainlike.probes.shape_bias import shape_bias

N_CLASSES = 4


def _images(shape_gain: float, texture_gain: float, seed: int = 0, dim: int = 16
            ) -> tuple[np.ndarray, ...]:
    """Features = shape_gain * code(shape) + texture_gain * code(texture) + noise, for
    non-conflict images (shape = texture = label) and every conflict pair."""
    rng = np.random.default_rng(seed)
    shape_code = rng.standard_normal((N_CLASSES, dim))
    texture_code = rng.standard_normal((N_CLASSES, dim))

    def features(shape: np.ndarray, texture: np.ndarray) -> np.ndarray:
        return (shape_gain * shape_code[shape] + texture_gain * texture_code[texture]
                + rng.standard_normal((len(shape), dim)))

    labels = np.repeat(np.arange(N_CLASSES), 30)
    pairs = [(i, j) for i in range(N_CLASSES) for j in range(N_CLASSES) if i != j]
    shape, texture = (np.repeat(np.array(p), 10) for p in zip(*pairs))
    return features(labels, labels), labels, features(shape, texture), shape, texture


def test_shape_only_features_give_bias_one_and_texture_only_zero() -> None:
    shape_only = shape_bias(*_images(1.0, 0.0))
    texture_only = shape_bias(*_images(0.0, 1.0))
    assert shape_only["shape_bias"] > 0.95
    assert texture_only["shape_bias"] < 0.05
    for result in (shape_only, texture_only):
        assert result["n_shape"] + result["n_texture"] + result["n_other"] == 120
        assert result["train_accuracy"] > 0.9
        assert set(result) == {"shape_bias", "n_shape", "n_texture", "n_other",
                               "train_accuracy"}


def test_bias_follows_the_relative_strength_of_the_cues() -> None:
    biases = [shape_bias(*_images(1.0, gain, seed=1))["shape_bias"] for gain in (0.3, 1.0, 3.0)]
    assert biases[0] > biases[1] > biases[2]
    assert 0.2 < biases[1] < 0.8


def test_uninformative_features_classify_at_chance() -> None:
    result = shape_bias(*_images(0.0, 0.0, seed=2))
    assert result["train_accuracy"] < 0.45  # chance is 0.25
    assert result["n_other"] > 0


def test_deterministic_and_rejects_bad_input() -> None:
    data = _images(1.0, 0.5, seed=3)
    assert shape_bias(*data) == shape_bias(*data)
    x, y, xc, shape, texture = data
    with pytest.raises(ValueError, match="no conflict"):
        shape_bias(x, y, xc, shape, shape)
    with pytest.raises(ValueError, match="share D"):
        shape_bias(x, y, xc[:, :-1], shape, texture)
    with pytest.raises(ValueError, match=r"conflict_shape must be \(120,\)"):
        shape_bias(x, y, xc, shape[:-1], texture)
    with pytest.raises(ValueError, match="missing"):
        shape_bias(x[y < 3], y[y < 3], xc, shape, texture)
