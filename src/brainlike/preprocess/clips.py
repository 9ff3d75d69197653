"""Video corpora to sharded Parquet: ``<collection>/clip-<n>.npy`` + ``labels.tsv``.

Each clip is uint8 (frames, height, width); ``labels.tsv`` has a row per clip (clip, shape,
texture, direction) and, optionally, ``directions``: the direction class of every frame, one
digit per frame (without it, every frame has the clip's ``direction``). The last
``heldout_clips`` clips (in clip order) are marked held out, so every model trained on the
corpus is checked on the same clips.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from brainlike.errors import InputError
from brainlike.io.atomic import atomic_directory, write_json
from brainlike.io.schemas import write_table
from brainlike.plan.viewing import VideoCorpus
from brainlike.simulate.movies import N_DIRECTIONS

log = logging.getLogger(__name__)

LABELS = "labels.tsv"
LABEL_COLUMNS = ("clip", "shape", "texture", "direction")


def read_labels(folder: Path) -> pd.DataFrame:
    path = folder / LABELS
    if not path.is_file():
        raise InputError(path, "the collection's clip labels are missing")
    labels = pd.read_csv(path, sep="\t", dtype={"clip": str, "directions": str})
    missing = [c for c in LABEL_COLUMNS if c not in labels.columns]
    if missing:
        raise InputError(path, f"missing columns {missing}")
    if labels.empty:
        raise InputError(path, "lists no clips")
    return labels


def load_clip(path: Path) -> np.ndarray:
    """(frames, height, width) uint8 of one clip file; InputError naming it otherwise."""
    try:
        clip = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(path, f"not a readable .npy clip ({exc})") from exc
    if clip.dtype != np.uint8 or clip.ndim != 3 or min(clip.shape) < 1:
        raise InputError(path, f"expected uint8 (frames, height, width), found {clip.dtype} "
                               f"{clip.shape}")
    return clip


def frame_directions(row: pd.Series, n_frames: int, path: Path) -> bytes:
    """The clip's per-frame direction classes as int8 bytes (``directions``, else its
    ``direction`` repeated); InputError naming ``path`` if they do not fit the clip."""
    digits = row.get("directions")
    if not isinstance(digits, str):
        return np.full(n_frames, row["direction"], np.int8).tobytes()
    classes = np.frombuffer(digits.encode(), np.uint8).astype(np.int16) - ord("0")
    if len(digits) != n_frames or not np.all((classes >= 0) & (classes < N_DIRECTIONS)):
        raise InputError(path, f"clip {row['clip']}: `directions` must hold one digit "
                               f"0-{N_DIRECTIONS - 1} per frame ({n_frames}), found "
                               f"{digits[:20]!r}...")
    return classes.astype(np.int8).tobytes()


def build_shards(corpus: VideoCorpus, root: Path, collection: str, out: Path) -> dict:
    """Write ``out/shard-NNNNN.parquet`` (clips/1) and ``out/index.json``; return the index."""
    folder = root / collection
    labels = read_labels(folder)
    n = len(labels)
    if n <= corpus.heldout_clips:
        raise InputError(folder / LABELS, f"{n} clips leave none to train on after "
                                          f"{corpus.heldout_clips} held out")
    index: dict = {"corpus": corpus.name, "collection": collection, "shards": [],
                   "clips": n, "heldout_clips": corpus.heldout_clips}
    with atomic_directory(out) as tmp:
        for start in range(0, n, corpus.shard_clips):
            rows = labels.iloc[start:start + corpus.shard_clips]
            clips = [load_clip(folder / f"{c}.npy") for c in rows["clip"]]
            shapes = {c.shape for c in clips}
            table = pa.table({
                "clip": rows["clip"].tolist(),
                "split": ["heldout" if i >= n - corpus.heldout_clips else "train"
                          for i in range(start, start + len(rows))],
                "n_frames": [c.shape[0] for c in clips], "height": [c.shape[1] for c in clips],
                "width": [c.shape[2] for c in clips], "frames": [c.tobytes() for c in clips],
                "shape": rows["shape"].astype(np.int16), "texture": rows["texture"].astype(np.int16),
                "directions": [frame_directions(row, clip.shape[0], folder / LABELS)
                               for (_, row), clip in zip(rows.iterrows(), clips)]})
            name = f"shard-{len(index['shards']):05d}.parquet"
            write_table(table, tmp / name, "clips/1")
            index["shards"].append({"file": name, "rows": len(rows),
                                    "shapes": sorted(str(s) for s in shapes)})
            log.info("%s: %d clips", name, len(rows))
        write_json(tmp / "index.json", index)
    return index
