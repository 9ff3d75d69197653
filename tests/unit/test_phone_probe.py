"""The layer-wise phone probe (brainlike.probes.phones) on a model whose answer is known."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.model_selection import KFold
from torch import Tensor, nn

from brainlike.errors import InputError
from brainlike.io.schemas import write_table
from brainlike.models.configs import LogMelEncoderConfig
from brainlike.models.logmel_encoder import LogMelEncoder
from brainlike.models.geometry import LayerGeometry
from brainlike.preprocess.utterances import make_row, rows_to_table
from brainlike.probes import phones as probe
from brainlike.probes.phones import (Utterance, labelled_frames, keep_frequent, probe_layer,
                                     probe_model, read_utterances)

SR = 16000
INVENTORY = ["aa", "b", "k", "s", "zh"]  # "zh" is rare: once, 5 frames
PHONE_S, GAP_S = 0.1, 0.04


def _utterance(seed: int, n_phones: int, rare_at: int | None = None) -> Utterance:
    """Phones of 0.1 s separated by 0.04 s of silence; during phone ``i`` of the inventory
    the waveform is the constant 0.1 * (i + 1), so a model can read the phone off a sample."""
    rng = np.random.default_rng(seed)
    audio, phones, t = [np.zeros(int(GAP_S * SR), np.float32)], [], GAP_S
    for k in range(n_phones):
        i = 4 if k == rare_at else int(rng.integers(0, 4))
        audio += [np.full(int(PHONE_S * SR), 0.1 * (i + 1), np.float32),
                  np.zeros(int(GAP_S * SR), np.float32)]
        phones.append((INVENTORY[i], t, t + PHONE_S))
        t += PHONE_S + GAP_S
    return Utterance(np.concatenate(audio), phones)


class KnownModel(nn.Module):
    """Three layers: ``fine`` (100 Hz) and ``phone`` (50 Hz) hold a one-hot of the phone
    under each frame's centre; ``noise`` (50 Hz) ignores its input."""

    layer_names = ["fine", "phone", "noise"]
    layer_geometry = [LayerGeometry(160, 400), LayerGeometry(320, 400), LayerGeometry(320, 400)]

    def __init__(self) -> None:
        super().__init__()
        self.generator = torch.Generator().manual_seed(0)
        self.calls = 0

    def _one_hot(self, waveforms: Tensor, g: LayerGeometry) -> Tensor:
        n = (waveforms.shape[1] - g.field) // g.stride + 1
        centres = torch.arange(n) * g.stride + g.field // 2
        ids = torch.round(waveforms[0, centres] * 10).long() - 1  # -1: silence
        out = torch.zeros(n, len(INVENTORY))
        out[ids >= 0, ids[ids >= 0]] = 1.0
        return (out + 0.01 * torch.randn(out.shape, generator=self.generator))[None]

    def extract_features(self, waveforms: Tensor) -> list[Tensor]:
        self.calls += 1
        n = (waveforms.shape[1] - 400) // 320 + 1
        return [self._one_hot(waveforms, self.layer_geometry[0]),
                self._one_hot(waveforms, self.layer_geometry[1]),
                torch.randn(1, n, 8, generator=self.generator)]


@pytest.fixture(scope="module")
def utterances() -> list[Utterance]:
    return [_utterance(0, 20, rare_at=7), _utterance(1, 20)]


