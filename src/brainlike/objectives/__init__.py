"""Training objectives: one module each, registered in one table.

A row gives the objective's name (``training.objective`` in the config), the role its models
play in the comparisons, and the module holding everything else: the objective's model side
and loss, its targets, its learning check. The table imports nothing heavy, so the plan reads
roles at parse time; a module is imported only when a model trains.

Each module defines::

    build(spec: ModelSpec, encoder, directories, teacher) -> Built    # objectives.base
    evaluate(module, batches, device, seed) -> dict[str, float]      # held-out checks
    learned(metrics) -> bool                                           # their verdict

``brainlike.training.run.train_model`` calls nothing else, so adding an objective is one
module and one row here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Objective:
    name: str
    role: str  # "self-supervised" or "supervised"
    module: str

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


OBJECTIVES: dict[str, Objective] = {o.name: o for o in (
    Objective("hubert", "self-supervised", "brainlike.objectives.hubert"),
    Objective("wav2vec2", "self-supervised", "brainlike.objectives.wav2vec2"),
    Objective("supervised", "supervised", "brainlike.objectives.supervised"),
    Objective("word_classifier", "supervised", "brainlike.objectives.word_classifier"),
)}


def objective(name: str) -> Objective:
    if name not in OBJECTIVES:
        raise ValueError(f"unknown training objective {name!r}; choose from {sorted(OBJECTIVES)}")
    return OBJECTIVES[name]
