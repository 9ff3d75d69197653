"""Cue-conflict images on disk, a model's features of them, and the shape-bias table."""

from __future__ import annotations

import importlib.util
import sys
import types

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import torch
from torch import nn

from brainlike.errors import InputError
from brainlike.probes.cue_conflict import (
    IMAGE_BATCH,
    SHAPE_BIAS,
    image_features,
    read_images,
    shape_bias_table,
    write_images,
    write_shape_bias,
)

N_CLASSES = 4


def make_images(n_per_pair: int = 3, size: int = 12, seed: int = 0) -> dict[str, np.ndarray]:
    """Every (shape, texture) pair ``n_per_pair`` times; texture == shape is no conflict."""
    shape, texture = (a.ravel() for a in np.meshgrid(np.arange(N_CLASSES), np.arange(N_CLASSES),
                                                     indexing="ij"))
    shape, texture = np.repeat(shape, n_per_pair), np.repeat(texture, n_per_pair)
    rng = np.random.default_rng(seed)
    return {"images": rng.random((shape.size, size, size)).astype(np.float32),
            "shape": shape, "texture": texture, "conflict": shape != texture}


def test_image_table_round_trip(tmp_path):
    images = make_images()
    write_images(tmp_path / "cc.parquet", images)
    back = read_images(tmp_path / "cc.parquet")
    np.testing.assert_allclose(back["images"], images["images"], atol=0.5 / 255 + 1e-6)
    assert back["images"].dtype == np.float32
    for key in ("shape", "texture", "conflict"):
        np.testing.assert_array_equal(back[key], images[key])
    assert back["conflict"].dtype == bool
    assert pq.read_schema(tmp_path / "cc.parquet").field("pixels").type == "binary"


def test_image_table_errors(tmp_path):
    images = make_images()
    with pytest.raises(ValueError, match=r"images\['shape'\] must be"):
        write_images(tmp_path / "cc.parquet", {**images, "shape": images["shape"][:-1]})
    write_images(tmp_path / "cc.parquet", images)
    table = pq.read_table(tmp_path / "cc.parquet")
    pq.write_table(table.drop_columns(["texture"]), tmp_path / "bad.parquet")
    with pytest.raises(InputError, match="bad.parquet.*texture"):
        read_images(tmp_path / "bad.parquet")


class StaticStub(nn.Module):
    """"mean": running mean over time of each frame's 2x2 pooled pixels (causal);
    "count": how many frames it has seen, so the read-out frame is known."""

    def forward_layers(self, frames: torch.Tensor) -> dict[str, torch.Tensor]:
        b, t = frames.shape[:2]
        pool = nn.functional.adaptive_avg_pool2d(frames, 2).reshape(b, t, 4)
        seen = torch.arange(1, t + 1, dtype=frames.dtype).reshape(1, t, 1).expand(b, t, 1)
        return {"mean": pool.cumsum(1) / seen, "count": seen}


def test_image_features_read_the_last_frame_of_a_static_clip():
    images = make_images(n_per_pair=3)["images"]  # 48 images: more than one batch
    assert images.shape[0] > IMAGE_BATCH
    layers = image_features(StaticStub(), images, "cpu", frames=7)
    assert {k: v.shape for k, v in layers.items()} == {"mean": (48, 4), "count": (48, 1)}
    np.testing.assert_allclose(layers["count"], 7.0)
    pooled = images.reshape(48, 2, 6, 2, 6).mean((2, 4)).reshape(48, 4)
    np.testing.assert_allclose(layers["mean"], pooled, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        image_features(StaticStub(), images[0], "cpu")


@pytest.fixture
def recording_shape_bias(monkeypatch):
    """A stand-in read-out that records what it was given (the real one is tested below)."""
    calls = []

    def shape_bias(train_features, train_labels, conflict_features, conflict_shape,
                   conflict_texture):
        calls.append((train_features, train_labels, conflict_features, conflict_shape,
                      conflict_texture))
        return {"shape_bias": 0.25 * len(calls), "n_shape": 1, "n_texture": 3, "n_other": 0,
                "train_accuracy": 1.0}

    stub = types.ModuleType("brainlike.probes.shape_bias")
    stub.shape_bias = shape_bias
    monkeypatch.setitem(sys.modules, "brainlike.probes.shape_bias", stub)
    return calls


def test_shape_bias_table_trains_on_agreeing_images_and_asks_conflicting_ones(
        recording_shape_bias, tmp_path):
    images = make_images(n_per_pair=2)
    x = np.arange(images["shape"].size, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)
    frame = shape_bias_table("cpc", {"early": x, "late": 2 * x}, images, seed=0)
    assert list(frame.columns) == SHAPE_BIAS.names
    assert frame["layer"].tolist() == ["early", "late"] and (frame["model"] == "cpc").all()
    np.testing.assert_allclose(frame["shape_bias"], [0.25, 0.5])
    train_x, train_y, test_x, test_shape, test_texture = recording_shape_bias[0]
    agree = ~images["conflict"]
    np.testing.assert_array_equal(train_x, x[agree])
    np.testing.assert_array_equal(train_y, images["shape"][agree])
    np.testing.assert_array_equal(test_x, x[~agree])
    np.testing.assert_array_equal(test_shape, images["shape"][~agree])
    np.testing.assert_array_equal(test_texture, images["texture"][~agree])
    write_shape_bias(tmp_path / "sb.parquet", frame)
    back = pd.read_parquet(tmp_path / "sb.parquet")
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert pq.read_schema(tmp_path / "sb.parquet").field("n_shape").type == "int32"
    with pytest.raises(ValueError, match="must be"):
        shape_bias_table("cpc", {"early": x[1:]}, images, seed=0)


def test_features_of_shape_alone_give_a_shape_bias_near_one():
    if importlib.util.find_spec("brainlike.probes.shape_bias") is None:
        pytest.skip("brainlike.probes.shape_bias is not merged yet")
    images = make_images(n_per_pair=10)
    rng = np.random.default_rng(4)
    n = images["shape"].size

    def encoding(classes):  # one-hot of the classes, noisy
        return (3.0 * np.eye(N_CLASSES)[classes]
                + 0.3 * rng.standard_normal((n, N_CLASSES))).astype(np.float32)

    frame = shape_bias_table("stub", {"shape": encoding(images["shape"]),
                                      "texture": encoding(images["texture"])}, images, seed=0)
    by_layer = frame.set_index("layer")["shape_bias"]
    assert by_layer["shape"] > 0.9
    assert by_layer["texture"] < 0.1