def _expected_labels(utt: Utterance, chunk: int) -> np.ndarray:
    """The phone under each 50 Hz frame centre, frames restarting at every chunk."""
    labels = []
    for start in range(0, len(utt.audio), chunk):
        n = min(chunk, len(utt.audio) - start)
        if n < 400:
            break
        for j in range((n - 400) // 320 + 1):
            t = (start + j * 320 + 200) / SR
            labels.append(next((p for p, a, b in utt.phones if a <= t < b), ""))
    return np.array(labels, dtype=object)


# -- labelled_frames ---------------------------------------------------------------------------

@pytest.mark.parametrize("chunk_s", [20.0, 0.5])
def test_frame_features_align_labels_and_every_layer(utterances, chunk_s):
    model = KnownModel()
    features, labels = labelled_frames(model, utterances, chunk_s=chunk_s)
    chunk = int(chunk_s * SR)
    expected = np.concatenate([_expected_labels(u, chunk) for u in utterances])
    assert labels.tolist() == expected.tolist()
    assert set(features) == {"fine", "phone", "noise"}
    assert {k: v.shape for k, v in features.items()} == {
        "fine": (len(labels), 5), "phone": (len(labels), 5), "noise": (len(labels), 8)}
    assert all(v.dtype == np.float32 for v in features.values())
    spoken = labels != ""
    # both one-hot layers, read at the 50 Hz frame times, name the label's phone
    for name in ("fine", "phone"):
        named = np.array(INVENTORY)[features[name][spoken].argmax(1)]
        assert named.tolist() == labels[spoken].tolist()
        assert np.abs(features[name][~spoken]).max() < 0.1  # silence
    assert (labels == "").sum() > 0.2 * len(labels)


def test_frame_features_chunks_run_separately(utterances):
    model = KnownModel()
    labelled_frames(model, utterances[:1], chunk_s=0.5)
    n = len(utterances[0].audio)
    # one call per 0.5 s piece, the last one only if it holds a frame
    assert model.calls == sum(1 for s in range(0, n, 8000) if n - s >= 400)


# -- keep_frequent ----------------------------------------------------------------------------

def test_keep_frequent_drops_unlabelled_and_rare_frames():
    labels = np.array(["a", "", "a", "b", "a", "", "c", "b"], dtype=object)
    assert keep_frequent(labels, 2).tolist() == [True, False, True, True, True, False, False,
                                                 True]
    assert keep_frequent(labels, 3).tolist() == [True, False, True, False, True, False, False,
                                                 False]
    assert not keep_frequent(labels, 1)[[1, 5]].any()  # "" never counts, however frequent


# -- probe_layer ------------------------------------------------------------------------------

def test_probe_layer_folds_are_contiguous(monkeypatch):
    splits = []

    class Recording(KFold):
        def split(self, x, y=None, groups=None):
            for train, test in super().split(x, y, groups):
                splits.append(test)
                yield train, test

    monkeypatch.setattr(probe, "KFold", Recording)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 3))
    y = np.array(["a"] * 50 + ["b"] * 50)
    rows = probe_layer(x, y, n_folds=5)
    assert [list(t) for t in splits] == [list(range(20 * k, 20 * k + 20)) for k in range(5)]
    assert [r["fold"] for r in rows] == list(range(5))
    assert all(r["n_train"] == 80 and r["n_test"] == 20 for r in rows)
    # chance: the share of test frames carrying the training folds' majority phone; a fold
    # of "a" frames trained on more "b" frames scores 0 (shuffled folds would give ~0.5)
    assert [r["chance"] for r in rows] == [0.0, 0.0, 0.5, 0.0, 0.0]
    assert all(r["alpha"] in probe.ALPHAS for r in rows)


def test_probe_layer_reads_a_linear_code():
    rng = np.random.default_rng(1)
    y = rng.choice(["a", "b", "c"], 150, p=[0.6, 0.3, 0.1])
    codes = {"a": [1, 0, 0], "b": [0, 1, 0], "c": [0, 0, 1]}
    x = np.array([codes[v] for v in y], float) + 0.1 * rng.standard_normal((150, 3))
    rows = probe_layer(x, y, n_folds=3)
    assert all(r["accuracy"] == 1.0 for r in rows)
    noise = probe_layer(rng.standard_normal((150, 3)), y, n_folds=3)
    for r, (train, test) in zip(noise, KFold(3).split(y)):
        majority = Counter(y[train]).most_common(1)[0][0]
        assert r["chance"] == pytest.approx(np.mean(y[test] == majority))
    assert np.mean([r["accuracy"] for r in noise]) < np.mean([r["chance"] for r in noise]) + 0.15


# -- probe_model ------------------------------------------------------------------------------

def test_probe_model_finds_the_informative_layer(utterances):
    rows = probe_model(KnownModel(), utterances, n_folds=4, min_count=10)
    assert [(r["layer"], r["layer_index"], r["fold"]) for r in rows] == [
        (name, i, fold) for i, name in enumerate(["fine", "phone", "noise"]) for fold in range(4)]
    _, labels = labelled_frames(KnownModel(), utterances)
    kept = keep_frequent(labels, 10)
    assert {r["n_classes"] for r in rows} == {4}  # "zh" (5 frames) and "" dropped
    assert all(r["n_train"] + r["n_test"] == kept.sum() for r in rows)
    by_layer = {name: [r for r in rows if r["layer"] == name] for name in ("fine", "phone",
                                                                          "noise")}
    for name in ("fine", "phone"):
        assert min(r["accuracy"] for r in by_layer[name]) > 0.95
    # chance: each fold's share of the training folds' majority phone
    y = labels[kept]
    for fold, (train, test) in enumerate(KFold(4).split(y)):
        majority = Counter(y[train]).most_common(1)[0][0]
        assert [r["chance"] for r in rows if r["fold"] == fold] == [
            pytest.approx(np.mean(y[test] == majority))] * 3
    noise = by_layer["noise"]
    accuracy = np.mean([r["accuracy"] for r in noise])
    assert accuracy < 0.4 and abs(accuracy - np.mean([r["chance"] for r in noise])) < 0.1


