"""Held-out chapters and the learning checks on them (brainlike.training.crops and .batches,
each objective's evaluate and learned, brainlike.training.run)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from brainlike.io.schemas import write_table
from brainlike.models.configs import LogMelEncoderConfig
from brainlike.models.logmel_encoder import LogMelEncoder
from brainlike.objectives import hubert, objective, supervised, wav2vec2
from brainlike.objectives.cluster_targets import MfccFeatures, TargetLabeler
from brainlike.objectives.hubert import HubertObjective, WithTargets
from brainlike.objectives.supervised import SupervisedObjective
from brainlike.objectives.wav2vec2 import Contrastive, ObjectiveConfig
from brainlike.plan.specs import ModelSpec, TrainingSpec
from brainlike.preprocess.utterances import make_row, rows_to_table
from brainlike.training import batches as batching
from brainlike.training import run
from brainlike.training.batches import batches, heldout_batches, loader_workers
from brainlike.training.crops import (CropStream, PhoneTrack, frame_labels, heldout_chapters,
                                      heldout_crops, row_groups)

CPU = torch.device("cpu")
SR = 16000
PHONES = ["aa", "b", "k", "s"]  # cycling, 0.1 s each, from the start of every chapter
PHONE_SAMPLES = 1600
# Chapter id -> samples. Chapter 3 is shorter than a 0.25 s crop (4000 samples).
LENGTHS = {1: 20000, 2: 24000, 3: 3200, 4: 30000, 5: 26000, 11: 22000, 12: 21000, 13: 25000}
# Collection "a": shard 0 holds chapters 1, 2 | 3 (row groups of 2), shard 1 holds 4, 5.
# Collection "b": one shard, one row group, chapters 11, 12, 13.
A_SHARDS, B_SHARDS = [[1, 2, 3], [4, 5]], [[11, 12, 13]]
SMALL = LogMelEncoderConfig(conv_channels=32, embed_dim=32, num_layers=2, num_heads=2, ff_dim=64,
                            pos_conv_kernel=7, pos_conv_groups=2)


def _training(**values) -> TrainingSpec:
    """A training recipe (the schema's defaults for what ``values`` leaves out)."""
    return TrainingSpec.from_config({"objective": "hubert", "corpus": "t",
                                     "collections": ["a", "b"], **values})


def _pcm(chapter: int) -> np.ndarray:
    """Noise around a chapter-specific offset: round(mean / 1000) names the chapter."""
    rng = np.random.default_rng(chapter)
    return (chapter * 1000 + rng.integers(-300, 301, LENGTHS[chapter])).astype(np.int16)


def _phonemes(n: int) -> pd.DataFrame:
    onsets = np.arange(0, n, PHONE_SAMPLES)
    return pd.DataFrame({"phoneme": [PHONES[i % len(PHONES)] for i in range(len(onsets))],
                         "onset": onsets / SR, "offset": np.minimum(onsets + PHONE_SAMPLES, n) / SR,
                         "word_index": 0})


def _write_collection(directory: Path, shards: list[list[int]], row_group_size: int) -> Path:
    directory.mkdir(parents=True)
    index = {"corpus": "t", "collection": directory.name, "sample_rate": SR, "shards": []}
    for s, chapters in enumerate(shards):
        rows = [make_row(f"ch{c}", directory.name, "spk", _pcm(c), SR,
                         phonemes=_phonemes(LENGTHS[c])) for c in chapters]
        name = f"shard-{s:05d}.parquet"
        write_table(rows_to_table(rows), directory / name, "utterance/1",
                    row_group_size=row_group_size)
        index["shards"].append({"file": name, "rows": len(rows)})
    (directory / "index.json").write_text(json.dumps(index))
    return directory


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("heldout")
    return (_write_collection(root / "a", A_SHARDS, 2),
            _write_collection(root / "b", B_SHARDS, 3))


def _chapter(audio: torch.Tensor, length: int) -> int:
    return int(round(float(audio[:length].double().mean()) * 32768 / 1000))


# -- heldout_chapters -------------------------------------------------------------------------

def test_heldout_chapters_are_the_last_of_each_collection(corpus):
    a, b = corpus
    held = heldout_chapters([a, b], 2)
    assert held == {(a / "shard-00001.parquet", 0): {0, 1}, (b / "shard-00000.parquet", 0): {1, 2}}


def test_heldout_chapters_span_row_groups_and_shards(corpus):
    a, _ = corpus
    assert heldout_chapters([a], 3) == {(a / "shard-00001.parquet", 0): {0, 1},
                                        (a / "shard-00000.parquet", 1): {0}}
    assert heldout_chapters([a], 4) == {(a / "shard-00001.parquet", 0): {0, 1},
                                        (a / "shard-00000.parquet", 1): {0},
                                        (a / "shard-00000.parquet", 0): {1}}


@pytest.mark.parametrize("n", [3, 4])
def test_too_few_chapters_is_an_error_naming_the_collection(corpus, n):
    a, b = corpus
    with pytest.raises(ValueError, match=f"{b}: 3 chapter"):
        heldout_chapters([a, b], n)


def test_batches_with_too_few_chapters_raise(corpus):
    _, b = corpus
    with pytest.raises(ValueError, match=str(b)):
        next(batches([b], _training(batch_size=2, crop_seconds=0.25), seed=0, heldout=3))


# -- training never sees them -----------------------------------------------------------------

def test_crop_stream_skips_excluded_chapters_every_epoch(corpus):
    a, b = corpus
    stream = CropStream([a, b], crop_seconds=0.25, seed=4, crops_per_chapter=2,
                        exclude=heldout_chapters([a, b], 2))
    for epoch in range(3):
        stream.set_epoch(epoch)
        seen = [item["utt_id"] for item in stream]
        assert sorted(seen) == sorted(2 * ["ch1", "ch2", "ch3", "ch11"])


def test_crop_stream_without_exclude_sees_everything(corpus):
    a, b = corpus
    seen = {item["utt_id"] for item in CropStream([a, b], crop_seconds=0.25, seed=4)}
    assert seen == {f"ch{c}" for c in LENGTHS}


@pytest.mark.parametrize("collections, heldout, trained", [
    ("ab", 2, {1, 2, 3, 11}), ("a", 3, {1, 2}), ("ab", 0, set(LENGTHS))])
def test_training_batches_never_hold_a_heldout_chapter(corpus, collections, heldout, trained):
    dirs = [d for d in corpus if d.name in collections]
    stream = batches(dirs, _training(batch_size=3, crop_seconds=0.25), seed=1, heldout=heldout)
    seen = set()
    for _ in range(40):  # several epochs of 4 crops per chapter
        batch = next(stream)
        assert batch["audio"].shape == (3, 4000)
        seen.update(_chapter(x, int(n)) for x, n in zip(batch["audio"], batch["length"]))
    assert seen == trained


# -- heldout_crops / heldout_batches ----------------------------------------------------------

def test_heldout_crops_tile_each_chapter_in_order(corpus):
    a, b = corpus
    crop = 4000
    items = list(heldout_crops([a, b], 2, 0.25))
    order = [i["utt_id"] for i in items]
    assert [u for k, u in enumerate(order) if k == 0 or order[k - 1] != u] == [
        "ch4", "ch5", "ch12", "ch13"]  # each chapter's crops together, chapters in order
    by_chapter: dict[str, list[dict]] = {}
    for item in items:
        by_chapter.setdefault(item["utt_id"], []).append(item)
    assert set(by_chapter) == {"ch4", "ch5", "ch12", "ch13"}
    for utt, pieces in by_chapter.items():
        pcm = _pcm(int(utt[2:]))
        starts = [p["start"] for p in pieces]
        # consecutive, non-overlapping, every full crop of the chapter (a tail under one
        # crop is left out)
        assert starts == list(range(0, len(pcm) - crop + 1, crop))
        assert len(pcm) - (starts[-1] + crop) < crop
        for p in pieces:
            assert p["length"] == crop and p["audio"].dtype == torch.float32
            np.testing.assert_array_equal(p["audio"].numpy(),
                                          pcm[p["start"]:p["start"] + crop] / 32768.0)
    assert "phones" not in items[0]


def test_heldout_crops_pad_a_chapter_shorter_than_a_crop(corpus):
    a, _ = corpus
    items = [i for i in heldout_crops([a], 3, 0.25) if i["utt_id"] == "ch3"]
    assert len(items) == 1
    (item,) = items
    assert item["start"] == 0 and item["length"] == LENGTHS[3]
    assert torch.all(item["audio"][LENGTHS[3]:] == 0)
    assert _chapter(item["audio"], item["length"]) == 3


def test_heldout_crops_are_deterministic(corpus):
    def trace():
        return [(i["utt_id"], i["start"], i["audio"].sum().item())
                for i in heldout_crops(list(corpus), 2, 0.25)]

    assert trace() == trace()


def test_heldout_crops_carry_phone_labels(corpus):
    a, _ = corpus
    items = list(heldout_crops([a], 3, 0.25, phone_inventory=PHONES))
    for item in items:
        labels = item["phones"]
        assert labels.dtype == torch.int64 and labels.shape == (12,)  # int(0.25 s * 50 Hz)
        samples = item["start"] + 320 * np.arange(12)
        expected = np.where(samples < LENGTHS[int(item["utt_id"][2:])],
                            (samples // PHONE_SAMPLES) % len(PHONES), -100)
        np.testing.assert_array_equal(labels.numpy(), expected)
    assert any((i["phones"] == -100).any() for i in items)  # ch3's padding


def test_heldout_batches_are_the_crops_in_order(corpus):
    spec = _training(batch_size=4, crop_seconds=0.25, heldout_chapters=2)
    items = list(heldout_crops(list(corpus), 2, 0.25, phone_inventory=PHONES))
    got = heldout_batches(list(corpus), spec, phones=PHONES)
    assert [len(b["audio"]) for b in got] == [4] * (len(items) // 4) + (
        [len(items) % 4] if len(items) % 4 else [])
    audio = torch.cat([b["audio"] for b in got])
    assert torch.equal(audio, torch.stack([i["audio"] for i in items]))
    assert torch.equal(torch.cat([b["phones"] for b in got]),
                       torch.stack([i["phones"] for i in items]))
    assert torch.cat([b["length"] for b in got]).tolist() == [i["length"] for i in items]
    assert "phones" not in heldout_batches(list(corpus), spec)[0]


# -- frame_labels -----------------------------------------------------------------------------

def test_frame_labels_at_50_hz():
    phones = [{"phoneme": "aa", "onset": 0.1, "offset": 0.3},
              {"phoneme": "zz", "onset": 0.3, "offset": 0.4},  # not in the inventory
              {"phoneme": "b", "onset": 0.4, "offset": 0.5}]
    index = {"aa": 0, "b": 1}
    labels = frame_labels(PhoneTrack(phones, index), 0, 8000)  # 0.5 s -> 25 frames
    expected = np.full(25, -100)
    expected[5:15], expected[20:25] = 0, 1
    np.testing.assert_array_equal(labels.numpy(), expected)
    # a crop starting inside a phone: that phone runs from frame 0
    labels = frame_labels(PhoneTrack(phones, index), 3200, 4000)  # from 0.2 s, 12 frames
    expected = np.full(12, -100)
    expected[:5], expected[10:12] = 0, 1
    np.testing.assert_array_equal(labels.numpy(), expected)
    assert frame_labels(PhoneTrack([], index), 0, 4000).tolist() == [-100] * 12


def test_frame_labels_name_the_phone_under_each_frame_centre():
    phones = [{"phoneme": "aa", "onset": 0.0, "offset": 0.1},
              {"phoneme": "b", "onset": 0.1, "offset": 0.5}]
    index = {"aa": 0, "b": 1}
    # frames centred 32.5 ms after their start: frame 3 (60 ms) is centred at 92.5 ms, frame 4
    # at 112.5 ms, so the switch to "b" comes one frame earlier than for start times
    centred = frame_labels(PhoneTrack(phones, index), 0, 8000, offset_s=0.0325)
    starts = frame_labels(PhoneTrack(phones, index), 0, 8000)
    assert centred[:5].tolist() == [0, 0, 0, 0, 1]
    assert starts[:6].tolist() == [0, 0, 0, 0, 0, 1]
    assert centred[-2:].tolist() == [1, -100]  # 0.4925 s in "b", 0.5125 s past its offset


def test_supervised_labels_sit_at_the_probe_frame_centres():
    from brainlike.models import checkpoint

    torch.manual_seed(0)
    encoder = checkpoint.from_preset("logmel", "tiny")
    objective = SupervisedObjective(encoder, 3)
    geometry = encoder.layer_geometry[-1]
    # the probe reads frame j at geometry.centres()[j]; label j must name that moment
    assert objective.label_offset_s == pytest.approx(float(geometry.centres(1, 16000)[0]))
    assert objective.label_offset_s == pytest.approx(0.0325)


# -- the evaluators ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def heldout(corpus) -> list[dict]:
    return heldout_batches(list(corpus), _training(batch_size=3, crop_seconds=0.5,
                                                   heldout_chapters=2), phones=PHONES)


def _encoder(seed: int = 0) -> LogMelEncoder:
    torch.manual_seed(seed)
    return LogMelEncoder(SMALL)


def _contrastive() -> Contrastive:
    encoder = _encoder()
    return Contrastive(encoder, ObjectiveConfig.preset("small", unmasked_weight=0.0), 0.4, (3, 5),
                       "conv2")


def _hubert(heldout: list[dict]) -> WithTargets:
    encoder = _encoder()
    labeler = TargetLabeler.fit(MfccFeatures(encoder.layer_geometry[-1]), heldout, n_clusters=6,
                                seed=0)
    return WithTargets(HubertObjective(encoder, labeler.n_clusters, mask_prob=0.4, span=(3, 5),
                                       unmasked_weight=0.0), labeler)


def _supervised() -> SupervisedObjective:
    return SupervisedObjective(_encoder(), len(PHONES))


def _state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in module.state_dict().items()}


def _assert_same_state(module: torch.nn.Module, before: dict[str, torch.Tensor]) -> None:
    after = module.state_dict()
    assert after.keys() == before.keys()
    for k, v in before.items():
        assert torch.equal(after[k], v), k


def test_evaluate_contrastive(heldout):
    objective = _contrastive()
    objective.train()
    before = _state(objective)
    m = wav2vec2.evaluate(objective, heldout, CPU, seed=3)
    _assert_same_state(objective, before)  # weights and the step counter
    assert set(m) == {"contrastive", "accuracy", "hard_perplexity", "code_stability",
                      "code_stability_distant", "chance_loss", "chance_accuracy",
                      "codebook_size"}
    assert m["chance_loss"] == pytest.approx(math.log(11))  # small preset: 10 distractors
    assert m["chance_accuracy"] == pytest.approx(1 / 11)
    assert m["codebook_size"] == 32 ** 2
    assert 0 <= m["accuracy"] <= 1 and 0 <= m["code_stability"] <= 1
    assert 1 <= m["hard_perplexity"] <= m["codebook_size"]
    assert math.isfinite(m["contrastive"]) and m["contrastive"] > 0
    assert not wav2vec2.learned(m)  # an untrained model
    assert wav2vec2.evaluate(objective, heldout, CPU, seed=3) == m
    assert wav2vec2.evaluate(objective, heldout, CPU, seed=4) != m  # other masks


def test_evaluate_hubert(heldout):
    objective = _hubert(heldout)
    before = _state(objective)
    m = hubert.evaluate(objective, heldout, CPU, seed=3)
    _assert_same_state(objective, before)
    assert set(m) == {"masked_accuracy", "copy_nearest", "majority", "masked_frames"}
    for key in ("masked_accuracy", "copy_nearest", "majority"):
        assert 0 <= m[key] <= 1
    assert m["majority"] >= 1 / 6  # the most frequent of 6 clusters
    assert m["masked_frames"] > 20 and m["masked_frames"] == int(m["masked_frames"])
    # untrained: no better than copying a neighbour's label, so "not learned"
    assert m["masked_accuracy"] <= max(m["copy_nearest"], m["majority"]) + 0.05
    assert not hubert.learned(m)
    assert hubert.evaluate(objective, heldout, CPU, seed=3) == m
    assert hubert.evaluate(objective, heldout, CPU, seed=4) != m


def test_evaluate_hubert_judges_two_models_on_the_same_frames(heldout):
    first = _hubert(heldout)
    torch.manual_seed(9)
    other = WithTargets(HubertObjective(LogMelEncoder(SMALL), first.labeler.n_clusters,
                                       mask_prob=0.4, span=(3, 5), unmasked_weight=0.0),
                        first.labeler)
    a, b = hubert.evaluate(first, heldout, CPU, 0), hubert.evaluate(other, heldout, CPU, 0)
    assert {k: a[k] for k in ("copy_nearest", "majority", "masked_frames")} == {
        k: b[k] for k in ("copy_nearest", "majority", "masked_frames")}
    assert a["masked_accuracy"] != b["masked_accuracy"]


def test_evaluate_supervised(heldout):
    objective = _supervised()
    before = _state(objective)
    m = supervised.evaluate(objective, heldout, CPU, seed=0)
    _assert_same_state(objective, before)
    assert set(m) == {"phone_accuracy", "majority", "labelled_frames"}
    assert 0 <= m["phone_accuracy"] <= 1 and 0 <= m["majority"] <= 1
    # only the frames the encoder outputs are judged, by accuracy and baseline alike
    frames = objective.encoder.output_frames(heldout[0]["audio"].shape[1])
    assert frames < heldout[0]["phones"].shape[1]
    labelled = sum(int((b["phones"][:, :frames] != -100).sum()) for b in heldout)
    assert m["labelled_frames"] == labelled
    assert m["majority"] >= 1 / len(PHONES)
    assert supervised.evaluate(objective, heldout, CPU, seed=0) == m


@pytest.mark.parametrize("kind", ["wav2vec2", "hubert", "supervised"])
def test_evaluators_need_a_batch(heldout, kind):
    module = {"wav2vec2": _contrastive, "supervised": _supervised,
              "hubert": lambda: _hubert(heldout)}[kind]()
    with pytest.raises(ValueError, match="no held-out batch"):
        objective(kind).load().evaluate(module, [], CPU, 0)


# -- learned ----------------------------------------------------------------------------------

W2V = {"contrastive": 1.0, "chance_loss": math.log(11), "accuracy": 0.5,
       "chance_accuracy": 1 / 11, "hard_perplexity": 40.0, "code_stability": 0.5,
       "code_stability_distant": 0.05}


def test_learned_wav2vec2_passes_when_every_check_passes():
    assert wav2vec2.learned(W2V)


@pytest.mark.parametrize("change", [
    {"contrastive": 0.95 * math.log(11)},  # loss not 10 % below chance
    {"accuracy": 0.15},  # accuracy under twice chance
    {"hard_perplexity": 1.5},  # collapsed codebook
    {"code_stability": 0.05},  # a "hash" codebook: neighbours agree as often as distant frames
    {"code_stability": 0.95, "code_stability_distant": 0.95},  # one code everywhere
])
def test_learned_wav2vec2_fails_any_check(change):
    assert not wav2vec2.learned({**W2V, **change})


@pytest.mark.parametrize("neighbours, distant, expected", [
    (0.099, 0.01, True),  # a large codebook used widely: rare repeats, but 9x chance
    (0.6, 0.4, True),  # a code for silence shared far apart; neighbours still agree more
    (0.06, 0.02, False),  # 4 % of the way from chance to always
])
def test_learned_wav2vec2_judges_stability_against_distant_frames(neighbours, distant, expected):
    m = {**W2V, "code_stability": neighbours, "code_stability_distant": distant}
    assert wav2vec2.learned(m) is expected


@pytest.mark.parametrize("masked, expected", [(0.6, True), (0.5, False), (0.4, False)])
def test_learned_hubert_beats_copying_the_nearest_label(masked, expected):
    m = {"masked_accuracy": masked, "copy_nearest": 0.5, "majority": 0.9}
    assert hubert.learned(m) is expected


@pytest.mark.parametrize("accuracy, expected", [(0.6, True), (0.5, False)])
def test_learned_supervised_beats_the_majority_phone(accuracy, expected):
    assert supervised.learned({"phone_accuracy": accuracy, "majority": 0.5}) is expected


def test_unknown_objective():
    with pytest.raises(ValueError, match="unknown training objective 'simclr'"):
        objective("simclr")


# -- train_model ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, keys", [
    ("supervised", {"phone_accuracy", "majority", "labelled_frames"}),
    ("wav2vec2", {"contrastive", "accuracy", "chance_loss", "code_stability"}),
])
def test_train_model_reports_heldout_checks(corpus, tmp_path, monkeypatch, kind, keys):
    asked = []

    def spy(directories, spec, seed, phones=None, heldout=0, workers=0, label_offset_s=0.0,
            skip=0, label_unit="phonemes"):
        asked.append((heldout, workers))
        if phones is not None:  # labels centred on the encoder's frames, as the probe reads
            assert label_offset_s == pytest.approx(0.0325)
        return batches(directories, spec, seed, phones, heldout, workers, label_offset_s, skip,
                       label_unit)

    monkeypatch.setattr(batching, "batches", spy)
    spec = ModelSpec.from_config(kind, {"family": "logmel", "preset": "tiny", "seed": 0,
                                        "training": {
        "objective": kind, "corpus": "t", "collections": ["a", "b"], "steps": 2,
        "batch_size": 2, "crop_seconds": 0.5, "warmup_steps": 1, "log_every": 1,
        "checkpoint_every": 2, "heldout_chapters": 1}})
    _, rows, extra = run.train_model(spec, list(corpus), tmp_path / "state.pt", CPU)
    assert len(rows) == 2
    assert asked == [(1, 0)]  # skips the held-out chapter; no worker processes on the CPU
    checks = extra["heldout"]
    assert keys <= set(checks)
    assert checks["heldout_chapters"] == 1.0
    assert checks["learned"] == float(objective(kind).load().learned(checks))
    assert all(isinstance(v, float) for v in checks.values())


