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

A video objective (``input="video"``) trains a vision family on a video corpus's clips
through the shared loop; its module defines::

    build(spec: ModelSpec, model) -> nn.Module   # module(batch, generator) -> {"loss", ...}
    evaluate(module, batches, device, seed) -> dict[str, float]
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
    input: str = "audio"  # "text" or "video": what the model reads (audio, words, frames)

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


OBJECTIVES: dict[str, Objective] = {o.name: o for o in (
    Objective("hubert", "self-supervised", "brainlike.objectives.hubert", "audio"),
    Objective("wav2vec2", "self-supervised", "brainlike.objectives.wav2vec2", "audio"),
    Objective("supervised", "supervised", "brainlike.objectives.supervised", "audio"),
    Objective("word_classifier", "supervised", "brainlike.objectives.word_classifier", "audio"),
    Objective("next_word", "language-model", "brainlike.objectives.next_word", "text"),
    Objective("cpc", "self-supervised", "brainlike.objectives.cpc", "video"),
    Objective("mae", "self-supervised", "brainlike.objectives.mae", "video"),
    Objective("shape_classifier", "supervised", "brainlike.objectives.clip_classifier", "video"),
    Objective("motion_classifier", "supervised", "brainlike.objectives.clip_classifier",
              "video"),
)}


def objective(name: str) -> Objective:
    if name not in OBJECTIVES:
        raise ValueError(f"unknown training objective {name!r}; choose from {sorted(OBJECTIVES)}")
    return OBJECTIVES[name]
