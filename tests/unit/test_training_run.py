"""Every objective trains through the real loop on real synthesised speech in Parquet shards."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from brainlike.plan.datasets import Corpus
from brainlike.plan.specs import ModelSpec
from brainlike.simulate.corpus import build_corpus
from brainlike.models import checkpoint
from brainlike.preprocess.corpus import build_shards
from brainlike.training.run import train_model

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    corpus = Corpus.from_config("c", {
        "source": "unused", "collections": ["en"], "shard_minutes": 0.3,
        "simulate": {"hours": {"en": 0.01}, "speakers": 2, "chapter_minutes": 0.15}})
    build_corpus(corpus, seed=1, root=root / "raw", workers=1)
    build_shards(corpus, root / "raw", "en", root / "en")
    return root / "en"


def _spec(objective: str, **training) -> ModelSpec:
    recipe = {"objective": objective, "corpus": "c", "collections": ["en"], "steps": 4,
              "batch_size": 2, "crop_seconds": 2.0, "warmup_steps": 2, "log_every": 2,
              "checkpoint_every": 2, "targets": {"fit_batches": 2, "clusters": 8}, **training}
    return ModelSpec.from_config(objective, {"family": "logmel", "preset": "tiny", "seed": 3,
                                             "training": recipe})


@pytest.mark.parametrize("objective, term", [("hubert", "masked_accuracy"),
                                             ("wav2vec2", "hard_perplexity"),
                                             ("supervised", "accuracy")])
def test_each_objective_trains_and_checkpoints(shards: Path, tmp_path: Path, objective: str,
                                               term: str) -> None:
    encoder, rows, extra = train_model(_spec(objective), [shards], tmp_path / "state.pt", CPU)
    assert [r["step"] for r in rows] == [2, 4]
    assert all(term in r and r["loss"] == r["loss"] for r in rows)
    assert 0 <= rows[-1]["data_wait_fraction"] < 1
    checkpoint.save(tmp_path / "model.pt", encoder, "logmel",
                    {"spec": _spec(objective).to_dict(), **extra})
    loaded, saved = checkpoint.load(tmp_path / "model.pt")
    x = torch.randn(1, 16000)
    with torch.no_grad():
        for a, b in zip(encoder.extract_features(x), loaded.extract_features(x)):
            assert torch.equal(a, b)
    assert saved["spec"]["training"]["objective"] == objective


def test_hubert_iteration_two_clusters_a_teacher_layer(shards: Path, tmp_path: Path) -> None:
    teacher, _, _ = train_model(_spec("hubert"), [shards], tmp_path / "t.pt", CPU)
    checkpoint.save(tmp_path / "teacher.pt", teacher, "logmel")
    spec = _spec("hubert", targets={"source": "layer", "layer": "transformer2",
                                    "fit_batches": 2, "clusters": 8})
    _, rows, extra = train_model(spec, [shards], tmp_path / "s.pt", CPU,
                                 teacher_path=tmp_path / "teacher.pt")
    assert extra["labeler"]["kind"] == "layer" and len(rows) == 2


def test_hubert_unmasked_weight_reaches_the_loss(shards: Path, tmp_path: Path) -> None:
    # the same seed and batches: only the weight of the unmasked frames' loss differs
    # (step 1's row: the loss of the initial weights, before the two runs diverge)
    _, plain, _ = train_model(_spec("hubert", log_every=1), [shards], tmp_path / "a.pt", CPU)
    _, both, _ = train_model(_spec("hubert", log_every=1, unmasked_weight=1.0), [shards],
                             tmp_path / "b.pt", CPU)
    first, again = plain[0], both[0]
    assert first["loss"] == pytest.approx(first["masked_loss"])
    assert again["masked_loss"] == pytest.approx(first["masked_loss"], rel=1e-5)
    assert again["loss"] > again["masked_loss"] + 0.5  # + the unmasked frames' cross-entropy


def test_wav2vec2_unmasked_weight_reaches_the_loss_and_the_checkpoint(shards: Path,
                                                                      tmp_path: Path) -> None:
    _, rows, extra = train_model(_spec("wav2vec2", log_every=1, unmasked_weight=1.0), [shards],
                                 tmp_path / "a.pt", CPU)
    first = rows[0]
    assert extra["objective_config"]["unmasked_weight"] == 1.0
    assert first["loss"] > first["contrastive"] + 0.5 * first["contrastive_unmasked"]
    assert first["contrastive_unmasked"] > 0.1  # chance is log(K + 1) = 2.4 at step 1