def test_probe_model_too_few_phones(utterances):
    with pytest.raises(ValueError, match="too few to probe"):
        probe_model(KnownModel(), utterances, min_count=10_000)
    one_phone = Utterance(np.full(SR, 0.1, np.float32), [("aa", 0.0, 1.0)])
    with pytest.raises(ValueError, match="of 1 phones"):
        probe_model(KnownModel(), [one_phone], min_count=1)


def test_probe_model_on_the_logmel_encoder():
    torch.manual_seed(0)
    model = LogMelEncoder(LogMelEncoderConfig.preset("tiny"))
    t = np.arange(int(2.5 * SR)) / SR
    phones, pieces = [], []
    for k in range(10):  # 10 tones of 0.25 s, 3 phones
        label = INVENTORY[k % 3]
        pieces.append(0.3 * np.sin(2 * np.pi * (300 + 400 * (k % 3)) * t[:4000]))
        phones.append((label, 0.25 * k, 0.25 * (k + 1)))
    utt = Utterance(np.concatenate(pieces).astype(np.float32), phones)
    rows = probe_model(model, [utt], n_folds=3, min_count=5)
    names = ["conv1", "conv2", "transformer1", "transformer2", "transformer3", "transformer4"]
    assert [r["layer"] for r in rows] == [n for n in names for _ in range(3)]
    n_frames = (len(utt.audio) - model.layer_geometry[-1].field) // 320 + 1
    assert all(r["n_classes"] == 3 for r in rows)
    assert all(r["n_train"] + r["n_test"] == n_frames for r in rows)  # every frame is spoken
    assert all(0 <= r["accuracy"] <= 1 and 0 <= r["chance"] <= 1 for r in rows)


# -- read_utterances --------------------------------------------------------------------------

def _row(utt_id: str, pcm: np.ndarray, phonemes: pd.DataFrame | None,
         sample_rate: int = SR) -> dict:
    return make_row(utt_id, "stories", "narrator", pcm, sample_rate, phonemes=phonemes)


PHONEMES = pd.DataFrame({"phoneme": ["aa", "b"], "onset": [0.1, 0.3], "offset": [0.3, 0.4],
                         "word_index": [0, 0]})


def test_read_utterances(tmp_path):
    rng = np.random.default_rng(0)
    pcm = [rng.integers(-2000, 2000, n).astype(np.int16) for n in (8000, 12000)]
    path = tmp_path / "stimuli.parquet"
    write_table(rows_to_table([_row("s1", pcm[0], PHONEMES), _row("s2", pcm[1], PHONEMES[:1])]),
                path, "utterance/1")
    utts = read_utterances([str(path)])
    assert len(utts) == 2
    for utt, expected in zip(utts, pcm):
        assert utt.audio.dtype == np.float32 and utt.sample_rate == SR
        np.testing.assert_array_equal(utt.audio, expected / 32768.0)
    assert utts[0].phones == [("aa", 0.1, 0.3), ("b", 0.3, 0.4)]
    assert utts[1].phones == [("aa", 0.1, 0.3)]


def test_read_utterances_needs_phonemes(tmp_path):
    path = tmp_path / "stimuli.parquet"
    pcm = np.zeros(4000, np.int16)
    write_table(rows_to_table([_row("s1", pcm, PHONEMES), _row("s2", pcm, None)]), path,
                "utterance/1")
    with pytest.raises(ValueError, match=rf"{path}: row 1 has no phoneme alignment"):
        read_utterances([str(path)])


def test_read_utterances_checks_the_sample_rate(tmp_path):
    path = tmp_path / "stimuli.parquet"
    write_table(rows_to_table([_row("s1", np.zeros(4000, np.int16), PHONEMES, 8000)]), path,
                "utterance/1")
    with pytest.raises(ValueError, match="row 0 is sampled at 8000 Hz, not 16000"):
        read_utterances([str(path)])


def test_read_utterances_checks_the_schema(tmp_path):
    path = tmp_path / "other.parquet"
    pd.DataFrame({"x": [1]}).to_parquet(path)
    with pytest.raises(InputError, match="utterance/1"):
        read_utterances([str(path)])
