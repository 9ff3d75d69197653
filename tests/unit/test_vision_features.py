"""The movie's stimulus Parquet read back, chunked model layers, bins, baselines, the script."""

from __future__ import annotations

import importlib.util
import runpy
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from torch import nn

from brainlike.errors import InputError
from brainlike.features.store import feature_info, read_layer_grid
from brainlike.features.vision import (
    StimulusMovie,
    bin_frames,
    model_layers,
    movie_features,
    read_movie,
)
from brainlike.plan.specs import VisionSpec

ROOT = Path(__file__).resolve().parents[2]
T, H, W, FPS = 50, 16, 20, 30.0


def write_movie(path: Path, frames: np.ndarray, fps: float = FPS,
                latents: dict[str, np.ndarray] | None = None, **override) -> None:
    """A stimulus Parquet as contract section 4 lays it out; ``override`` replaces columns."""
    t, h, w = frames.shape
    pixels = np.round(frames * 255).astype(np.uint8).reshape(t, -1)
    cols = {"frame": pa.array(np.arange(t, dtype=np.int32)),
            "time_s": pa.array(np.arange(t) / fps),
            "height": pa.array(np.full(t, h, np.int32)), "width": pa.array(np.full(t, w, np.int32)),
            "pixels": pa.array([r.tobytes() for r in pixels], pa.binary())}
    cols.update({k: pa.array(v) for k, v in (latents or {}).items()})
    cols.update(override)
    pq.write_table(pa.table({k: v for k, v in cols.items() if v is not None}), path)


@pytest.fixture
def frames():
    return np.random.default_rng(0).random((T, H, W)).astype(np.float32)


def test_read_movie_round_trip_with_latents(tmp_path, frames):
    shape = np.random.default_rng(1).integers(-1, 4, T).astype(np.int16)
    x = np.linspace(3, 9, T).astype(np.float32)
    write_movie(tmp_path / "m.parquet", frames, latents={"shape": shape, "x": x})
    movie = read_movie(tmp_path / "m.parquet")
    assert movie.frames.shape == (T, H, W) and movie.frames.dtype == np.float32
    np.testing.assert_allclose(movie.frames, frames, atol=0.5 / 255 + 1e-6)
    assert movie.fps == pytest.approx(FPS)
    assert set(movie.latents) == {"shape", "x"}
    np.testing.assert_array_equal(movie.latents["shape"], shape)
    assert movie.latents["shape"].dtype == np.int16
    np.testing.assert_array_equal(movie.latents["x"], x)


def test_read_movie_is_row_major_and_sorted_by_frame(tmp_path):
    frames = np.zeros((3, 2, 3), np.float32)
    frames[1, 0, 2] = 1.0  # top-right pixel of frame 1
    write_movie(tmp_path / "m.parquet", frames, fps=10.0)
    table = pq.read_table(tmp_path / "m.parquet")
    pq.write_table(table.take([2, 0, 1]), tmp_path / "shuffled.parquet")
    movie = read_movie(tmp_path / "shuffled.parquet")
    assert movie.latents is None and movie.fps == pytest.approx(10.0)
    assert movie.frames[1, 0, 2] == 1.0 and movie.frames.sum() == 1.0


def test_read_movie_errors_name_the_file(tmp_path, frames):
    path = tmp_path / "m.parquet"
    write_movie(path, frames, pixels=None)
    with pytest.raises(InputError, match="m.parquet.*pixels"):
        read_movie(path)
    short = [bytes(H * W)] * (T - 1) + [bytes(H * W - 1)]
    write_movie(path, frames, pixels=pa.array(short, pa.binary()))
    with pytest.raises(InputError, match=rf"m.parquet.*row {T - 1} has {H * W - 1} pixel bytes"):
        read_movie(path)
    write_movie(path, frames, frame=pa.array(np.arange(T, dtype=np.int32) * 2))
    with pytest.raises(InputError, match="without gaps"):
        read_movie(path)


class CausalStub(nn.Module):
    """Per-frame 4x4 pooled pixels, and a causal sum of them over the last ``k`` frames."""

    def __init__(self, k: int = 5) -> None:
        super().__init__()
        self.k = k
        self.weight = nn.Parameter(torch.linspace(0.5, 1.5, k))

    def layer_names(self) -> list[str]:
        return ["pool", "causal"]

    def forward_layers(self, frames: torch.Tensor) -> dict[str, torch.Tensor]:
        b, t = frames.shape[:2]
        pool = nn.functional.adaptive_avg_pool2d(frames, 4).reshape(b, t, -1)
        padded = nn.functional.pad(pool.transpose(1, 2), (self.k - 1, 0))  # (B, D, k-1+T)
        causal = sum(self.weight[i] * padded[..., i:i + t] for i in range(self.k))
        return {"pool": pool, "causal": causal.transpose(1, 2)}


