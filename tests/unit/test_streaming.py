"""Corpus shards (brainlike.preprocess.corpus, brainlike.plan.datasets.Corpus) and the crop
stream (brainlike.training.crops)."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pyarrow.parquet as pq
import pytest
import soundfile as sf
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from brainlike.errors import InputError
from brainlike.io.schemas import read_table
from brainlike.plan.datasets import Corpus
from brainlike.preprocess.corpus import build_shards
from brainlike.training.crops import CropStream, row_groups

SR_IN = 22050
# (speaker, chapter, seconds): sorted order is spk-a/ch1, spk-a/ch2, spk-b/ch3, spk-b/ch4, ...
CHAPTERS = [("spk-a", "ch1", 0.8), ("spk-a", "ch2", 1.0), ("spk-b", "ch3", 1.2),
            ("spk-b", "ch4", 0.9), ("spk-c", "ch5", 1.1)]
ALIGN = {"words": [
    {"case": "success", "word": "hello", "start": 0.1, "end": 0.4,
     "phones": [{"duration": 0.1, "phone": "hh_B"}, {"duration": 0.2, "phone": "ow_E"}]},
    {"case": "not-found-in-audio", "word": "uh"},
    {"case": "success", "word": "there", "start": 0.5, "end": 0.7,
     "phones": [{"duration": 0.2, "phone": "dh_S"}]},
]}


def _n_out(seconds: float) -> int:
    """Samples after resampling 22050 -> 16000 Hz (torchaudio rounds the length up)."""
    n_in = int(round(seconds * SR_IN))
    return -(-n_in * 16000 // SR_IN)


@pytest.fixture(scope="module")
def corpus_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(0)
    for i, (speaker, chapter, seconds) in enumerate(CHAPTERS):
        folder = root / "en" / speaker
        folder.mkdir(parents=True, exist_ok=True)
        t = np.arange(int(round(seconds * SR_IN))) / SR_IN
        x = 0.3 * np.sin(2 * np.pi * (200 + 100 * i) * t) + 0.01 * rng.standard_normal(len(t))
        sf.write(folder / f"{chapter}.wav", x.astype(np.float32), SR_IN, subtype="PCM_16")
    (root / "en" / "spk-b" / "ch3.align.json").write_text(json.dumps(ALIGN))
    (root / "en" / "spk-b" / "notes.txt").write_text("ignored")
    return root


@pytest.fixture(scope="module")
def shards(corpus_tree, tmp_path_factory):
    # limit: 0.025 min = 1.5 s = 24000 samples -> chapters (12800, 16000, 19200, 14400, 17600)
    # fill shards of 2, 2 and 1 chapters
    corpus = Corpus.from_config("tiny", {"source": "local", "collections": ["en"],
                                         "shard_minutes": 0.025, "row_group_chapters": 1})
    out = tmp_path_factory.mktemp("shards") / "en"
    index = build_shards(corpus, corpus_tree, "en", out)
    return out, index


def test_corpus_config_defaults_and_overrides():
    c = Corpus.from_config("c", {"source": "s", "collections": ["en", "fr"]})
    assert (c.sample_rate, c.shard_minutes, c.row_group_chapters) == (16000, 30.0, 4)
    assert c.collections == ("en", "fr") and c.simulate is None
    assert c.files_to_get() == ["en", "fr"]
    c = Corpus.from_config("c", {"source": "s", "collections": ["en"], "sample_rate": "8000",
                                 "shard_minutes": 2, "row_group_chapters": 1,
                                 "simulate": {"speakers": 2}})
    assert (c.sample_rate, c.shard_minutes, c.row_group_chapters) == (8000, 2.0, 1)
    assert c.simulate is not None and c.simulate.speakers == 2


def test_index(shards):
    out, index = shards
    on_disk = json.loads((out / "index.json").read_text())
    assert on_disk == index
    assert index["corpus"] == "tiny" and index["collection"] == "en"
    assert index["sample_rate"] == 16000
    assert [s["file"] for s in index["shards"]] == [
        "shard-00000.parquet", "shard-00001.parquet", "shard-00002.parquet"]
    assert [s["rows"] for s in index["shards"]] == [2, 2, 1]
    lengths = [_n_out(sec) for _, _, sec in CHAPTERS]
    expected = [(lengths[0] + lengths[1]) / 16000, (lengths[2] + lengths[3]) / 16000,
                lengths[4] / 16000]
    assert [s["seconds"] for s in index["shards"]] == pytest.approx(expected)
    assert index["seconds"] == pytest.approx(sum(lengths) / 16000)
    assert index["seconds"] == pytest.approx(sum(s["seconds"] for s in index["shards"]))
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [s["file"] for s in index["shards"]] + ["index.json"])
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp dirs


def test_shards_are_utterance_at_16k(shards):
    out, index = shards
    seen = []
    for shard in index["shards"]:
        path = out / shard["file"]
        table = read_table(path, "utterance/1")
        assert table.num_rows == shard["rows"]
        assert pq.ParquetFile(path).num_row_groups == shard["rows"]  # row_group_chapters=1
        assert set(table.column("sample_rate").to_pylist()) == {16000}
        assert set(table.column("collection").to_pylist()) == {"en"}
        for row in table.to_pylist():
            assert len(row["audio"]) == row["n_samples"]
            seen.append((row["speaker"], row["utt_id"], row["n_samples"]))
    assert seen == [(spk, ch, _n_out(sec)) for spk, ch, sec in CHAPTERS]


def test_shard_audio_keeps_the_sine(shards):
    out, _ = shards
    table = read_table(out / "shard-00000.parquet", "utterance/1")
    pcm = np.asarray(table.column("audio")[1].values.to_numpy(zero_copy_only=False), float)
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(len(pcm))))
    assert np.argmax(spectrum) * 16000 / len(pcm) == pytest.approx(300, abs=2)  # ch2: 300 Hz


def test_alignment_rows_stored(shards):
    out, _ = shards
    table = read_table(out / "shard-00001.parquet", "utterance/1")
    rows = {r["utt_id"]: r for r in table.to_pylist()}
    assert rows["ch4"]["words"] == [] and rows["ch4"]["phonemes"] == []
    words = rows["ch3"]["words"]
    assert [w["word"] for w in words] == ["hello", "there"]
    assert [w["onset"] for w in words] == pytest.approx([0.1, 0.5])
    assert [(w["sentence"], w["position"]) for w in words] == [(-1, -1), (-1, -1)]
    phonemes = rows["ch3"]["phonemes"]
    assert [p["phoneme"] for p in phonemes] == ["hh", "ow", "dh"]
    assert [p["onset"] for p in phonemes] == pytest.approx([0.1, 0.2, 0.5])
    assert [p["word_index"] for p in phonemes] == [0, 0, 1]


def test_build_shards_missing_collection(corpus_tree, tmp_path):
    corpus = Corpus.from_config("t", {"source": "s", "collections": ["fr"]})
    with pytest.raises(InputError, match="missing"):
        build_shards(corpus, corpus_tree, "fr", tmp_path / "fr")
    assert not (tmp_path / "fr").exists()


def test_build_shards_failure_keeps_previous_output(corpus_tree, tmp_path):
    bad_root = tmp_path / "root"
    (bad_root / "en" / "spk").mkdir(parents=True)
    (bad_root / "en" / "spk" / "a.wav").write_text("not audio")
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.json").write_text("{}")
    with pytest.raises(InputError, match="a.wav"):
        build_shards(Corpus.from_config("t", {"source": "s", "collections": ["en"]}), bad_root,
                     "en", out)
    assert [p.name for p in out.iterdir()] == ["index.json"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_row_groups(shards):
    out, _ = shards
    units = row_groups([out])
    assert [(p.name, g) for p, g in units] == [
        ("shard-00000.parquet", 0), ("shard-00000.parquet", 1),
        ("shard-00001.parquet", 0), ("shard-00001.parquet", 1), ("shard-00002.parquet", 0)]


# -- CropStream -------------------------------------------------------------------------------

def _trace(stream):
    return [(item["utt_id"], item["start"]) for item in stream]


def test_crops_have_the_right_length(shards):
    out, _ = shards
    stream = CropStream([out], crop_seconds=0.25, seed=0, crops_per_chapter=3)
    items = list(stream)
    assert len(items) == 3 * len(CHAPTERS)
    lengths = {ch: _n_out(sec) for _, ch, sec in CHAPTERS}
    for item in items:
        assert item["audio"].dtype == torch.float32
        assert item["audio"].shape == (4000,)
        assert item["length"] == 4000
        assert 0 <= item["start"] <= lengths[item["utt_id"]] - 4000
        assert item["audio"].abs().max() > 0.1  # real audio, not padding
    assert Counter(item["utt_id"] for item in items) == {ch: 3 for _, ch, _ in CHAPTERS}
    assert len({item["start"] for item in items}) > 5  # random starts, not all the same


def test_crop_matches_the_stored_audio(shards):
    out, _ = shards
    table = read_table(out / "shard-00000.parquet", "utterance/1")
    pcm = {r["utt_id"]: np.asarray(r["audio"], np.float32) / 32768.0 for r in table.to_pylist()}
    for item in CropStream([out], crop_seconds=0.1, seed=5, crops_per_chapter=2):
        if item["utt_id"] in pcm:
            expected = pcm[item["utt_id"]][item["start"]:item["start"] + 1600]
            np.testing.assert_array_equal(item["audio"].numpy(), expected)


def test_short_chapters_are_zero_padded(shards):
    out, _ = shards
    lengths = {ch: _n_out(sec) for _, ch, sec in CHAPTERS}
    for item in CropStream([out], crop_seconds=1.0, seed=0, crops_per_chapter=1):
        n = lengths[item["utt_id"]]
        assert item["audio"].shape == (16000,)
        if n < 16000:  # ch1 (0.8 s) and ch4 (0.9 s)
            assert item["start"] == 0 and item["length"] == n
            assert torch.all(item["audio"][n:] == 0)
            assert item["audio"][:n].abs().max() > 0.1
        else:
            assert item["length"] == 16000


def test_same_seed_same_sequence(shards):
    out, _ = shards
    a = _trace(CropStream([out], crop_seconds=0.25, seed=7))
    b = _trace(CropStream([out], crop_seconds=0.25, seed=7))
    assert a == b
    # and the same stream iterated twice in the same epoch repeats itself
    stream = CropStream([out], crop_seconds=0.25, seed=7)
    assert _trace(stream) == _trace(stream) == a


def test_different_seed_different_sequence(shards):
    out, _ = shards
    a = _trace(CropStream([out], crop_seconds=0.25, seed=1))
    b = _trace(CropStream([out], crop_seconds=0.25, seed=2))
    assert a != b
    assert sorted(u for u, _ in a) == sorted(u for u, _ in b)  # same chapters, other crops


def test_set_epoch_changes_order(shards):
    out, _ = shards
    stream = CropStream([out], crop_seconds=0.25, seed=3, crops_per_chapter=1)
    orders = []
    for epoch in range(4):
        stream.set_epoch(epoch)
        orders.append([u for u, _ in _trace(stream)])
    assert all(sorted(o) == sorted(ch for _, ch, _ in CHAPTERS) for o in orders)
    assert len({tuple(o) for o in orders}) > 1
    stream.set_epoch(0)
    assert [u for u, _ in _trace(stream)] == orders[0]


def test_no_row_groups_is_an_error(tmp_path):
    (tmp_path / "index.json").write_text(json.dumps({"shards": []}))
    with pytest.raises(ValueError, match="no Parquet row groups"):
        CropStream([tmp_path], crop_seconds=0.25, seed=0)


class _WithWorker(IterableDataset):
    """Tag every item with the id of the DataLoader worker that produced it."""

    def __init__(self, inner: CropStream) -> None:
        self.inner = inner

    def __iter__(self):
        info = get_worker_info()
        for item in self.inner:
            yield {"utt_id": item["utt_id"], "start": item["start"], "worker": info.id}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_workers_split_row_groups(shards, seed):
    out, _ = shards
    per_chapter = 2
    stream = CropStream([out], crop_seconds=0.25, seed=seed, crops_per_chapter=per_chapter)
    loader = DataLoader(_WithWorker(stream), batch_size=None, num_workers=2,
                        multiprocessing_context="fork")
    items = list(loader)
    counts = Counter(item["utt_id"] for item in items)
    # every row group (one chapter each) is read by exactly one worker, exactly once
    assert counts == {ch: per_chapter for _, ch, _ in CHAPTERS}
    workers = {}
    for item in items:
        workers.setdefault(item["utt_id"], set()).add(item["worker"])
    assert all(len(w) == 1 for w in workers.values())
    per_worker = Counter(next(iter(w)) for w in workers.values())
    assert sorted(per_worker.values()) == [2, 3]  # 5 row groups shared out between 2 workers
    # and the split is reproducible
    assert [(i["utt_id"], i["start"]) for i in loader] == [(i["utt_id"], i["start"])
                                                          for i in items]
