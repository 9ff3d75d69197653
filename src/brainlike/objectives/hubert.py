"""HuBERT's masked-prediction objective (Hsu et al. 2021) for any staged encoder, its k-means
targets and its learning check.

The encoder must expose ``forward_conv`` and ``forward_encoder(x, mask=None,
num_layers=None)`` (as ``LogMelEncoder``), and optionally ``frontend`` (waveforms -> the
input of ``forward_conv``). Spans of conv frames are replaced by a mask embedding and the
chosen transformer layer predicts each frame's cluster id (k-means targets,
:mod:`brainlike.objectives.cluster_targets`: MFCC clusters, or a teacher model's layer for
iteration 2); the loss is cross-entropy on masked frames (plus an optional weight on unmasked
ones).

Head: as HuBERT, LayerNorm -> linear projection to ``final_dim`` -> cosine similarity with a
learned embedding per cluster / temperature 0.1 (``head="cosine"``); or a plain linear
classifier (``head="linear"``). The LayerNorm is needed because the pre-LN transformer's
residual stream is not normalised. The objective is an ``nn.Module`` that owns the encoder,
so ``objective.parameters()`` covers encoder and head.

Learning check: masked accuracy on held-out chapters against copying the label of the
nearest unmasked frame (the baseline that label continuity alone reaches) and against the
majority label.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import Tensor, nn

from brainlike.models.masking import span_mask
from brainlike.objectives.base import Built, seeded, weighted_mean
from brainlike.objectives.cluster_targets import (IGNORE, LayerFeatures, MfccFeatures,
                                                  TargetLabeler, copy_nearest_baseline,
                                                  majority_baseline)
from brainlike.plan.specs import ModelSpec
from brainlike.training.batches import batches
from brainlike.training.loop import to_device

__all__ = ["IGNORE", "HubertObjective", "WithTargets", "build", "evaluate", "fit_labeler",
           "learned"]

log = logging.getLogger(__name__)


class HubertObjective(nn.Module):
    """``terms = objective(batch, generator)``: masked cluster prediction.

    batch: ``audio`` (B, S) float32, ``targets`` (B, T2) int64 cluster ids at the encoder's
        output rate (-100 = ignore); optional ``length`` (B,) valid samples per row, so
        padding is never masked.
    Returns scalar tensors: ``loss`` (to backpropagate), ``masked_loss``,
    ``masked_accuracy``, ``unmasked_accuracy``, ``n_masked`` (masked frames with a target),
    ``mask_fraction``.

    mask_prob, span (frames, or a (lo, hi) range) and unmasked_weight come from the model's
    config (``training.*``). The head's defaults (cosine, last layer) are the recipe
    measured to learn on 2 CPU cores.
    """

    def __init__(self, encoder: nn.Module, n_clusters: int, *, mask_prob: float,
                 span: int | tuple[int, int], unmasked_weight: float, layer: int = -1,
                 head: str = "cosine", final_dim: int = 256, temperature: float = 0.1,
                 min_masks: int = 1) -> None:
        super().__init__()
        if head not in ("cosine", "linear"):
            raise ValueError(f"head must be 'cosine' or 'linear', found {head!r}")
        num_layers = encoder.config.num_layers
        if not -num_layers <= layer < num_layers:
            raise ValueError(f"layer {layer} out of range for {num_layers} transformer layers")
        self.encoder = encoder
        self.n_clusters, self.mask_prob, self.span = n_clusters, mask_prob, span
        self.layer = layer % num_layers  # 0-based transformer layer that predicts
        self.head, self.temperature = head, temperature
        self.unmasked_weight, self.min_masks = unmasked_weight, min_masks
        dim = encoder.config.embed_dim
        self.norm = nn.LayerNorm(dim)
        if head == "cosine":
            self.projection = nn.Linear(dim, final_dim)
            self.cluster_embeddings = nn.Parameter(torch.randn(n_clusters, final_dim))
        else:
            self.projection = nn.Linear(dim, n_clusters)

    def draw_mask(self, batch: int, frames: int, generator: torch.Generator | None = None,
                  frame_lengths: Tensor | None = None) -> Tensor:
        """A (batch, frames) bool span mask with this objective's settings (on the CPU)."""
        return span_mask(batch, frames, self.mask_prob, self.span, generator,
                         min_masks=self.min_masks, lengths=frame_lengths)

    def frame_lengths(self, samples: Tensor) -> Tensor:
        """(B,) valid samples -> (B,) valid output frames."""
        g = self.encoder.layer_geometry[-1]
        return ((samples.long() - g.field).div(g.stride, rounding_mode="floor") + 1).clamp(min=0)

    def logits(self, hidden: Tensor) -> Tensor:
        """(..., embed_dim) -> (..., n_clusters) float32 logits."""
        z = self.projection(self.norm(hidden)).float()
        if self.head == "linear":
            return z
        # float32 even under bf16 autocast: cosines / 0.1 span +-10, bf16 would round by ~0.06
        with torch.autocast(z.device.type, enabled=False):
            return nn.functional.normalize(z, dim=-1) @ nn.functional.normalize(
                self.cluster_embeddings.float(), dim=-1).T / self.temperature

    def forward(self, batch: dict, generator: torch.Generator | None = None,
                mask: Tensor | None = None) -> dict[str, Tensor]:
        """Loss terms for one batch; ``mask`` (B, T2) bool overrides the drawn mask."""
        audio, targets = batch["audio"], batch["targets"]
        features = self.encoder.frontend(audio) if hasattr(self.encoder, "frontend") else audio
        conv = self.encoder.forward_conv(features)[-1]
        if targets.shape != conv.shape[:2]:
            raise ValueError(f"targets must be (batch, frames) = {tuple(conv.shape[:2])} for "
                             f"audio of shape {tuple(audio.shape)}, found shape "
                             f"{tuple(targets.shape)}")
        if mask is None:
            lengths = batch.get("length")
            frame_lengths = (self.frame_lengths(torch.as_tensor(lengths)).clamp(
                max=conv.shape[1]).cpu() if lengths is not None else None)
            mask = self.draw_mask(*targets.shape, generator, frame_lengths)
        mask = mask.to(conv.device)
        hidden = self.encoder.forward_encoder(conv, mask=mask, num_layers=self.layer + 1)[-1]
        logits = self.logits(hidden)
        targets = targets.to(conv.device)
        valid = targets != IGNORE
        on_mask, off_mask = mask & valid, ~mask & valid
        ce = nn.functional.cross_entropy(logits.transpose(1, 2), targets.clamp(min=0),
                                         reduction="none")  # (B, T2)
        n_masked = on_mask.sum()
        masked_loss = (ce * on_mask).sum() / n_masked.clamp(min=1)
        loss = masked_loss
        if self.unmasked_weight:
            loss = loss + self.unmasked_weight * (ce * off_mask).sum() / off_mask.sum().clamp(min=1)
        with torch.no_grad():
            hit = logits.argmax(-1) == targets
            masked_accuracy = (hit & on_mask).sum() / n_masked.clamp(min=1)
            unmasked_accuracy = (hit & off_mask).sum() / off_mask.sum().clamp(min=1)
        return {"loss": loss, "masked_loss": masked_loss.detach(),
                "masked_accuracy": masked_accuracy.float(),
                "unmasked_accuracy": unmasked_accuracy.float(), "n_masked": n_masked,
                "mask_fraction": mask.float().mean()}