def test_chunked_layers_equal_one_pass_when_warmup_covers_the_past(frames):
    model = CausalStub(k=5)
    with torch.inference_mode():
        whole = {k: v[0].numpy() for k, v in
                 model.forward_layers(torch.from_numpy(frames)[None]).items()}
    chunked = model_layers(model, frames, "cpu", chunk_frames=12, warmup_frames=4)
    assert set(chunked) == {"pool", "causal"}
    for name, expected in whole.items():
        assert chunked[name].shape == (T, 16) and chunked[name].dtype == np.float32
        np.testing.assert_allclose(chunked[name], expected, rtol=1e-5, atol=1e-6)
    # Without enough warmup the first frames of each later chunk miss their past.
    short = model_layers(model, frames, "cpu", chunk_frames=12, warmup_frames=2)
    np.testing.assert_allclose(short["pool"], whole["pool"], rtol=1e-5, atol=1e-6)
    assert not np.allclose(short["causal"][12:14], whole["causal"][12:14])
    np.testing.assert_allclose(short["causal"][:12], whole["causal"][:12], rtol=1e-5)


def test_model_layers_rejects_a_layer_of_the_wrong_length(frames):
    class Bad(CausalStub):
        def forward_layers(self, frames):
            return {"pool": super().forward_layers(frames)["pool"][:, 1:]}

    with pytest.raises(ValueError, match="'pool' gave shape"):
        model_layers(Bad(), frames, "cpu")


def test_bin_frames_means_and_drops_the_partial_bin():
    x = np.arange(22, dtype=np.float32).reshape(11, 2)  # 11 frames
    out = bin_frames({"a": x}, 4)["a"]
    assert out.shape == (2, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out, [x[:4].mean(0), x[4:8].mean(0)])
    with pytest.raises(ValueError, match="fewer than one bin"):
        bin_frames({"a": x}, 12)
    with pytest.raises(ValueError, match="bin_frames must be >= 1"):
        bin_frames({"a": x}, 0)


def _spec(bin_frames: int) -> VisionSpec:
    return VisionSpec(baselines=("pixels",), bin_frames=bin_frames, delays=(0,), n_folds=2,
                      ceiling_floor=0.0, rdm_splits=2, bootstrap=10, cue_conflict=2)


@pytest.fixture
def shape_classes(monkeypatch):
    """The movie world's SHAPES; a stand-in with the contract's classes until it is merged."""
    if importlib.util.find_spec("brainlike.simulate.movies") is None:
        stub = types.ModuleType("brainlike.simulate.movies")
        stub.SHAPES = ("disc", "square", "triangle", "cross")
        monkeypatch.setitem(sys.modules, "brainlike.simulate.movies", stub)


def test_movie_features_baseline_and_model_paths(shape_classes):
    latents = {"shape": np.zeros(T, np.int16)}
    movie = StimulusMovie(frames=np.random.default_rng(2).random((T, 32, 32)).astype(np.float32),
                          latents=latents, fps=FPS)
    pix = movie_features("pixels", None, movie, _spec(5), "cpu")
    assert list(pix) == ["pixels"] and pix["pixels"].shape == (T // 5, 256)
    # The first bin of the pixels baseline is the mean of its first 5 frames, pooled.
    pooled = movie.frames[:5].reshape(5, 16, 2, 16, 2).mean((2, 4)).reshape(5, -1).mean(0)
    np.testing.assert_allclose(pix["pixels"][0], pooled, rtol=1e-5, atol=1e-6)
    shape = movie_features("shape_label", None, movie, _spec(5), "cpu")["shape_label"]
    np.testing.assert_allclose(shape[:, 0], 1.0)
    layers = movie_features("stub", CausalStub(), movie, _spec(7), "cpu")
    assert {k: v.shape for k, v in layers.items()} == {"pool": (T // 7, 16),
                                                       "causal": (T // 7, 16)}
    with pytest.raises(ValueError, match="unknown vision baseline"):
        movie_features("nope", None, movie, _spec(5), "cpu")


class Inputs(dict):
    """What a Snakemake rule's ``input`` looks like to a script: attributes and keys()."""

    __getattr__ = dict.__getitem__


def test_vision_features_script_writes_one_features_file(tmp_path):
    frames = np.random.default_rng(3).random((40, 32, 32)).astype(np.float32)
    write_movie(tmp_path / "natural_movie_one.parquet", frames, fps=FPS)
    out = tmp_path / "features" / "pixels"
    snakemake = SimpleNamespace(
        input=Inputs(movie=str(tmp_path / "natural_movie_one.parquet")), output=[str(out)],
        log=[str(tmp_path / "log.txt")], threads=1, wildcards=SimpleNamespace(model="pixels"),
        params=SimpleNamespace(spec=_spec(4), model=None,
                               file="data/features/x/pixels/natural_movie_one.parquet"))
    runpy.run_path(str(ROOT / "workflow_scripts" / "vision_features.py"),
                   init_globals={"snakemake": snakemake})
    path = out / "natural_movie_one.parquet"
    info = feature_info(path)
    assert info["model"] == "pixels" and info["movie"] == "natural_movie_one"
    assert info["bin_frames"] == 4 and info["fps"] == pytest.approx(FPS)
    tr, _times, values = read_layer_grid(path, "pixels")
    assert tr == pytest.approx(4 / FPS) and values.shape == (10, 256)
