"""The supervised word control: word labels from the alignments, a classifier that learns them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from brainlike.io.schemas import write_table
from brainlike.plan.specs import ModelSpec
from brainlike.preprocess.utterances import make_row, rows_to_table
from brainlike.training.crops import heldout_crops, label_inventory
from brainlike.training.run import train_model

CPU = torch.device("cpu")
SR = 16000
WORD_S = 0.2
FORMS = ["The", "the", "cat", "dog"]  # "The" and "the" are one word


def _chapter(seed: int, seconds: float) -> tuple[np.ndarray, pd.DataFrame]:
    """Each word is a tone of its own pitch, so a classifier can learn to name it."""
    rng = np.random.default_rng(seed)
    n = int(seconds / WORD_S)
    forms = [FORMS[i] for i in rng.integers(0, len(FORMS), n)]
    pitch = {"the": 300.0, "cat": 900.0, "dog": 2000.0}
    t = np.arange(int(WORD_S * SR)) / SR
    audio = np.concatenate([np.sin(2 * np.pi * pitch[w.lower()] * t) for w in forms])
    audio = audio + 0.05 * rng.standard_normal(len(audio))
    words = pd.DataFrame({"word": forms, "onset": np.arange(n) * WORD_S,
                          "offset": (np.arange(n) + 1) * WORD_S, "sentence": 0,
                          "position": np.arange(n)})
    return (audio * 8000).astype(np.int16), words


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("words") / "en"
    directory.mkdir()
    rows = []
    for c in range(6):
        pcm, words = _chapter(c, 4.0)
        rows.append(make_row(f"ch{c}", "en", "spk", pcm, SR, words=words))
    write_table(rows_to_table(rows), directory / "shard-00000.parquet", "utterance/1",
                row_group_size=2)
    (directory / "index.json").write_text(json.dumps({
        "corpus": "t", "collection": "en", "sample_rate": SR,
        "shards": [{"file": "shard-00000.parquet", "rows": len(rows)}]}))
    return directory


def test_word_labels_are_lower_cased_forms_under_each_frame(corpus):
    inventory = label_inventory([corpus], "words")
    assert inventory == ["cat", "dog", "the"]
    items = list(heldout_crops([corpus], 1, 1.0, phone_inventory=inventory, label_unit="words"))
    _, words = _chapter(5, 4.0)  # the held-out chapter
    for item in items:
        frames = item["start"] / SR + np.arange(50) / 50
        expected = [inventory.index(words["word"][int(np.floor(t / WORD_S + 1e-9))].lower())
                    for t in frames]
        assert item["phones"].tolist() == expected


def test_the_word_classifier_learns_and_keeps_its_vocabulary(corpus, tmp_path):
    spec = ModelSpec.from_config("words", {"family": "logmel", "preset": "tiny", "seed": 0,
                                           "training": {
        "objective": "word_classifier", "corpus": "t", "collections": ["en"], "steps": 30,
        "batch_size": 4, "crop_seconds": 1.0, "warmup_steps": 3, "log_every": 5,
        "heldout_chapters": 1}})
    _, rows, extra = train_model(spec, [corpus], tmp_path / "state.pt", CPU)
    checks = extra["heldout"]
    assert extra["words"] == ["cat", "dog", "the"]
    assert checks["word_accuracy"] > checks["majority"] + 0.2, checks
    assert checks["learned"] == 1.0
    assert rows[-1]["loss"] < rows[0]["loss"]