def _take(iterator, n):
    return [next(iterator)["audio"] for _ in range(n)]


def test_worker_batches_repeat_for_the_same_worker_count(corpus):
    cfg = _training(batch_size=2, crop_seconds=0.25)
    a = _take(batches(list(corpus), cfg, 3, heldout=1, workers=2), 6)
    b = _take(batches(list(corpus), cfg, 3, heldout=1, workers=2), 6)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    single = _take(batches(list(corpus), cfg, 3, heldout=1, workers=0), 6)
    assert not all(torch.equal(x, y) for x, y in zip(a, single))  # the count is part of it


@pytest.mark.filterwarnings("ignore:This DataLoader will create")
def test_more_workers_than_row_groups_do_not_hang(corpus):
    # Workers without a row group end at once; the others keep the stream going.
    cfg = _training(batch_size=2, crop_seconds=0.25)
    groups = len(row_groups([corpus[0]]))
    out = _take(batches([corpus[0]], cfg, 0, heldout=1, workers=groups + 2), 5)
    assert len(out) == 5 and all(x.shape == (2, 4000) for x in out)


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("skip", [0, 5, 17, 40])  # 12 batches a pass: mid-pass and passes on
def test_a_resumed_stream_starts_where_the_skipped_batches_end(corpus, workers, skip):
    cfg = _training(batch_size=2, crop_seconds=0.25)
    whole = batches(list(corpus), cfg, 3, PHONES, heldout=1, workers=workers)
    expected = [next(whole) for _ in range(skip + 4)][skip:]
    resumed = batches(list(corpus), cfg, 3, PHONES, heldout=1, workers=workers, skip=skip)
    assert all(_same(next(resumed), b) for b in expected)


def test_skipped_crops_are_not_read(corpus, monkeypatch):
    from brainlike.training import crops

    reads = []
    original = crops._Chapters._read

    def counted(self):
        if self._table is None:
            reads.append((self.path, self.group))
        return original(self)

    monkeypatch.setattr(crops._Chapters, "_read", counted)
    cfg = _training(batch_size=2, crop_seconds=0.25)
    next(batches(list(corpus), cfg, 3, heldout=1, skip=10_000))  # ~830 passes
    # only the row groups the first batch's crops come from (a batch may span two)
    assert 1 <= len(reads) <= 2


def test_loader_workers_default_by_device():
    assert loader_workers(_training(), torch.device("cpu")) == 0
    assert 1 <= loader_workers(_training(), torch.device("cuda")) <= 4
    assert loader_workers(_training(loader_workers=3), torch.device("cpu")) == 3
