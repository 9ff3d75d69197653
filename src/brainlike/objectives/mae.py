"""Masked-autoencoder pre-training on movie clips: reconstruct hidden patches of single frames.

Each step reads a few random frames of every clip (the MAE sees frames, not clips) and scores
the model's masked-patch reconstruction (:meth:`brainlike.models.mae.MAE.forward_loss`). The
learning check compares it, on held-out clips with masks drawn from a seed, with predicting
every masked patch by the mean of the same frame's visible patches, in the same target space
(normalised pixels under ``norm_pix_loss``): the best a model can do from the visible patches
without having learned anything about images.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn

from brainlike.models.mae import MAE
from brainlike.objectives.base import seeded, weighted_mean
from brainlike.training.loop import to_device

__all__ = ["MAEObjective", "sample_frames", "mean_patch_mse", "evaluate", "learned",
           "LEARNED_FRACTION"]

#: ``learned`` asks for a reconstruction error below this share of the baseline's. Below 1 so
#: that a decoder predicting zero everywhere (the mean of normalised patches) does not pass
#: when the visible mean is slightly noisier than zero.
LEARNED_FRACTION = 0.9


def sample_frames(frames: Tensor, k: int, generator: torch.Generator | None = None) -> Tensor:
    """``k`` distinct random frames of each clip: (B, T, H, W) -> (B * k, H, W)."""
    if frames.ndim != 4:
        raise ValueError(f"frames must be (batch, time, height, width), found shape "
                         f"{tuple(frames.shape)}")
    b, t = frames.shape[:2]
    if not 1 <= k <= t:
        raise ValueError(f"cannot draw {k} distinct frames from clips of {t}")
    index = torch.rand(b, t, generator=generator).argsort(dim=1)[:, :k].to(frames.device)
    picked = torch.gather(frames, 1, index[:, :, None, None].expand(-1, -1, *frames.shape[2:]))
    return picked.reshape(b * k, *frames.shape[2:])


def mean_patch_mse(targets: Tensor, mask: Tensor) -> Tensor:
    """The baseline's error: each masked patch predicted by the mean of its frame's visible
    patches. targets (N, L, P), mask (N, L) with 1 = masked; mean over masked patches ()."""
    visible = (1 - mask)[:, :, None]
    mean = (targets * visible).sum(1, keepdim=True) / visible.sum(1, keepdim=True).clamp(min=1)
    per_patch = ((targets - mean) ** 2).mean(-1)
    return (per_patch * mask).sum() / mask.sum().clamp(min=1)


class MAEObjective(nn.Module):
    """An MAE trained on ``frames_per_clip`` random frames of each clip.

    batch: ``frames`` (B, T, H, W) float32 in [0, 1]; other entries are ignored.
    """

    def __init__(self, model: MAE, frames_per_clip: int = 4) -> None:
        super().__init__()
        if frames_per_clip < 1:
            raise ValueError(f"frames_per_clip must be >= 1, found {frames_per_clip}")
        self.model, self.frames_per_clip = model, frames_per_clip

    def forward(self, batch: dict, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        images = sample_frames(batch["frames"], self.frames_per_clip, generator)
        loss, pred, mask = self.model(images, generator)
        # The baseline on the same masks costs one subtraction: worth logging every step.
        baseline = mean_patch_mse(self.model.targets(images), mask)
        return {"loss": loss, "mean_patch_mse": baseline.detach(), "masked": mask.sum()}


@torch.no_grad()
def evaluate(module: MAEObjective, batches: Iterable[dict], device: torch.device,
             seed: int) -> dict[str, float]:
    """Masked-patch reconstruction error on held-out batches and the visible-mean baseline's
    on the same frames and masks (drawn from ``seed + i`` for batch ``i``), pooled over the
    masked patches."""
    module.eval()
    rec, base, weights = [], [], []
    for i, batch in enumerate(batches):
        out = module(to_device(batch, device), seeded(seed + i))
        rec.append(float(out["loss"]))
        base.append(float(out["mean_patch_mse"]))
        weights.append(float(out["masked"]))
    if not weights:
        raise ValueError("no held-out batch to evaluate on")
    return {"reconstruction_mse": weighted_mean(rec, weights),
            "mean_patch_mse": weighted_mean(base, weights), "masked_patches": float(sum(weights))}


def learned(metrics: dict[str, float]) -> bool:
    """Masked patches reconstructed clearly better than by the mean visible patch."""
    return metrics["reconstruction_mse"] < LEARNED_FRACTION * metrics["mean_patch_mse"]


def build(spec, model: MAE) -> MAEObjective:
    """The objective module the shared loop trains (``objectives/__init__.py``)."""
    return MAEObjective(model)
