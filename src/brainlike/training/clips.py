"""Batches of video clips from clips/1 shards: deterministic, resumable, held-out apart.

The whole training split is small enough to hold as uint8 (the default corpus is a few
hundred MB at most), so batches are drawn from memory: epoch ``e`` visits the clips in a
permutation seeded by (seed, e), and ``skip`` batches are skipped by arithmetic, not by
reading them, when a run resumes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import torch

from brainlike.errors import InputError
from brainlike.io.schemas import check_schema

LABELS = ("shape", "texture", "direction")
#: The labels given per clip; ``direction`` is per frame (the shards' ``directions``).
_CLIP_LABELS = ("shape", "texture")


def load_clips(directories: list[Path], split: str) -> dict[str, np.ndarray]:
    """frames (N, T, H, W) uint8, shape and texture (N,) and direction (N, T) (per frame)
    of every clip of ``split`` in the collections' shards (clips cut to the shortest clip's
    length)."""
    frames, labels = [], {k: [] for k in LABELS}
    for directory in directories:
        shards = sorted(Path(directory).glob("shard-*.parquet"))
        if not shards:
            raise InputError(directory, "holds no clips/1 shards")
        for shard in shards:
            check_schema(shard, "clips/1")
            table = pq.read_table(shard, filters=[("split", "=", split)])
            for row in table.to_pylist():
                clip = np.frombuffer(row["frames"], np.uint8)
                frames.append(clip.reshape(row["n_frames"], row["height"], row["width"]))
                for k in _CLIP_LABELS:
                    labels[k].append(row[k])
                labels["direction"].append(np.frombuffer(row["directions"], np.int8))
    if not frames:
        raise InputError(directories[0], f"no {split} clips")
    length = min(len(f) for f in frames)
    labels["direction"] = [d[:length] for d in labels["direction"]]
    return {"frames": np.stack([f[:length] for f in frames]),
            **{k: np.asarray(v, np.int64) for k, v in labels.items()}}


def _batch(clips: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, torch.Tensor]:
    return {"frames": torch.from_numpy(clips["frames"][idx].astype(np.float32) / 255.0),
            **{k: torch.from_numpy(clips[k][idx]) for k in LABELS}}


def clip_batches(directories: list[Path], batch_size: int, seed: int
                 ) -> Callable[[int], Iterator[dict]]:
    """``batches(skip)``: an endless iterator of training batches after the first ``skip``."""
    clips = load_clips(directories, "train")
    n = len(clips["frames"])
    per_epoch = max(1, n // batch_size)
    if n < batch_size:
        raise InputError(directories[0], f"{n} training clips, fewer than a batch "
                                         f"({batch_size})")

    def batches(skip: int = 0) -> Iterator[dict]:
        step = skip
        while True:
            epoch, k = divmod(step, per_epoch)
            order = np.random.default_rng([seed, epoch]).permutation(n)
            yield _batch(clips, order[k * batch_size:(k + 1) * batch_size])
            step += 1

    return batches


def heldout_clip_batches(directories: list[Path], batch_size: int) -> list[dict]:
    """The held-out clips in order, batched (the last batch may be smaller)."""
    clips = load_clips(directories, "heldout")
    n = len(clips["frames"])
    return [_batch(clips, np.arange(i, min(i + batch_size, n))) for i in range(0, n, batch_size)]
