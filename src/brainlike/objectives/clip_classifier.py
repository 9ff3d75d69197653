"""Supervised vision controls: a backbone trained end to end to name each clip's shape or
motion direction.

Whatever a representation of object shape (the ventral stream's business) or of motion
direction (the dorsal stream's) buys in the brain comparisons, these models have by
construction. Any backbone with the vision layer API (``layer_names()`` and
``forward_layers(frames) -> name -> (B, T, D)``) serves: the clip's label is read by a linear
head from one layer, averaged over the clip's frames. The learning check is held-out accuracy
against always naming the most frequent class.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from brainlike.training.loop import to_device

__all__ = ["LABELS", "ClipClassifier", "evaluate", "learned"]

#: The batch entries a classifier can name (each (B,) long, constant within a clip).
LABELS = ("shape", "direction")


class ClipClassifier(nn.Module):
    """A linear read-out of one backbone layer, averaged over frames, trained by cross-entropy.

    backbone: exposes ``layer_names()`` and ``forward_layers(frames (B, T, H, W))``.
    label: which batch entry to name, one of :data:`LABELS`.
    layer: the layer read (None: the backbone's last).
    probe_shape: (T, H, W) of the zero clip run once to learn the layer's width.
    """

    def __init__(self, backbone: nn.Module, label: str, n_classes: int,
                 layer: str | None = None, probe_shape: tuple[int, int, int] = (16, 64, 64)
                 ) -> None:
        super().__init__()
        if label not in LABELS:
            raise ValueError(f"unknown clip label {label!r}; choose from {LABELS}")
        if n_classes < 2:
            raise ValueError(f"n_classes must be >= 2, found {n_classes}")
        names = backbone.layer_names()
        layer = names[-1] if layer is None else layer
        if layer not in names:
            raise ValueError(f"backbone has no layer {layer!r}; it has {names}")
        self.backbone, self.label, self.layer, self.n_classes = backbone, label, layer, n_classes
        device = next(backbone.parameters()).device  # the backbone may already sit on a GPU
        with torch.no_grad():
            width = backbone.forward_layers(torch.zeros(1, *probe_shape, device=device))[layer]
        self.head = nn.Linear(width.shape[-1], n_classes, device=device)

    def logits(self, frames: Tensor) -> Tensor:
        """Clips (B, T, H, W) -> class scores (B, n_classes)."""
        features = self.backbone.forward_layers(frames)[self.layer]  # (B, T, D)
        return self.head(features.mean(dim=1))

    def forward(self, batch: dict, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        labels = batch[self.label]
        logits = self.logits(batch["frames"])
        if labels.shape != logits.shape[:1]:
            raise ValueError(f"batch[{self.label!r}] must be ({logits.shape[0]},), found shape "
                             f"{tuple(labels.shape)}")
        loss = F.cross_entropy(logits, labels)
        correct = (logits.argmax(-1) == labels).sum()
        return {"loss": loss, "accuracy": correct.detach() / len(labels),
                "correct": correct.detach(), "clips": torch.tensor(len(labels))}


@torch.no_grad()
def evaluate(module: ClipClassifier, batches: Iterable[dict], device: torch.device,
             seed: int) -> dict[str, float]:
    """Clip accuracy on held-out batches and the most frequent held-out class's share
    (``seed`` is unused: nothing is drawn)."""
    module.eval()
    correct, counts = 0, torch.zeros(module.n_classes, dtype=torch.long)
    for batch in batches:
        batch = to_device(batch, device)
        out = module(batch)
        correct += int(out["correct"])
        counts += torch.bincount(batch[module.label].cpu(), minlength=module.n_classes)
    n = int(counts.sum())
    if n == 0:
        raise ValueError("no held-out batch to evaluate on")
    return {"accuracy": correct / n, "majority_accuracy": float(counts.max()) / n,
            "clips": float(n)}


def learned(metrics: dict[str, float]) -> bool:
    """Clips named better than by always naming the most frequent class."""
    return metrics["accuracy"] > metrics["majority_accuracy"]


def build(spec, model: nn.Module) -> ClipClassifier:
    """The classifier a ``shape_classifier`` or ``motion_classifier`` entry trains: the
    backbone's last layer named to the clip's shape class or motion-direction class."""
    from brainlike.simulate.movies import N_DIRECTIONS, SHAPES

    label, n = {"shape_classifier": ("shape", len(SHAPES)),
                "motion_classifier": ("direction", N_DIRECTIONS)}[spec.training.objective]
    return ClipClassifier(model, label, n)
