"""The cue-conflict shape-bias probe: images on disk, a model's features of them, the table.

Each image is shown to a model as a static clip (the same frame ``frames`` times, so a
temporal model sees an object at rest) and read at the clip's last frame. A linear read-out
of each layer is trained on images whose texture agrees with their shape (label = shape) and
asked about conflicting ones (``brainlike.probes.shape_bias``): does it name the shape or
the texture?
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from brainlike.errors import InputError
from brainlike.io.atomic import atomic_path

#: The image table: one row per image, pixels uint8 row-major.
IMAGES = pa.schema([
    ("image", pa.int32()), ("shape", pa.int32()), ("texture", pa.int32()),
    ("conflict", pa.bool_()), ("height", pa.int32()), ("width", pa.int32()),
    ("pixels", pa.binary()),
])
#: One row per model and layer.
SHAPE_BIAS = pa.schema([
    ("model", pa.string()), ("layer", pa.string()), ("shape_bias", pa.float64()),
    ("n_shape", pa.int32()), ("n_texture", pa.int32()), ("n_other", pa.int32()),
    ("train_accuracy", pa.float64()),
])
#: Frames of the static clip each image is shown as; images per forward pass.
CLIP_FRAMES = 10
IMAGE_BATCH = 32


def _check_images(images: Mapping[str, np.ndarray]) -> int:
    x = np.asarray(images["images"])
    if x.ndim != 3 or x.shape[0] == 0:
        raise ValueError(f"images must be (N, H, W) with N >= 1, got shape {x.shape}")
    n = x.shape[0]
    for key in ("shape", "texture", "conflict"):
        if np.shape(images[key]) != (n,):
            raise ValueError(f"images[{key!r}] must be ({n},) like the images, got shape "
                             f"{np.shape(images[key])}")
    return n


def write_images(path: str | Path, images: Mapping[str, np.ndarray]) -> None:
    """Write ``cue_conflict_images``' dict (images (N, H, W) float32 in [0, 1]; shape,
    texture (N,) int; conflict (N,) bool) atomically; pixels are stored as uint8."""
    n = _check_images(images)
    x = np.asarray(images["images"], np.float32)
    _, h, w = x.shape
    pixels = np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8).reshape(n, h * w)
    table = pa.Table.from_pydict({
        "image": np.arange(n, dtype=np.int32),
        "shape": np.asarray(images["shape"], np.int32),
        "texture": np.asarray(images["texture"], np.int32),
        "conflict": np.asarray(images["conflict"], bool),
        "height": np.full(n, h, np.int32), "width": np.full(n, w, np.int32),
        "pixels": [row.tobytes() for row in pixels],
    }, schema=IMAGES)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_images(path: str | Path) -> dict[str, np.ndarray]:
    """The dict ``write_images`` wrote: images (N, H, W) float32 in [0, 1], shape and texture
    (N,) int64, conflict (N,) bool; an InputError names the file when it does not fit."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(path, f"not a readable Parquet file ({exc})") from exc
    missing = [c for c in IMAGES.names if c not in table.column_names]
    if missing:
        raise InputError(path, f"missing column(s) {missing} of a cue-conflict image table")
    if table.num_rows == 0:
        raise InputError(path, "no images")
    table = table.sort_by("image")
    h, w = (np.unique(table.column(c).to_numpy()) for c in ("height", "width"))
    if h.size != 1 or w.size != 1:
        raise InputError(path, f"images must share one size, found heights {h.tolist()} and "
                               f"widths {w.tolist()}")
    raw = table.column("pixels").to_pylist()
    bad = [i for i, b in enumerate(raw) if b is None or len(b) != h[0] * w[0]]
    if bad:
        raise InputError(path, f"image row {bad[0]} does not hold {h[0]}x{w[0]} pixel bytes")
    pixels = np.frombuffer(b"".join(raw), np.uint8).reshape(-1, int(h[0]), int(w[0]))
    return {"images": pixels.astype(np.float32) / np.float32(255.0),
            "shape": table.column("shape").to_numpy().astype(np.int64),
            "texture": table.column("texture").to_numpy().astype(np.int64),
            "conflict": table.column("conflict").to_numpy().astype(bool)}


def image_features(model, images: np.ndarray, device,
                   frames: int = CLIP_FRAMES) -> dict[str, np.ndarray]:
    """Layer name -> (N, D) float32: each of images (N, H, W) shown as a static clip of
    ``frames`` frames through ``model.forward_layers``, read at the last frame."""
    import torch

    images = np.asarray(images)
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(f"images must be (N, H, W) with N >= 1, got shape {images.shape}")
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    model.eval()
    parts: dict[str, list[np.ndarray]] = {}
    with torch.inference_mode():
        for start in range(0, images.shape[0], IMAGE_BATCH):
            x = torch.from_numpy(np.ascontiguousarray(images[start:start + IMAGE_BATCH],
                                                      np.float32)).to(device)
            clip = x[:, None].expand(-1, frames, -1, -1)
            for name, value in model.forward_layers(clip).items():
                if value.ndim != 3 or value.shape[:2] != (x.shape[0], frames):
                    raise ValueError(f"layer {name!r} gave shape {tuple(value.shape)}; expected "
                                     f"({x.shape[0]}, {frames}, D)")
                parts.setdefault(name, []).append(value[:, -1].float().cpu().numpy())
    return {name: np.concatenate(chunks) for name, chunks in parts.items()}


def shape_bias_table(name: str, layers: dict[str, np.ndarray],
                     table: Mapping[str, np.ndarray], seed: int) -> pd.DataFrame:
    """One row per layer (columns of ``SHAPE_BIAS``) of model ``name``.

    layers: layer -> (N, D) features of the N images; table: the images' ``shape``,
    ``texture`` (N,) and ``conflict`` (N,) bool (``read_images``). The read-out trains on
    the non-conflict images (label = shape) and is scored on the conflict ones.
    """
    # Imported here: the read-out is its own module, needed only when a table is made.
    from brainlike.probes.shape_bias import shape_bias

    conflict = np.asarray(table["conflict"], bool)
    shape, texture = np.asarray(table["shape"]), np.asarray(table["texture"])
    if conflict.all() or not conflict.any():
        raise ValueError(f"need both conflict and non-conflict images, found {conflict.sum()} "
                         f"conflict of {conflict.size}")
    # The read-out as contracted draws nothing at random; a seed goes to it once it does.
    extra = {"seed": seed} if "seed" in inspect.signature(shape_bias).parameters else {}
    rows = []
    for layer, x in layers.items():
        if x.ndim != 2 or x.shape[0] != conflict.size:
            raise ValueError(f"layer {layer!r} must be ({conflict.size}, D), got shape {x.shape}")
        result = shape_bias(x[~conflict], shape[~conflict], x[conflict], shape[conflict],
                            texture[conflict], **extra)
        rows.append({"model": name, "layer": layer,
                     **{k: result[k] for k in SHAPE_BIAS.names[2:]}})
    return pd.DataFrame(rows, columns=SHAPE_BIAS.names)


def write_shape_bias(path: str | Path, frame: pd.DataFrame) -> None:
    """Write a ``shape_bias_table`` atomically with the ``SHAPE_BIAS`` column types."""
    table = pa.Table.from_pandas(frame, schema=SHAPE_BIAS, preserve_index=False)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
