"""The video corpus to clips/1 shards and back: labels per clip and per frame, bad labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from brainlike.errors import InputError
from brainlike.plan.viewing import VideoCorpus, VideoSimulation
from brainlike.preprocess.clips import LABELS, build_shards
from brainlike.simulate.movies import MovieWorld, render_clip
from brainlike.simulate.video_corpus import build_video_corpus, clip_seed
from brainlike.training.clips import clip_batches, heldout_clip_batches

CORPUS = VideoCorpus(name="movies", source="unused", version=None, collections=("clips",),
                     heldout_clips=2, shard_clips=3,
                     simulate=VideoSimulation(clips=6, clip_frames=30, size=48))


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    build_video_corpus(CORPUS, seed=7, root=root / "raw")
    index = build_shards(CORPUS, root / "raw", "clips", root / "shards")
    return root, index


def test_shards_keep_every_frame_direction(shards):
    root, index = shards
    assert [s["rows"] for s in index["shards"]] == [3, 3]
    train = next(clip_batches([root / "shards"], batch_size=4, seed=0)(0))
    assert train["frames"].shape == (4, 30, 48, 48) and train["shape"].shape == (4,)
    assert train["direction"].shape == (4, 30)
    held = heldout_clip_batches([root / "shards"], batch_size=4)
    assert sum(len(b["shape"]) for b in held) == 2
    # The held-out clips are the corpus's last two, with the generator's per-frame labels.
    world = MovieWorld(size=48)
    for k, direction in zip((4, 5), held[0]["direction"]):
        truth = render_clip(world, 30, clip_seed(7, "clips", k)).latents["direction_class"]
        np.testing.assert_array_equal(direction.numpy(), truth)
    labels = pd.read_csv(root / "raw" / "clips" / LABELS, sep="\t", dtype={"directions": str})
    assert (labels["directions"].str.len() == 30).all()


def test_a_clip_without_per_frame_directions_repeats_its_direction(tmp_path, shards):
    root, _ = shards
    raw = tmp_path / "raw"
    (raw / "clips").mkdir(parents=True)
    labels = pd.read_csv(root / "raw" / "clips" / LABELS, sep="\t", dtype={"clip": str})
    for clip in labels["clip"]:
        (raw / "clips" / f"{clip}.npy").write_bytes((root / "raw" / "clips" / f"{clip}.npy")
                                                     .read_bytes())
    labels.drop(columns="directions").to_csv(raw / "clips" / LABELS, sep="\t", index=False)
    build_shards(CORPUS, raw, "clips", tmp_path / "shards")
    held = heldout_clip_batches([tmp_path / "shards"], batch_size=4)[0]
    expected = labels["direction"].to_numpy()[-2:, None].repeat(30, 1)
    np.testing.assert_array_equal(held["direction"].numpy(), expected)


def test_directions_that_do_not_fit_the_clip_name_the_labels_file(tmp_path, shards):
    root, _ = shards
    raw = tmp_path / "raw"
    (raw / "clips").mkdir(parents=True)
    labels = pd.read_csv(root / "raw" / "clips" / LABELS, sep="\t",
                         dtype={"clip": str, "directions": str})
    for clip in labels["clip"]:
        (raw / "clips" / f"{clip}.npy").write_bytes((root / "raw" / "clips" / f"{clip}.npy")
                                                     .read_bytes())
    labels.loc[1, "directions"] = labels.loc[1, "directions"][:-1]
    labels.to_csv(raw / "clips" / LABELS, sep="\t", index=False)
    with pytest.raises(InputError, match=r"labels\.tsv.*clip-00001.*one digit 0-7 per frame"):
        build_shards(CORPUS, raw, "clips", tmp_path / "shards")
    assert not (tmp_path / "shards").exists()
    labels.loc[1, "directions"] = "8" * 30  # a digit, but no direction class
    labels.to_csv(raw / "clips" / LABELS, sep="\t", index=False)
    with pytest.raises(InputError, match=r"clip-00001.*one digit 0-7 per frame"):
        build_shards(CORPUS, raw, "clips", tmp_path / "shards")
