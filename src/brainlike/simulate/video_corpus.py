"""The embedded video corpus: one-object clips of the movie world, as a DataLad dataset.

Each clip is one segment of :func:`brainlike.simulate.movies.render_clip` (a shape class
with an independent texture, its own motion over a self-moving background), written as
``<collection>/clip-<n>.npy`` (uint8) with a row in ``<collection>/labels.tsv`` (the motion
direction class of the first frame, ``direction``, and of every frame, ``directions``, one
digit per frame). Clip seeds derive from the master seed, the collection and the clip number,
never from the movie's.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from brainlike.plan.viewing import VideoCorpus
from brainlike.simulate.movies import MovieWorld, render_clip

#: Keeps the corpus's clip seeds apart from the viewing dataset's movie seeds.
STREAM = "video-corpus"


def clip_seed(seed: int, collection: str, k: int) -> int:
    return zlib.crc32(f"{STREAM}/{seed}/{collection}/{k}".encode())


def build_video_corpus(corpus: VideoCorpus, seed: int, root: Path) -> dict:
    """Write every collection's clips and labels under ``root``; return counts."""
    sim = corpus.simulate
    if sim is None:
        raise ValueError(f"video corpus {corpus.name!r} has no `simulate` block")
    world = MovieWorld(size=sim.size)
    for collection in corpus.collections:
        folder = root / collection
        folder.mkdir(parents=True)
        rows = []
        for k in range(sim.clips):
            clip = render_clip(world, sim.clip_frames, clip_seed(seed, collection, k))
            name = f"clip-{k:05d}"
            np.save(folder / f"{name}.npy", np.round(clip.frames * 255).astype(np.uint8))
            lat = clip.latents
            rows.append({"clip": name, "shape": int(lat["shape"][0]),
                         "texture": int(lat["texture"][0]),
                         "direction": int(lat["direction_class"][0]),
                         "directions": "".join(map(str, lat["direction_class"])),
                         "rel_speed": float(lat["rel_speed"][0]),
                         "self_speed": float(np.hypot(lat["background_vx"][0],
                                                      lat["background_vy"][0]))})
        pd.DataFrame(rows).to_csv(folder / "labels.tsv", sep="\t", index=False,
                                  float_format="%.4f")
    return {"collections": list(corpus.collections), "clips": sim.clips,
            "clip_frames": sim.clip_frames, "size": sim.size}
