"""What every objective module shares: the result of ``build`` and the evaluators' helpers."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass
class Built:
    """An objective made ready to train an encoder.

    module: what the loop calls, ``module(batch, generator) -> {"loss": (), ...}`` scalar
        terms; it owns the encoder, so its ``parameters()`` cover encoder and head.
    extra: plain state the checkpoint keeps beside the encoder (the phone inventory, the
        k-means labeler, the head's config), under the keys the checkpoint readers know.
    phones: the phone inventory whose ids the batches carry as ``phones``; None for none.
    label_offset_s: where the encoder's first output frame is centred, so a batch's phone
        label names the phone under its frame's centre (0 when no label is read).
    label_unit: the alignment the labels name ("phonemes" or "words"; the batch key stays
        ``phones``).
    """

    module: nn.Module
    extra: dict
    phones: list[str] | None
    label_offset_s: float
    label_unit: str = "phonemes"


def seeded(seed: int) -> torch.Generator:
    """A CPU generator for one held-out batch's masks and distractors."""
    return torch.Generator(device="cpu").manual_seed(seed)


def weighted_mean(values: list[float], weights: list[float]) -> float:
    """Batch results pooled by the frames each judged; NaN when none was judged."""
    w = np.asarray(weights, float)
    return float(np.average(values, weights=w)) if w.sum() > 0 else math.nan
