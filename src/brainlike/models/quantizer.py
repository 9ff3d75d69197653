"""Gumbel-softmax product quantizer of wav2vec 2.0 (Baevski et al. 2020, section 2).

Each frame picks one entry in each of ``groups`` codebooks of ``entries`` vectors; the picked
vectors are concatenated. Training uses hard Gumbel-softmax with a straight-through gradient
(the forward pass is a one-hot pick, the backward pass that of the softmax), evaluation the
noise-free argmax.

Collapse diagnostics, because a small-scale run can look healthy on the soft statistics alone
(measured here: soft perplexity at its maximum while the hard codes used 2 pairs):

* ``hard_perplexity``: perplexity of the noise-free argmax code *tuples* actually used.
* ``soft_perplexity``: perplexity of the batch-averaged softmax (what the diversity loss sees).
* :func:`code_stability`: how often neighbouring frames share a code tuple. A high hard
  perplexity with a stability near 0 is the "hash" regime, where codes change on every frame.
  How often frames half a crop apart share one is its chance level: code usage alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass(frozen=True)
class TemperatureSchedule:
    """Gumbel-softmax temperature ``max(start * decay**step, end)``; the paper's 2 -> 0.5."""

    start: float = 2.0
    end: float = 0.5
    decay: float = 0.999995

    def __post_init__(self) -> None:
        if not (self.start > 0 and self.end > 0 and 0 < self.decay <= 1):
            raise ValueError(f"temperature schedule needs start, end > 0 and decay in (0, 1], "
                             f"found {self}")

    def __call__(self, step: int) -> float:
        if step < 0:
            raise ValueError(f"step must be >= 0, found {step}")
        return max(self.start * self.decay ** step, self.end)


class QuantizerOutput(NamedTuple):
    """What :class:`GumbelProductQuantizer` returns.

    quantized: (batch, frames, dim_out) concatenated code vectors (Gumbel-sampled in
        training, argmax in eval).
    hard_perplexity: () perplexity of the argmax code tuples in the batch, in
        [1, min(batch * frames, entries**groups)]; no gradient.
    soft_perplexity: () product over groups of the perplexity of the batch-averaged softmax,
        in [1, entries**groups] (the joint perplexity if the groups were independent).
    diversity_loss: () ``(G*V - sum_g exp H_g) / (G*V)`` with ``H_g`` the entropy of group g's
        averaged softmax: 0 for uniform use, ``1 - 1/V`` for one code per group.
    codes: (batch, frames, groups) int64 noise-free argmax entries.
    """

    quantized: Tensor
    hard_perplexity: Tensor
    soft_perplexity: Tensor
    diversity_loss: Tensor
    codes: Tensor


def _entropy(p: Tensor) -> Tensor:
    """Entropy (nats) along the last axis; ``0 log 0`` counts as 0."""
    return -torch.special.xlogy(p, p).sum(-1)


def hard_perplexity(codes: Tensor) -> Tensor:
    """Perplexity of the code tuples in ``codes: (..., groups)`` int, as a () float tensor."""
    _, counts = torch.unique(codes.reshape(-1, codes.shape[-1]), dim=0, return_counts=True)
    return torch.exp(_entropy(counts.double() / counts.sum())).float()


def code_stability(codes: Tensor, lag: int = 1) -> float:
    """Fraction of frame pairs ``lag`` frames apart with the same code tuple.

    codes: (batch, frames, groups) int. At lag 1, near 0 with a high hard perplexity means the
    codebook hashes the input (a new code on every frame) rather than labelling phone-length
    units. At a lag far beyond a phone it is the agreement that code usage alone gives, the
    baseline the lag-1 value is judged against (see ``stability_over_chance``).
    """
    if codes.ndim != 3 or codes.shape[1] < lag + 1 or lag < 1:
        raise ValueError(f"codes must be (batch, frames >= {max(lag, 1) + 1}, groups) for lag "
                         f"{lag}, found shape {tuple(codes.shape)}")
    return (codes[:, lag:] == codes[:, :-lag]).all(-1).float().mean().item()


def stability_over_chance(neighbours: float, distant: float) -> float:
    """How far neighbouring frames agree beyond what distant frames of the same crops do, as
    a fraction of the room left: 0 for a hash (both at the chance of a repeat) and for a
    collapsed codebook (both near 1), 1 when neighbours always agree and distant frames never.
    """
    return (neighbours - distant) / (1 - distant) if distant < 1 else 0.0


class GumbelProductQuantizer(nn.Module):
    """Product quantizer with ``groups`` codebooks of ``entries`` vectors of ``dim_out/groups``.

    dim_in: input features per frame.
    dim_out: size of the concatenated code vector; must be divisible by ``groups``.
    temperature: Gumbel temperature as a function of the update step.
    """

    def __init__(self, dim_in: int, groups: int = 2, entries: int = 320, dim_out: int = 256,
                 temperature: TemperatureSchedule = TemperatureSchedule()) -> None:
        super().__init__()
        if groups < 1 or entries < 2 or dim_in < 1:
            raise ValueError(f"need dim_in >= 1, groups >= 1, entries >= 2; found dim_in={dim_in}, "
                             f"groups={groups}, entries={entries}")
        if dim_out % groups:
            raise ValueError(f"dim_out={dim_out} is not divisible by groups={groups}")
        self.dim_in, self.groups, self.entries, self.dim_out = dim_in, groups, entries, dim_out
        self.temperature = temperature
        self.logits = nn.Linear(dim_in, groups * entries)
        # As in fairseq: unit-variance weights make the initial logits confident, so Gumbel
        # noise rarely overrides them and the targets are predictable from the start.
        nn.init.normal_(self.logits.weight, mean=0.0, std=1.0)
        nn.init.zeros_(self.logits.bias)
        # Gaussian rather than fairseq's uniform [0, 1): all-positive vectors start with
        # cosine ~0.75 to each other, which makes the contrastive task needlessly hard early.
        self.codebook = nn.Parameter(torch.randn(groups, entries, dim_out // groups))

    def forward(self, x: Tensor, step: int = 0, tau: float | None = None) -> QuantizerOutput:
        """Quantize x: (batch, frames, dim_in) at temperature ``tau`` or ``temperature(step)``."""
        if x.ndim != 3 or x.shape[-1] != self.dim_in or x.shape[0] * x.shape[1] == 0:
            raise ValueError(f"x must be (batch, frames, {self.dim_in}) with at least one frame, "
                             f"found shape {tuple(x.shape)}")
        tau = self.temperature(step) if tau is None else tau
        if tau <= 0:
            raise ValueError(f"temperature must be > 0, found {tau}")
        batch, frames, _ = x.shape
        # float32 even under bf16 autocast: the entropies and the Gumbel trick need the range.
        logits = self.logits(x).float().view(batch, frames, self.groups, self.entries)
        codes = logits.argmax(-1)

        avg_probs = logits.softmax(-1).reshape(-1, self.groups, self.entries).mean(0)
        group_ppl = torch.exp(_entropy(avg_probs))
        n_vars = self.groups * self.entries
        diversity = (n_vars - group_ppl.sum()) / n_vars

        if self.training:
            one_hot = F.gumbel_softmax(logits, tau=tau, hard=True)
        else:
            one_hot = F.one_hot(codes, self.entries).to(logits.dtype)
        quantized = torch.einsum("btgv,gvd->btgd", one_hot, self.codebook.float())
        return QuantizerOutput(
            quantized=quantized.reshape(batch, frames, self.dim_out),
            hard_perplexity=hard_perplexity(codes),
            soft_perplexity=group_ppl.prod().detach(),
            diversity_loss=diversity,
            codes=codes)
