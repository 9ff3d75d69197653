"""The supervised word control: the same encoder trained to name the word under every frame.

The analogue, for the high language ROI, of the supervised phone control: whatever a
representation of word identity buys in the brain score, this model has by construction.
Targets are the corpus's word alignments (lower-cased forms) as frame labels, carried in the
batch's ``phones`` slot; the learning check is frame accuracy on held-out chapters against
always naming the most frequent word.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn

from brainlike.objectives import supervised
from brainlike.objectives.base import Built
from brainlike.plan.specs import ModelSpec
from brainlike.training.crops import label_inventory

__all__ = ["build", "evaluate", "learned"]


def build(spec: ModelSpec, encoder: nn.Module, directories: list[Path],
          teacher: nn.Module | None) -> Built:
    """A word classifier on ``encoder``'s last layer over the corpus's word forms (the
    checkpoint keeps them as ``words``)."""
    words = label_inventory(directories, "words")
    if not words:
        raise ValueError(f"word classification needs word alignments; {directories} have none")
    module = supervised.SupervisedObjective(encoder, len(words))
    return Built(module, {"words": words}, phones=words, label_offset_s=module.label_offset_s,
                 label_unit="words")


@torch.no_grad()
def evaluate(module: supervised.SupervisedObjective, batches: Iterable[dict],
             device: torch.device, seed: int) -> dict[str, float]:
    """Word frame accuracy on held-out batches and the most frequent word's."""
    metrics = supervised.evaluate(module, batches, device, seed)
    return {"word_accuracy": metrics["phone_accuracy"], "majority": metrics["majority"],
            "labelled_frames": metrics["labelled_frames"]}


def learned(metrics: dict[str, float]) -> bool:
    """Words named better than by always naming the most frequent one."""
    return metrics["word_accuracy"] > metrics["majority"]
