"""From the movie's stimulus Parquet to every layer of a vision model (or baseline), binned.

The movie is minutes long; a model's forward pass holds a few hundred frames. It is cut
into chunks of ``chunk_frames``, and, because temporal models read the past, each chunk
after the first is fed with ``warmup_frames`` earlier frames in front whose outputs are
dropped: with a warmup at least the model's receptive field in time, the chunked features
equal one pass over the whole movie. Frames are then averaged into bins of
``VisionSpec.bin_frames`` (the cells' time grid).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from brainlike.errors import InputError
from brainlike.io.tables import read_columns
from brainlike.plan.specs import VisionSpec

#: Columns every stimulus Parquet has (vision contract section 4); any other is a latent.
MOVIE_COLUMNS = ("frame", "time_s", "height", "width", "pixels")
#: Frames per forward pass, and earlier frames fed in front of each chunk after the first.
CHUNK_FRAMES = 300
WARMUP_FRAMES = 40


@dataclass
class StimulusMovie:
    """A movie read back from its stimulus Parquet.

    frames: (T, H, W) float32 in [0, 1]; latents: per-frame ground truth, each (T,), or None
    for a recorded movie; fps: frames per second.
    """

    frames: np.ndarray
    latents: dict[str, np.ndarray] | None
    fps: float
    source: str = ""


def _pixels(path: str | Path, column: pa.ChunkedArray, size: int) -> np.ndarray:
    """(T, size) uint8 from a binary column whose every value must hold ``size`` bytes."""
    arr = column.combine_chunks().cast(pa.large_binary())
    if arr.null_count:
        raise InputError(path, f"{arr.null_count} frame(s) have no pixels")
    offsets = np.frombuffer(arr.buffers()[1], np.int64)[arr.offset:arr.offset + len(arr) + 1]
    lengths = np.diff(offsets)
    bad = np.flatnonzero(lengths != size)
    if bad.size:
        raise InputError(path, f"frame row {int(bad[0])} has {int(lengths[bad[0]])} pixel bytes, "
                               f"its height x width needs {size}")
    data = np.frombuffer(arr.buffers()[2], np.uint8)
    return data[offsets[0]:offsets[-1]].reshape(len(arr), size)


def read_movie(path: str | Path) -> StimulusMovie:
    """Read a stimulus Parquet (one row per frame; pixels uint8 row-major; latents optional).

    An InputError names the file when a column is missing, the frames are not 0..T-1, the
    frame sizes differ, or a frame's pixels are not height x width bytes.
    """
    table = read_columns(path, MOVIE_COLUMNS, "a stimulus movie")
    if table.num_rows < 2:
        raise InputError(path, f"a movie needs at least 2 frames to know its rate, found "
                               f"{table.num_rows}")
    table = table.sort_by("frame")
    frame = table.column("frame").to_numpy()
    if not np.array_equal(frame, np.arange(len(frame))):
        raise InputError(path, f"frames must be numbered 0..{len(frame) - 1} without gaps, "
                               f"found {frame.min()}..{frame.max()} over {len(frame)} rows")
    height, width = (table.column(c).to_numpy() for c in ("height", "width"))
    if np.unique(height).size != 1 or np.unique(width).size != 1:
        raise InputError(path, f"every frame must have one size, found heights "
                               f"{np.unique(height).tolist()} and widths {np.unique(width).tolist()}")
    h, w = int(height[0]), int(width[0])
    if h < 1 or w < 1:
        raise InputError(path, f"frame size must be positive, found {h}x{w}")
    time_s = table.column("time_s").to_numpy().astype(np.float64)
    step = np.diff(time_s)
    if np.any(step <= 0) or not np.allclose(step, step.mean(), rtol=1e-6, atol=1e-9):
        raise InputError(path, "time_s must increase by one frame period per frame")
    fps = float((len(frame) - 1) / (time_s[-1] - time_s[0]))
    frames = _pixels(path, table.column("pixels"), h * w).reshape(-1, h, w)
    names = [c for c in table.column_names if c not in MOVIE_COLUMNS]
    latents = {c: table.column(c).to_numpy() for c in names} or None
    return StimulusMovie(frames=frames.astype(np.float32) / np.float32(255.0), latents=latents,
                         fps=fps, source=str(path))


def model_layers(model, frames: np.ndarray, device, chunk_frames: int = CHUNK_FRAMES,
                 warmup_frames: int = WARMUP_FRAMES) -> dict[str, np.ndarray]:
    """Layer name -> (T, D) float32: ``model.forward_layers`` over frames (T, H, W) in chunks.

    Each chunk after the first is preceded by up to ``warmup_frames`` earlier frames whose
    outputs are dropped, so a temporal model sees that much past at every chunk's start.
    The model is put in eval mode (dropout and masking off).
    """
    import torch

    frames = np.asarray(frames)
    if frames.ndim != 3 or frames.shape[0] == 0:
        raise ValueError(f"frames must be (T, H, W) with T >= 1, got shape {frames.shape}")
    if chunk_frames < 1 or warmup_frames < 0:
        raise ValueError(f"chunk_frames must be >= 1 and warmup_frames >= 0, got "
                         f"{chunk_frames} and {warmup_frames}")
    model.eval()
    n = frames.shape[0]
    parts: dict[str, list[np.ndarray]] = {}
    with torch.inference_mode():
        for start in range(0, n, chunk_frames):
            stop = min(start + chunk_frames, n)
            first = max(0, start - warmup_frames)
            x = torch.from_numpy(np.ascontiguousarray(frames[first:stop], np.float32))
            out = model.forward_layers(x.unsqueeze(0).to(device))
            for name, value in out.items():
                if value.ndim != 3 or value.shape[:2] != (1, stop - first):
                    raise ValueError(f"layer {name!r} gave shape {tuple(value.shape)} for "
                                     f"{stop - first} frames; expected (1, {stop - first}, D)")
                parts.setdefault(name, []).append(
                    value[0, start - first:].float().cpu().numpy())
    return {name: np.concatenate(chunks) for name, chunks in parts.items()}


def bin_frames(layers: dict[str, np.ndarray], bin_frames: int) -> dict[str, np.ndarray]:
    """Layer name -> (n_bins, D) float32: means over consecutive bins of ``bin_frames`` frames
    of each (T, D) layer, n_bins = T // bin_frames (a trailing partial bin is dropped)."""
    if bin_frames < 1:
        raise ValueError(f"bin_frames must be >= 1, got {bin_frames}")
    out = {}
    for name, values in layers.items():
        if values.ndim != 2:
            raise ValueError(f"layer {name!r} must be (T, D), got shape {values.shape}")
        n_bins = values.shape[0] // bin_frames
        if n_bins == 0:
            raise ValueError(f"layer {name!r} has {values.shape[0]} frames, fewer than one bin "
                             f"of {bin_frames}")
        kept = values[:n_bins * bin_frames].astype(np.float64)
        out[name] = kept.reshape(n_bins, bin_frames, -1).mean(1).astype(np.float32)
    return out


def movie_features(name: str, model, movie: StimulusMovie, spec: VisionSpec,
                   device) -> dict[str, np.ndarray]:
    """Layer name -> (n_bins, D): baseline ``name`` (model None) or the model's layers, binned
    into ``spec.bin_frames``-frame bins."""
    if model is None:
        from brainlike.features.vision_baselines import baseline_layers

        layers = baseline_layers(name, movie.frames, movie.latents)
    else:
        layers = model_layers(model, movie.frames, device)
    return bin_frames(layers, spec.bin_frames)


def load_vision_model(path: str | Path, device):
    """A vision model (eval mode) from its checkpoint, on ``device``."""
    from brainlike.models import checkpoint

    return checkpoint.load(path, device)[0]
