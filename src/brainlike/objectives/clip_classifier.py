"""Supervised vision controls: a backbone trained end to end to name each clip's shape or
motion direction.

Whatever a representation of object shape (the ventral stream's business) or of motion
direction (the dorsal stream's) buys in the brain comparisons, these models have by
construction. Any backbone with the vision layer API (``layer_names()`` and
``forward_layers(frames) -> name -> (B, T, D)``) serves. A linear head reads one layer, or,
by default for backbones that have one, ``frame_embedding(frames) -> (B, T, D)``: the top
feature maps averaged over space, so a class is named the same wherever the object is
(reading a coarse grid instead, the head would have to learn each shape at each position,
which a few hundred CPU steps do not teach). A label given per clip ((B,)) is named from the
clip's frames averaged; a label given per frame ((B, T): the motion direction, which flips
when the object bounces off an edge) is named frame by frame. The learning check is held-out
accuracy against always naming the most frequent class.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from brainlike.training.loop import to_device

__all__ = ["LABELS", "ClipClassifier", "evaluate", "learned"]

#: The batch entries a classifier can name ((B,) per clip or (B, T) per frame, long).
LABELS = ("shape", "direction")
#: The ``layer`` of a classifier that reads the backbone's ``frame_embedding``.
EMBEDDING = "frame_embedding"


class ClipClassifier(nn.Module):
    """A linear read-out of one backbone layer, trained by cross-entropy.

    backbone: exposes ``layer_names()`` and ``forward_layers(frames (B, T, H, W))``.
    label: which batch entry to name, one of :data:`LABELS`.
    layer: the layer read (None: the backbone's ``frame_embedding`` if it has one, else its
        last layer).
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
        if layer is None:
            layer = EMBEDDING if hasattr(backbone, EMBEDDING) else names[-1]
        elif layer not in names:
            raise ValueError(f"backbone has no layer {layer!r}; it has {names}")
        self.backbone, self.label, self.layer, self.n_classes = backbone, label, layer, n_classes
        device = next(backbone.parameters()).device  # the backbone may already sit on a GPU
        with torch.no_grad():
            width = self.features(torch.zeros(1, *probe_shape, device=device))
        self.head = nn.Linear(width.shape[-1], n_classes, device=device)

    def features(self, frames: Tensor) -> Tensor:
        """Clips (B, T, H, W) -> the read-out's input per frame (B, T, D)."""
        if self.layer == EMBEDDING:
            return self.backbone.frame_embedding(frames)
        return self.backbone.forward_layers(frames)[self.layer]

    def logits(self, frames: Tensor, per_frame: bool = False) -> Tensor:
        """Clips (B, T, H, W) -> class scores (B, n_classes), or (B, T, n_classes) per frame."""
        features = self.features(frames)
        return self.head(features if per_frame else features.mean(dim=1))

    def forward(self, batch: dict, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        labels, frames = batch[self.label], batch["frames"]
        if labels.shape not in (frames.shape[:1], frames.shape[:2]):
            raise ValueError(f"batch[{self.label!r}] must be per clip {tuple(frames.shape[:1])} "
                             f"or per frame {tuple(frames.shape[:2])}, found shape "
                             f"{tuple(labels.shape)}")
        logits = self.logits(frames, per_frame=labels.ndim == 2)
        loss = F.cross_entropy(logits.reshape(-1, self.n_classes), labels.reshape(-1))
        correct = (logits.argmax(-1) == labels).sum()
        return {"loss": loss, "accuracy": correct.detach() / labels.numel(),
                "correct": correct.detach(), "clips": torch.tensor(labels.numel())}


@torch.no_grad()
def evaluate(module: ClipClassifier, batches: Iterable[dict], device: torch.device,
             seed: int) -> dict[str, float]:
    """Held-out accuracy (over clips, or frames for a per-frame label) and the most frequent
    held-out class's share (``seed`` is unused: nothing is drawn)."""
    module.eval()
    correct, counts = 0, torch.zeros(module.n_classes, dtype=torch.long)
    for batch in batches:
        batch = to_device(batch, device)
        out = module(batch)
        correct += int(out["correct"])
        counts += torch.bincount(batch[module.label].cpu().reshape(-1),
                                 minlength=module.n_classes)
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
    clip's shape class, or each frame's motion-direction class, named from the backbone's
    default read-out."""
    from brainlike.simulate.movies import N_DIRECTIONS, SHAPES

    label, n = {"shape_classifier": ("shape", len(SHAPES)),
                "motion_classifier": ("direction", N_DIRECTIONS)}[spec.training.objective]
    return ClipClassifier(model, label, n)
