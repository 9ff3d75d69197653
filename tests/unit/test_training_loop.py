"""The training loop: schedule, resumption equals an uninterrupted run, non-finite stop,
precision."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from torch import nn

from brainlike.models.configs import Wav2Vec2Config
from brainlike.models.wav2vec2 import Wav2Vec2
from brainlike.objectives.supervised import SupervisedObjective
from brainlike.plan.specs import TrainingSpec
from brainlike.training.loop import autocast_dtype, train
from brainlike.training.schedule import learning_rate

CPU = torch.device("cpu")



def _batches(skip: int = 0) -> Iterator[dict]:
    """A deterministic toy task: the phone label is which of 4 tones is playing."""
    batches = _tones()
    for _ in range(skip):
        next(batches)
    return batches


def _tones() -> Iterator[dict]:
    g = torch.Generator().manual_seed(0)
    t = torch.arange(8000) / 16000
    while True:
        labels = torch.randint(0, 4, (4,), generator=g)
        audio = torch.stack([torch.sin(2 * torch.pi * (300 + 400 * int(k)) * t) for k in labels])
        audio = audio + 0.05 * torch.randn(audio.shape, generator=g)
        frames = 8000 // 320
        yield {"audio": audio, "phones": labels[:, None].expand(-1, frames).clone()}


def _setup(seed: int = 0) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(seed)
    encoder = Wav2Vec2(Wav2Vec2Config.preset("tiny"))
    return encoder, SupervisedObjective(encoder, n_phones=4)


SPEC = TrainingSpec.from_config({
    "objective": "supervised", "corpus": "c", "collections": ["en"], "steps": 12,
    "batch_size": 4, "crop_seconds": 0.5, "lr": 2e-3, "warmup_steps": 3, "log_every": 2,
    "checkpoint_every": 4})
SEED = 1


def test_schedule_warms_up_then_decays() -> None:
    rates = [learning_rate(s, 1.0, 10, 100, 0.01) for s in range(100)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(rates[9:], rates[10:]))
    assert rates[-1] == pytest.approx(0.01, abs=1e-3)


def test_resumed_run_ends_with_the_same_weights(tmp_path: Path) -> None:
    encoder, objective = _setup()
    rows = train(encoder, objective, _batches, SPEC, SEED, tmp_path / "a.pt", CPU)
    assert [r["step"] for r in rows] == [2, 4, 6, 8, 10, 12]
    assert rows[-1]["accuracy"] > 0.5  # the toy task is learnt: supervised training works

    encoder2, objective2 = _setup()
    train(encoder2, objective2, _batches, SPEC, SEED, tmp_path / "b.pt", CPU, stop_after=5)
    encoder3, objective3 = _setup(seed=99)  # a fresh process would rebuild from scratch
    rows3 = train(encoder3, objective3, _batches, SPEC, SEED, tmp_path / "b.pt", CPU)
    for (name, a), b in zip(objective.state_dict().items(), objective3.state_dict().values()):
        assert torch.equal(a, b), name
    assert [r["step"] for r in rows3] == [r["step"] for r in rows]


def test_a_checkpoint_of_another_recipe_is_not_resumed(tmp_path: Path) -> None:
    # A config edited after a killed run (or after a finished one) must not resume stale
    # weights: e.g. fewer steps would otherwise "finish" at the old step count at once.
    encoder, objective = _setup()
    train(encoder, objective, _batches, SPEC, SEED, tmp_path / "s.pt", CPU, stop_after=5,
          recipe='{"steps": 600}')
    encoder2, objective2 = _setup()
    rows = train(encoder2, objective2, _batches, SPEC, SEED, tmp_path / "s.pt", CPU,
                 recipe='{"steps": 12}')
    fresh_encoder, fresh_objective = _setup()
    fresh = train(fresh_encoder, fresh_objective, _batches, SPEC, SEED, tmp_path / "f.pt", CPU,
                  recipe='{"steps": 12}')
    assert [r["loss"] for r in rows] == [r["loss"] for r in fresh]
    assert torch.load(tmp_path / "s.pt", weights_only=True)["recipe"] == '{"steps": 12}'


def test_non_finite_loss_stops_with_the_step(tmp_path: Path) -> None:
    encoder, objective = _setup()

    def poisoned(batch: dict, generator: torch.Generator) -> dict:
        terms = objective(batch, generator)
        return {**terms, "loss": terms["loss"] * float("nan")}

    with pytest.raises(FloatingPointError, match="at step 0"):
        train(encoder, poisoned, _batches, SPEC, SEED, tmp_path / "c.pt", CPU)


@pytest.mark.parametrize("precision, device, dtype", [
    ("auto", "cpu", None), ("auto", "cuda", torch.bfloat16), ("float32", "cpu", None),
    ("float32", "cuda", None), ("bfloat16", "cpu", torch.bfloat16),
    ("bfloat16", "cuda", torch.bfloat16)])
def test_precision_picks_the_autocast(precision, device, dtype):
    assert autocast_dtype(precision, torch.device(device)) == dtype


def test_unknown_precision_fails_before_training(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown precision 'half'"):
        train(*_setup(), _batches, replace(SPEC, precision="half"), SEED, tmp_path / "h.pt", CPU)


def _autocast_spy(objective: nn.Module, seen: list) -> Callable[..., dict]:
    def spy(batch: dict, generator: torch.Generator) -> dict:
        seen.append(torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu")
                    else None)
        return objective(batch, generator)
    return spy


def test_bfloat16_precision_trains_on_the_cpu(tmp_path: Path) -> None:
    spec = replace(SPEC, steps=2, log_every=1, precision="bfloat16")
    encoder, objective = _setup()
    seen: list = []
    rows = train(encoder, _autocast_spy(objective, seen), _batches, spec, SEED,
                 tmp_path / "bf16.pt", CPU)
    assert seen == [torch.bfloat16] * 2
    assert [r["step"] for r in rows] == [1, 2]
    assert all(math.isfinite(r["loss"]) and r["loss"] > 0 for r in rows)
    assert all(p.dtype == torch.float32 for p in objective.parameters())  # autocast only
    # "auto" keeps the CPU in float32
    encoder, objective = _setup()
    seen = []
    train(encoder, _autocast_spy(objective, seen), _batches, replace(spec, precision="auto"),
          SEED, tmp_path / "auto.pt", CPU)
    assert seen == [None, None]
