"""Dense predictive coding on a :class:`~brainlike.models.cpc.CPCNet` (Han et al. 2019, as
Bakhtiari et al. 2021 train their parallel-pathway network), and its learning check.

The context blocks' latents go through the aggregator; from its last state the predictor
names the latent of each future block, at every position of the latent grid. Each
prediction is scored against every future latent of the batch: the true one (same clip,
block and position) against those of the other positions, the other future blocks and the
other clips. The scores are plain dot products with no temperature, as in DPC's code.

The learning check (:func:`evaluate`, :func:`learned`) compares held-out accuracy and loss
with a model that learned nothing: accuracy ``1 / n`` and loss ``log n`` for ``n``
candidates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from brainlike.models.cpc import CPCNet
from brainlike.objectives.base import seeded, weighted_mean
from brainlike.training.loop import to_device

__all__ = ["CPCObjective", "evaluate", "info_nce", "info_nce_accuracy", "learned"]


def _logits(pred: Tensor, target: Tensor) -> Tensor:
    if pred.ndim != 2 or pred.shape != target.shape or pred.shape[0] < 1:
        raise ValueError(f"pred and target must both be (N, D) with N >= 1, found "
                         f"{tuple(pred.shape)} and {tuple(target.shape)}")
    return pred.float() @ target.float().T


def _loss(logits: Tensor) -> Tensor:
    return F.cross_entropy(logits, torch.arange(len(logits), device=logits.device))


def _accuracy(logits: Tensor) -> Tensor:
    # Strictly above every other candidate: identical candidates score 0, not 1 by a tie.
    positive = logits.diagonal()
    others = logits.masked_fill(torch.eye(len(logits), dtype=torch.bool,
                                          device=logits.device), float("-inf"))
    return (positive > others.max(1).values).float().mean().detach()


def info_nce(pred: Tensor, target: Tensor) -> Tensor:
    """InfoNCE of picking ``target[i]`` for ``pred[i]`` among all N targets, as a () mean.

    pred, target: (N, D); logits are dot products (no temperature). log N when every
    candidate is the same vector.
    """
    return _loss(_logits(pred, target))


def info_nce_accuracy(pred: Tensor, target: Tensor) -> Tensor:
    """() fraction of rows whose own target scores strictly above every other one."""
    return _accuracy(_logits(pred, target))


def _rows(z: Tensor) -> Tensor:
    """(B, K, C, h, w) -> (B * K * h * w, C), rows ordered (clip, block, y, x): predictions
    and targets flattened alike put each positive on the diagonal."""
    return z.permute(0, 1, 3, 4, 2).reshape(-1, z.shape[2])


class CPCObjective(nn.Module):
    """DPC's loss on a CPCNet: ``module(batch, generator) -> {"loss", "accuracy"}``.

    batch["frames"]: (B, T, H, W) in [0, 1] with T >= the model's clip_frames; a longer clip
    is cropped at a start drawn per clip from ``generator`` (the only randomness).
    """

    def __init__(self, model: CPCNet) -> None:
        super().__init__()
        self.model = model

    def crop(self, frames: Tensor, generator: torch.Generator | None) -> Tensor:
        """(B, T, H, W) -> (B, clip_frames, H, W)."""
        n = self.model.config.clip_frames
        if frames.ndim != 4 or frames.shape[1] < n:
            raise ValueError(f"batch['frames'] must be (batch, >= {n} frames, height, width), "
                             f"found shape {tuple(frames.shape)}")
        spare = frames.shape[1] - n
        if spare == 0:
            return frames
        starts = torch.randint(0, spare + 1, (frames.shape[0],), generator=generator).tolist()
        return torch.stack([f[s:s + n] for f, s in zip(frames, starts)])

    def forward(self, batch: dict, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        c = self.model.config
        latents = self.model.encode_blocks(self.crop(batch["frames"], generator))
        states = self.model.aggregate(latents[:, :c.context_blocks])
        pred = self.model.predict_future(states[:, -1], c.pred_blocks)
        target = latents[:, c.context_blocks:]
        logits = _logits(_rows(pred), _rows(target))
        return {"loss": _loss(logits), "accuracy": _accuracy(logits),
                "candidates": torch.tensor(float(len(logits)))}


@torch.no_grad()
def evaluate(module: CPCObjective, batches: Iterable[dict], device: torch.device,
             seed: int) -> dict[str, float]:
    """The prediction task on held-out batches (crops drawn from ``seed``).

    Returns infonce_accuracy and loss (pooled over the predictions scored), and what a model
    that learned nothing scores: chance_accuracy (1 / candidates) and log_n (log candidates),
    averaged the same way.
    """
    module.eval()
    rows: dict[str, list[float]] = {"accuracy": [], "loss": [], "chance": [], "log_n": []}
    weights: list[float] = []
    for i, batch in enumerate(batches):
        out = module(to_device(batch, device), seeded(seed + i))
        n = float(out["candidates"])
        rows["accuracy"].append(float(out["accuracy"]))
        rows["loss"].append(float(out["loss"]))
        rows["chance"].append(1 / n)
        rows["log_n"].append(math.log(n))
        weights.append(n)
    if not weights:
        raise ValueError("no held-out batch to evaluate on")
    result = {name: weighted_mean(v, weights) for name, v in rows.items()}
    return {"infonce_accuracy": result["accuracy"], "chance_accuracy": result["chance"],
            "loss": result["loss"], "log_n": result["log_n"]}


# "Clearly above chance": five times the accuracy of a guess, and a loss below a guess's.
LEARNED_ACCURACY_RATIO = 5.0


def learned(metrics: dict[str, float]) -> bool:
    """Held-out accuracy at least five times chance and loss under log n. Reported, not
    enforced: a model that learned nothing is still a result."""
    return bool(metrics["infonce_accuracy"] > LEARNED_ACCURACY_RATIO * metrics["chance_accuracy"]
                and metrics["loss"] < metrics["log_n"])


def build(spec, model: CPCNet) -> CPCObjective:
    """The objective module the shared loop trains (``objectives/__init__.py``)."""
    return CPCObjective(model)
