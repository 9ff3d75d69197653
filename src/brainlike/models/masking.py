"""Span masks for masked prediction (wav2vec 2.0 / HuBERT style).

Each row draws ``n = floor(mask_prob * length / mean_span + u)``, ``u ~ U(0, 1)`` span starts
(stochastic rounding, so E[n] = mask_prob * length / mean_span exactly), at least
``min_masks``, without replacement among the positions where a span fits. Spans may overlap,
so the masked fraction is below ``mask_prob``: about ``1 - exp(-mask_prob)`` for long inputs
(mask_prob 0.5 -> ~40 % of frames).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def _as_generator(rng: torch.Generator | np.random.Generator | None) -> torch.Generator | None:
    if isinstance(rng, np.random.Generator):
        # One draw from the numpy stream seeds a torch stream: still deterministic.
        return torch.Generator().manual_seed(int(rng.integers(0, 2**63 - 1)))
    return rng


def span_mask(batch: int, frames: int, mask_prob: float, span: int | tuple[int, int],
              rng_or_generator: torch.Generator | np.random.Generator | None = None,
              min_masks: int = 1, lengths: Tensor | list[int] | None = None) -> Tensor:
    """A (batch, frames) bool mask of random spans; True = masked.

    span: frames per span, or (lo, hi) for a length drawn uniformly in [lo, hi] per span
        (spans that run past the end are cut there).
    rng_or_generator: a CPU torch.Generator (or numpy Generator); the same seed gives the
        same mask. None uses torch's global generator.
    lengths: (batch,) valid frames per row; frames at or past a row's length are never
        masked and the number of spans scales with the length. Default: all ``frames``.
    """
    lo, hi = (span, span) if isinstance(span, int) else (int(span[0]), int(span[1]))
    if not 1 <= lo <= hi:
        raise ValueError(f"span must be >= 1 (or lo <= hi), found {span!r}")
    if not 0.0 <= mask_prob <= 1.0:
        raise ValueError(f"mask_prob must be in [0, 1], found {mask_prob}")
    if batch < 0 or frames < 0:
        raise ValueError(f"mask shape must be non-negative, found ({batch}, {frames})")
    if lengths is None:
        lengths = [frames] * batch
    lengths = [int(n) for n in lengths]
    if len(lengths) != batch or any(not 0 <= n <= frames for n in lengths):
        raise ValueError(f"lengths must be {batch} values in [0, {frames}], found {lengths}")
    generator = _as_generator(rng_or_generator)
    mean_span = (lo + hi) / 2
    mask = torch.zeros(batch, frames, dtype=torch.bool)
    for b, length in enumerate(lengths):
        if length == 0:
            continue
        positions = max(1, length - lo + 1)  # starts where the shortest span fits
        u = torch.rand((), generator=generator).item()
        n = int(mask_prob * length / mean_span + u)
        n = min(max(n, min_masks), positions)
        if n == 0:
            continue
        starts = torch.randperm(positions, generator=generator)[:n]
        if hi > lo:
            ends = starts + torch.randint(lo, hi + 1, (n,), generator=generator)
        else:
            ends = starts + lo
        # Mark +1 at each start and -1 at each end; a running sum > 0 is inside some span.
        edges = torch.zeros(length + hi + 1, dtype=torch.int64)
        edges.index_add_(0, starts, torch.ones(n, dtype=torch.int64))
        edges.index_add_(0, ends, -torch.ones(n, dtype=torch.int64))
        mask[b, :length] = edges.cumsum(0)[:length] > 0
    return mask
