"""Training objectives: one module each, registered in one table.

A row gives the objective's name (``training.objective`` in the config), the role its models
play in the comparisons, and the module holding everything else: the objective's model side
and loss, its targets, its learning check. The table imports nothing heavy, so the plan reads
roles at parse time; a module is imported only when a model trains.

An audio objective's module (``input="audio"``) defines::

    build(spec: ModelSpec, encoder, directories, teacher) -> Built    # objectives.base
    evaluate(module, batches, device, seed) -> dict[str, float]      # held-out checks
    learned(metrics) -> bool                                           # their verdict

and :func:`brainlike.training.run.train_model` trains the encoder through the shared crop
loop. A text objective (``input="text"``) trains a model of a text family
(:data:`brainlike.models.configs.TEXT_FAMILIES`) on the corpus's transcripts, with its own
batches and vocabulary, so its module owns the whole of it::

    train(spec: ModelSpec, directories, device) -> (model, log rows, extra)
    learned(metrics) -> bool

``train_model`` calls nothing else, so adding an objective is one module and one row here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Objective:
    name: str
    role: str  # "self-supervised", "supervised" or "language-model"
    module: str
    input: str = "audio"  # or "text": what the model reads (the stimulus's audio or words)

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


OBJECTIVES: dict[str, Objective] = {o.name: o for o in (
    Objective("hubert", "self-supervised", "brainlike.objectives.hubert", "audio"),
    Objective("wav2vec2", "self-supervised", "brainlike.objectives.wav2vec2", "audio"),
    Objective("supervised", "supervised", "brainlike.objectives.supervised", "audio"),
    Objective("word_classifier", "supervised", "brainlike.objectives.word_classifier", "audio"),
    Objective("next_word", "language-model", "brainlike.objectives.next_word", "text"),
)}


def objective(name: str) -> Objective:
    if name not in OBJECTIVES:
        raise ValueError(f"unknown training objective {name!r}; choose from {sorted(OBJECTIVES)}")
    return OBJECTIVES[name]
