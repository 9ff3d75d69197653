"""Layer-wise phone probe: how much phonetic identity can a linear read-out find in each layer?

Held-out speech (the listening stories: their sentences and their narrator's voice are in no
training corpus) is cut into the frames of the model's output rate (50 Hz), each labelled
with the phone under its centre; every layer is read at those times (its nearest frame). A
ridge classifier (penalty chosen by leave-one-out on the training folds) names the phone.
Contiguous K-fold cross-validation, without shuffling, keeps neighbouring frames (which share
a phone) out of each other's folds. Chance is the majority phone of the training folds.

Frames rather than whole phones: on synthetic speech a phone's mean spectrum identifies it
almost perfectly (a random encoder's first layer scores 0.99), which leaves no room to see
what training adds; single frames, transitions included, are where context helps.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.linear_model import RidgeClassifierCV
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler
from torch import nn

from brainlike.io.schemas import read_table, row_audio

ALPHAS = np.logspace(-1, 5, 7)


@dataclass(frozen=True)
class Utterance:
    """Mono 16 kHz speech and its phones as (label, onset s, offset s)."""

    audio: np.ndarray
    phones: list[tuple[str, float, float]]
    sample_rate: int = 16000


def _labels(times: np.ndarray, phones: list[tuple[str, float, float]]) -> np.ndarray:
    labels = np.full(len(times), "", dtype=object)
    for label, onset, offset in phones:
        labels[(times >= onset) & (times < offset)] = label
    return labels


def _nearest(centres: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Index of the sorted ``centres`` nearest each time (ties to the earlier)."""
    if len(centres) == 1:
        return np.zeros(len(times), np.int64)
    after = np.clip(np.searchsorted(centres, times), 1, len(centres) - 1)
    earlier = np.abs(centres[after - 1] - times) <= np.abs(centres[after] - times)
    return np.where(earlier, after - 1, after)


@torch.no_grad()
def labelled_frames(model: nn.Module, utterances: list[Utterance], chunk_s: float = 20.0,
                   ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """({layer: (n_frames, dim) float32}, labels (n_frames,) with "" between phones).

    Frames are the model's last layer's; audio runs in consecutive ``chunk_s`` pieces
    (bounding memory and the attention span).
    """
    model.eval()
    names, geometry = list(model.layer_names), list(model.layer_geometry)
    features: dict[str, list[np.ndarray]] = {n: [] for n in names}
    labels = []
    for utt in utterances:
        sr = utt.sample_rate
        audio = torch.as_tensor(utt.audio, dtype=torch.float32)
        chunk = int(chunk_s * sr)
        for start in range(0, len(audio), chunk):
            piece = audio[start:start + chunk]
            if len(piece) < geometry[-1].field:
                break
            outs = model.extract_features(piece[None])
            times = geometry[-1].centres(outs[-1].shape[1], sr).numpy()
            for name, g, out in zip(names, geometry, outs):
                nearest = _nearest(g.centres(out.shape[1], sr).numpy(), times)
                features[name].append(out[0, torch.from_numpy(nearest)].float().numpy())
            labels.append(_labels(times + start / sr, utt.phones))
    return ({n: np.concatenate(v).astype(np.float32) for n, v in features.items()},
            np.concatenate(labels))


def keep_frequent(labels: np.ndarray, min_count: int) -> np.ndarray:
    """Boolean mask of labelled frames whose phone covers at least ``min_count`` frames."""
    counts = Counter(labels.tolist())
    return np.array([label != "" and counts[label] >= min_count for label in labels])


def probe_layer(x: np.ndarray, y: np.ndarray, n_folds: int = 5) -> list[dict]:
    """Per contiguous fold: accuracy of a ridge classifier and the majority-class chance."""
    rows = []
    for fold, (train, test) in enumerate(KFold(n_folds, shuffle=False).split(x)):
        scaler = StandardScaler().fit(x[train])
        clf = RidgeClassifierCV(alphas=ALPHAS).fit(scaler.transform(x[train]), y[train])
        predicted = clf.predict(scaler.transform(x[test]))
        majority = Counter(y[train]).most_common(1)[0][0]
        rows.append({"fold": fold, "accuracy": float((predicted == y[test]).mean()),
                     "chance": float((y[test] == majority).mean()), "alpha": float(clf.alpha_),
                     "n_train": len(train), "n_test": len(test)})
    return rows


def probe_model(model: nn.Module, utterances: list[Utterance], n_folds: int = 5,
                min_count: int = 50) -> list[dict]:
    """Rows (layer, layer_index, fold, accuracy, chance, alpha, n_train, n_test, n_classes)."""
    vectors, labels = labelled_frames(model, utterances)
    keep = keep_frequent(labels, min_count)
    y = labels[keep].astype(str)
    n_classes = len(set(y))
    if n_classes < 2 or len(y) < 2 * n_folds:
        raise ValueError(f"{len(y)} frames of {n_classes} phones covering >= {min_count} "
                         "frames: too few to probe")
    rows = []
    for index, name in enumerate(model.layer_names):
        for row in probe_layer(vectors[name][keep], y, n_folds):
            rows.append({"layer": name, "layer_index": index, **row, "n_classes": n_classes})
    return rows


def read_utterances(paths: list[str], sample_rate: int = 16000) -> list[Utterance]:
    """Every row of utterance/1 Parquet files (e.g. the listening stimuli) with its phones."""
    utterances = []
    for path in paths:
        table = read_table(path, "utterance/1")
        for i in range(table.num_rows):
            if int(table.column("sample_rate")[i].as_py()) != sample_rate:
                raise ValueError(f"{path}: row {i} is sampled at "
                                 f"{table.column('sample_rate')[i]} Hz, not {sample_rate}")
            phones = [(p["phoneme"], p["onset"], p["offset"])
                      for p in table.column("phonemes")[i].as_py()]
            if not phones:
                raise ValueError(f"{path}: row {i} has no phoneme alignment to probe")
            utterances.append(Utterance(row_audio(table, i), phones, sample_rate))
    return utterances