class WithTargets(nn.Module):
    """HuBERT with its labels computed on the fly from each batch's audio."""

    def __init__(self, objective: HubertObjective, labeler: TargetLabeler) -> None:
        super().__init__()
        self.objective, self.labeler = objective, labeler

    def forward(self, batch: dict, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        targets = self.labeler(batch["audio"], batch.get("length"))
        return self.objective({**batch, "targets": targets}, generator)


def fit_labeler(spec: ModelSpec, encoder: nn.Module, directories: list[Path],
                teacher: nn.Module | None) -> TargetLabeler:
    """K-means on ``training.targets.fit_batches`` batches of training crops (never the
    held-out chapters): MFCCs at ``encoder``'s output frames, or ``teacher``'s layer."""
    training = spec.training
    targets = training.targets
    if targets.source == "mfcc":
        features = MfccFeatures(encoder.layer_geometry[-1], encoder.config.sample_rate)
    elif targets.source == "layer":
        if teacher is None:
            raise ValueError("layer targets need the teacher model's checkpoint")
        features = LayerFeatures(teacher, targets.layer)
    else:
        raise ValueError(f"unknown target source {targets.source!r}; choose mfcc or layer")
    sample = batches(directories, training, seed=spec.seed + 7,
                     heldout=training.heldout_chapters)
    fit_batches = [next(sample) for _ in range(targets.fit_batches)]
    labeler = TargetLabeler.fit(features, fit_batches, n_clusters=targets.clusters,
                                seed=spec.seed)
    log.info("k-means targets (%s): %d clusters from %d batches", targets.source,
             labeler.n_clusters, len(fit_batches))
    return labeler


def build(spec: ModelSpec, encoder: nn.Module, directories: list[Path],
          teacher: nn.Module | None) -> Built:
    """Fit the k-means targets, then put the HuBERT head on ``encoder``. The checkpoint
    keeps the labeler (``labeler``), so the targets can be recomputed."""
    training = spec.training
    labeler = fit_labeler(spec, encoder, directories, teacher)
    objective = HubertObjective(encoder, labeler.n_clusters,
                                mask_prob=float(training.mask_prob),
                                span=tuple(training.mask_span),
                                unmasked_weight=float(training.unmasked_weight))
    return Built(WithTargets(objective, labeler), {"labeler": labeler.state_dict()},
                 phones=None, label_offset_s=0.0)


@torch.no_grad()
def evaluate(module: WithTargets, batches: Iterable[dict], device: torch.device,
             seed: int) -> dict[str, float]:
    """Masked accuracy on held-out batches (masks drawn from ``seed``), with the copy-nearest
    and majority baselines on the same masked frames, pooled over ``masked_frames``.

    ``module``: the HuBERT module plus the labeler that made its training targets.
    """
    module.eval()
    hubert, labeler = module.objective, module.labeler
    acc, copy, major, weights = [], [], [], []
    for i, batch in enumerate(batches):
        batch = to_device(batch, device)
        targets = labeler(batch["audio"], batch.get("length"))
        frames = hubert.frame_lengths(batch["length"]).clamp(max=targets.shape[1]).cpu()
        mask = hubert.draw_mask(*targets.shape, seeded(seed + i), frames)
        out = hubert({**batch, "targets": targets}, mask=mask)
        scored = mask & (targets.cpu() != IGNORE)
        acc.append(float(out["masked_accuracy"]))
        copy.append(copy_nearest_baseline(targets, mask))
        major.append(majority_baseline(targets, mask))
        weights.append(float(scored.sum()))
    if not weights:
        raise ValueError("no held-out batch to evaluate on")
    return {"masked_accuracy": weighted_mean(acc, weights),
            "copy_nearest": weighted_mean(copy, weights),
            "majority": weighted_mean(major, weights), "masked_frames": float(sum(weights))}


def learned(metrics: dict[str, float]) -> bool:
    """Masked frames predicted better than by copying the nearest visible label (reported,
    not enforced: a model that learned nothing is still a result)."""
    return metrics["masked_accuracy"] > metrics["copy_nearest"]
