"""The objective registry (brainlike.objectives): every row names a module that builds, checks
and judges its objective, and adding an objective is one module and one row."""

from __future__ import annotations

import inspect
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from brainlike.io.schemas import write_table
from brainlike.objectives import OBJECTIVES, Objective, objective
from brainlike.plan.specs import ModelSpec
from brainlike.preprocess.utterances import make_row, rows_to_table
from brainlike.training.run import train_model

CPU = torch.device("cpu")
SR = 16000


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_every_row_loads_a_module_with_the_three_functions(name):
    row = objective(name)
    assert row.name == name
    assert row.role in ("self-supervised", "supervised", "language-model")
    module = row.load()
    signatures = {"build": ["spec", "encoder", "directories", "teacher"],
                  "evaluate": ["module", "batches", "device", "seed"],
                  "learned": ["metrics"]}
    if row.input == "text":  # trains its own model on the transcripts
        signatures = {"train": ["spec", "directories", "device"], "learned": ["metrics"]}
    if row.input == "video":  # wraps the vision model the loop trains on clips
        signatures = {**signatures, "build": ["spec", "model"]}
    assert row.input in ("audio", "text", "video")
    for function, parameters in signatures.items():
        assert list(inspect.signature(getattr(module, function)).parameters) == parameters


def test_the_table_imports_nothing_heavy():
    # the plan reads roles while Snakemake parses the workflow
    code = ("import sys, brainlike.objectives as o; o.objective('hubert'); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_unknown_objective_names_the_registered_ones():
    with pytest.raises(ValueError, match=r"unknown training objective 'simclr'; choose from \["):
        objective("simclr")


# -- adding an objective ----------------------------------------------------------------------

FRAME_ENERGY = '''
"""A made-up objective: predict each output frame's log energy from the last layer."""

import torch
from torch import nn

from brainlike.objectives.base import Built
from brainlike.training.loop import to_device


class FrameEnergy(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.config.embed_dim, 1)

    def forward(self, batch, generator=None):
        hidden = self.encoder.extract_features(batch["audio"])[-1]
        g = self.encoder.layer_geometry[-1]
        windows = batch["audio"].unfold(1, g.field, g.stride)
        n = min(hidden.shape[1], windows.shape[1])
        target = windows[:, :n].pow(2).mean(-1).add(1e-6).log()
        return {"loss": (self.head(hidden[:, :n]).squeeze(-1) - target).pow(2).mean()}


def build(spec, encoder, directories, teacher):
    return Built(FrameEnergy(encoder), {"energy_of": spec.name}, phones=None,
                 label_offset_s=0.0)


@torch.no_grad()
def evaluate(module, batches, device, seed):
    module.eval()
    losses = [float(module(to_device(b, device))["loss"]) for b in batches]
    return {"mse": sum(losses) / len(losses), "batches": float(len(losses))}


def learned(metrics):
    return metrics["mse"] < 1.0
'''


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One collection of 4 chapters of noise (1.5-2 s), 2 to a row group."""
    directory = tmp_path_factory.mktemp("objectives") / "en"
    directory.mkdir()
    rng = np.random.default_rng(0)
    rows = [make_row(f"ch{c}", "en", "spk", rng.integers(-3000, 3001, SR * (3 + c % 2) // 2)
                     .astype(np.int16), SR) for c in range(4)]
    write_table(rows_to_table(rows), directory / "shard-00000.parquet", "utterance/1",
                row_group_size=2)
    (directory / "index.json").write_text(json.dumps({
        "corpus": "t", "collection": "en", "sample_rate": SR,
        "shards": [{"file": "shard-00000.parquet", "rows": len(rows)}]}))
    return directory


def test_a_new_objective_is_one_module_and_one_row(corpus, tmp_path, monkeypatch, request):
    (tmp_path / "frame_energy.py").write_text(FRAME_ENERGY)
    monkeypatch.syspath_prepend(str(tmp_path))
    request.addfinalizer(lambda: sys.modules.pop("frame_energy", None))
    monkeypatch.setitem(OBJECTIVES, "frame_energy",
                        Objective("frame_energy", "self-supervised", "frame_energy"))
    spec = ModelSpec.from_config("energy", {"family": "logmel", "preset": "tiny", "seed": 1,
                                            "training": {
        "objective": "frame_energy", "corpus": "t", "collections": ["en"], "steps": 2,
        "batch_size": 2, "crop_seconds": 0.5, "warmup_steps": 1, "log_every": 1,
        "heldout_chapters": 1}})
    encoder, rows, extra = train_model(spec, [corpus], tmp_path / "state.pt", CPU)
    assert [r["step"] for r in rows] == [1, 2]
    assert all(math.isfinite(r["loss"]) for r in rows)
    assert not encoder.training
    assert extra["energy_of"] == "energy"
    checks = extra["heldout"]
    assert set(checks) == {"mse", "batches", "learned", "heldout_chapters"}
    assert checks["learned"] == float(checks["mse"] < 1.0) and checks["heldout_chapters"] == 1.0
    assert checks["batches"] >= 1
