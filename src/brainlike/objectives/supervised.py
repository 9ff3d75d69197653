"""The supervised control: the same encoder trained to name the phone under every frame.

Targets are the corpus's phone alignments, carried by each batch as frame labels; the
learning check is frame accuracy on held-out chapters against always naming the most
frequent phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from brainlike.objectives.base import Built, weighted_mean
from brainlike.objectives.cluster_targets import majority_baseline
from brainlike.plan.specs import ModelSpec
from brainlike.training.crops import phone_inventory
from brainlike.training.loop import to_device

__all__ = ["SupervisedObjective", "build", "evaluate", "learned"]


class SupervisedObjective(nn.Module):
    """Frame-level phone classification from one encoder layer (cross-entropy).

    batch: ``audio`` (B, S) float32 and ``phones`` (B, T_l) int64 labels at the layer's frame
    rate (-100 where no phoneme is spoken), label ``f`` naming the phone under the centre of
    frame ``f``: ``label_offset_s`` is where frame 0 is centred, for the data stream. Frames
    beyond the shorter of the two are ignored.
    """

    def __init__(self, encoder: nn.Module, n_phones: int, layer: int = -1) -> None:
        super().__init__()
        self.encoder, self.layer = encoder, layer
        device = next(encoder.parameters()).device  # the encoder may already sit on a GPU
        width = encoder.extract_features(torch.zeros(1, 16000, device=device))[layer].shape[-1]
        self.head = nn.Linear(width, n_phones)
        # Labelling frame f at its start instead would teach the encoder to name the phone
        # half a receptive field (32 ms for the log-mel encoder) before the one it is read at.
        geometry = encoder.layer_geometry[layer]
        self.label_offset_s = geometry.field / 2 / encoder.config.sample_rate

    def forward(self, batch: dict, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        features = self.encoder.extract_features(batch["audio"])[self.layer]  # (B, T, D)
        labels = batch["phones"]
        n = min(features.shape[1], labels.shape[1])
        logits = self.head(features[:, :n])
        labels = labels[:, :n]
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                               ignore_index=-100)
        valid = labels != -100
        accuracy = (logits.argmax(-1)[valid] == labels[valid]).float().mean()
        # frames: how many label columns were judged (the evaluator's baseline uses the same)
        return {"loss": loss, "accuracy": accuracy.detach(), "frames": torch.tensor(n)}


def build(spec: ModelSpec, encoder: nn.Module, directories: list[Path],
          teacher: nn.Module | None) -> Built:
    """A phone classifier on ``encoder``'s last layer, over the corpus's phone inventory
    (the checkpoint keeps it as ``phones``); batches carry labels centred on its frames."""
    phones = phone_inventory(directories)
    if not phones:
        raise ValueError(f"supervised training needs alignments; {directories} have none")
    module = SupervisedObjective(encoder, len(phones))
    return Built(module, {"phones": phones}, phones=phones, label_offset_s=module.label_offset_s)


@torch.no_grad()
def evaluate(module: SupervisedObjective, batches: Iterable[dict], device: torch.device,
             seed: int) -> dict[str, float]:
    """Frame accuracy on held-out batches and the majority phone's, over the same frames
    (``seed`` is unused: nothing is drawn)."""
    module.eval()
    acc, major, weights = [], [], []
    for batch in batches:
        batch = to_device(batch, device)
        out = module(batch)
        labels = batch["phones"][:, :int(out["frames"])]  # the frames the accuracy judged
        n = float((labels != -100).sum())
        acc.append(float(out["accuracy"]))
        major.append(majority_baseline(labels))
        weights.append(n)
    if not weights:
        raise ValueError("no held-out batch to evaluate on")
    return {"phone_accuracy": weighted_mean(acc, weights),
            "majority": weighted_mean(major, weights), "labelled_frames": float(sum(weights))}


def learned(metrics: dict[str, float]) -> bool:
    """Phones named better than by always naming the most frequent one."""
    return metrics["phone_accuracy"] > metrics["majority"]
