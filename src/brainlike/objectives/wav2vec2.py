"""The wav2vec 2.0 objective (Baevski et al. 2020, section 3.2): contrastive prediction of
quantized targets, and its learning check.

torchaudio ships the feature encoder and transformer but none of the pre-training head; this
module adds it: quantized targets (:mod:`brainlike.models.quantizer`), distractors drawn from
the masked frames of the same utterance, the contrastive loss over cosine similarities, the
codebook diversity loss and the feature penalty (:class:`Wav2Vec2Objective`, on plain
tensors), and :class:`Contrastive`, which runs it on a staged encoder with span masking.

The learning check (:func:`evaluate`, :func:`learned`) compares the model on held-out chapters
with what a model that learned nothing scores: contrastive loss against ``log(K + 1)`` and
accuracy against ``1 / (K + 1)``, plus the hard-code perplexity (a collapsed codebook uses one
or two code pairs) and code stability (neighbouring frames sharing a code pair; a "hash"
codebook shares them no more often than frames half a crop apart do).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from brainlike.models.masking import span_mask
from brainlike.models.quantizer import (GumbelProductQuantizer, TemperatureSchedule,
                                        code_stability, stability_over_chance)
from brainlike.objectives.base import Built, seeded
from brainlike.plan.specs import ModelSpec
from brainlike.training.loop import to_device

__all__ = ["Contrastive", "ObjectiveConfig", "Wav2Vec2Objective", "build", "contrastive_loss",
           "evaluate", "learned", "sample_negative_indices", "sample_negatives"]


def _check_mask(mask: Tensor, batch: int, frames: int) -> None:
    if mask.dtype != torch.bool or mask.shape != (batch, frames):
        raise ValueError(f"mask must be bool (batch, frames) = ({batch}, {frames}), found "
                         f"{mask.dtype} of shape {tuple(mask.shape)}")


def sample_negative_indices(mask: Tensor, k: int,
                            generator: torch.Generator | None = None) -> Tensor:
    """Frame indices of ``k`` distractors for every masked frame, as (batch, frames, k) int64.

    For a masked frame, distractors are drawn uniformly, with replacement, from the *other*
    masked frames of the same utterance (never the frame itself). Edge cases:

    * 2 <= masked frames <= k: fewer distinct frames than distractors, so some repeat.
    * exactly 1 masked frame: no other masked frame exists; distractors come from the
      utterance's other (unmasked) frames instead, so the loss stays defined.
    * 1 frame in the utterance and it is masked: ValueError (no distractor exists at all).

    Rows of unmasked frames are 0 and meaningless. mask: (batch, frames) bool. The draws use
    ``generator`` (CPU or on mask's device) so a seeded generator makes them reproducible.
    """
    if mask.dtype != torch.bool or mask.ndim != 2:
        raise ValueError(f"mask must be bool (batch, frames), found {mask.dtype} of shape "
                         f"{tuple(mask.shape)}")
    if k < 1:
        raise ValueError(f"k must be >= 1, found {k}")
    batch, frames = mask.shape
    rng_device = generator.device if generator is not None else mask.device
    indices = torch.zeros(batch, frames, k, dtype=torch.long, device=mask.device)
    for b in range(batch):
        positives = mask[b].nonzero().squeeze(1)
        n = positives.numel()
        if n == 0:
            continue
        if n >= 2:
            pool, rank = positives, torch.arange(n, device=mask.device)
        elif frames >= 2:
            pool, rank = torch.arange(frames, device=mask.device), positives
        else:
            raise ValueError(f"utterance {b} has a single frame, so its masked frame has no "
                             f"distractor; mask shape {tuple(mask.shape)}")
        # Draw from pool size - 1 and step over the positive's own slot: uniform over the rest.
        draw = torch.randint(0, pool.numel() - 1, (n, k), generator=generator,
                             device=rng_device).to(mask.device)
        draw += (draw >= rank[:, None]).long()
        indices[b, positives] = pool[draw]
    return indices


def sample_negatives(targets: Tensor, mask: Tensor, k: int,
                     generator: torch.Generator | None = None) -> Tensor:
    """Distractors for every masked frame, as (k, batch, frames, dim).

    targets: (batch, frames, dim) the (projected, quantized) targets. See
    :func:`sample_negative_indices` for which frames are drawn, including utterances with
    k or fewer masked frames. Entries at unmasked frames are 0. Gradients flow to ``targets``.
    """
    if targets.ndim != 3:
        raise ValueError(f"targets must be (batch, frames, dim), found shape "
                         f"{tuple(targets.shape)}")
    batch, frames, dim = targets.shape
    _check_mask(mask, batch, frames)
    idx = sample_negative_indices(mask, k, generator)
    gathered = targets.gather(1, idx.reshape(batch, frames * k, 1).expand(-1, -1, dim))
    negatives = gathered.view(batch, frames, k, dim).permute(2, 0, 1, 3)
    return negatives * mask[None, :, :, None]


def contrastive_loss(context: Tensor, quantized: Tensor, negatives: Tensor, mask: Tensor,
                     kappa: float = 0.1, mask_identical: bool = False) -> tuple[Tensor, Tensor]:
    """Cross-entropy of picking the true target among k+1 candidates, over masked frames.

    context: (batch, frames, dim) predictions; quantized: (batch, frames, dim) true targets;
    negatives: (k, batch, frames, dim) distractors; mask: (batch, frames) bool, the frames
    scored. Logits are cosine similarities / ``kappa`` with the positive at index 0.
    Returns (loss, accuracy): () mean cross-entropy, log(k+1) when every candidate is the same
    vector; () fraction of masked frames whose positive strictly beats every distractor.

    mask_identical: give distractors equal to the positive a logit of -inf, as fairseq does.
    Off by default: a collapsed codebook makes every distractor equal to its positive, which
    this option turns into a loss of 0, rewarding the collapse it should penalise.
    """
    if context.ndim != 3 or quantized.shape != context.shape:
        raise ValueError(f"context and quantized must both be (batch, frames, dim), found "
                         f"{tuple(context.shape)} and {tuple(quantized.shape)}")
    if negatives.ndim != 4 or negatives.shape[1:] != context.shape:
        raise ValueError(f"negatives must be (k, {', '.join(map(str, context.shape))}), found "
                         f"{tuple(negatives.shape)}")
    _check_mask(mask, *context.shape[:2])
    if not mask.any():
        raise ValueError("mask selects no frame: the contrastive loss is undefined")
    candidates = torch.cat([quantized[None], negatives], 0)[:, mask].float()  # (k+1, n, dim)
    logits = F.cosine_similarity(context[mask].float()[None], candidates, dim=-1) / kappa
    if mask_identical:
        same = (candidates[1:] == candidates[:1]).all(-1)
        logits = torch.cat([logits[:1], logits[1:].masked_fill(same, float("-inf"))])
    logits = logits.T  # (n, k+1)
    target = torch.zeros(len(logits), dtype=torch.long, device=logits.device)
    loss = F.cross_entropy(logits, target)
    accuracy = (logits[:, 0] > logits[:, 1:].max(-1).values).float().mean()
    return loss, accuracy.detach()


@dataclass(frozen=True)
class ObjectiveConfig:
    """Hyperparameters of the wav2vec 2.0 head; defaults are the paper's BASE values except
    ``feature_penalty_weight``. The checkpoint stores it (``objective_config``).

    unmasked_weight: weight of the same contrastive task on the unmasked frames (distractors
    from the other unmasked frames), added to the masked one; 0 is the paper's loss. It comes
    from the model's config (``training.unmasked_weight``), so it has no default here.

    feature_penalty_weight: 0 by default. The paper's 10 shrinks the encoder's features, and
    in a small CPU-scale run here it shrank the quantizer's input to ~0: the logits went flat
    (soft perplexity at its maximum) while the argmax used 2 code pairs. The objective now
    layer-normalises the quantizer's input, but the "paper" preset is the one that keeps 10.
    """

    groups: int = 2
    entries: int = 320
    codevector_dim: int = 256
    final_dim: int = 256
    num_negatives: int = 100
    kappa: float = 0.1
    diversity_weight: float = 0.1
    feature_penalty_weight: float = 0.0
    unmasked_weight: float = field(kw_only=True)
    temperature: TemperatureSchedule = field(default_factory=TemperatureSchedule)

    @classmethod
    def preset(cls, name: str, *, unmasked_weight: float) -> ObjectiveConfig:
        """A named preset (``training.quantizer``) with the config's unmasked weight."""
        if name not in OBJECTIVE_PRESETS:
            raise ValueError(f"unknown objective preset {name!r}; choose from "
                             f"{sorted(OBJECTIVE_PRESETS)}")
        return cls(**OBJECTIVE_PRESETS[name], unmasked_weight=unmasked_weight)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ObjectiveConfig:
        return cls(**{**d, "temperature": TemperatureSchedule(**d["temperature"])})


#: What each preset changes from the defaults.
OBJECTIVE_PRESETS: dict[str, dict] = {
    "paper": {"feature_penalty_weight": 10.0},
    # A width 2 CPU cores can train: fewer codes and distractors for utterances of a few
    # hundred frames, where 100 distractors would mostly repeat.
    "small": {"entries": 32, "codevector_dim": 64, "final_dim": 64, "num_negatives": 10},
}


class Wav2Vec2Objective(nn.Module):
    """Quantizer, target projection and context projection of wav2vec 2.0, with its loss.

    feature_dim: size of the encoder features that are quantized into targets.
    context_dim: size of the transformer output that predicts them.
    """

    def __init__(self, feature_dim: int, context_dim: int, config: ObjectiveConfig) -> None:
        super().__init__()
        self.config = c = config
        self.feature_dim, self.context_dim = feature_dim, context_dim
        # The feature penalty (and plain training drift) changes the scale of the encoder's
        # features; normalising them keeps the quantizer's logits from going flat (fairseq
        # has the same LayerNorm between the feature encoder and the quantizer).
        self.feature_norm = nn.LayerNorm(feature_dim)
        self.quantizer = GumbelProductQuantizer(feature_dim, c.groups, c.entries,
                                                c.codevector_dim, c.temperature)
        self.project_q = nn.Linear(c.codevector_dim, c.final_dim)
        self.final_proj = nn.Linear(context_dim, c.final_dim)

    def forward(self, features: Tensor, context: Tensor, mask: Tensor, step: int = 0,
                generator: torch.Generator | None = None) -> dict[str, Tensor]:
        """The loss and its terms, every value a () tensor.

        features: (batch, frames, feature_dim) encoder features of the *unmasked* input.
        context: (batch, frames, context_dim) transformer output on the masked input.
        mask: (batch, frames) bool, the masked frames (the ones scored).
        step: update count, for the Gumbel temperature.
        generator: draws the distractors.
        Returns loss (with gradient), contrastive, diversity, feature_penalty (with gradient),
        and detached accuracy, hard_perplexity, soft_perplexity, code_stability (neighbouring
        frames), code_stability_distant (half the frames apart), temperature.
        """
        if features.ndim != 3 or features.shape[-1] != self.feature_dim:
            raise ValueError(f"features must be (batch, frames, {self.feature_dim}), found shape "
                             f"{tuple(features.shape)}")
        if context.shape != (*features.shape[:2], self.context_dim):
            raise ValueError(f"context must be (batch, frames, context_dim) = "
                             f"({features.shape[0]}, {features.shape[1]}, {self.context_dim}), "
                             f"found shape {tuple(context.shape)}")
        _check_mask(mask, *features.shape[:2])
        c = self.config
        feature_penalty = features.float().pow(2).mean()
        # Every frame is quantized (not just the masked ones) so that code stability sees
        # neighbouring frames; the codebook statistics are the same in expectation.
        q = self.quantizer(self.feature_norm(features), step=step)
        targets = self.project_q(q.quantized)
        predictions = self.final_proj(context)
        negatives = sample_negatives(targets, mask, c.num_negatives, generator)
        contrastive, accuracy = contrastive_loss(predictions, targets, negatives, mask, c.kappa)
        loss = (contrastive + c.diversity_weight * q.diversity_loss
                + c.feature_penalty_weight * feature_penalty)
        extra = {}
        visible = ~mask
        if c.unmasked_weight and visible.any():
            # The same task on the frames the transformer can see, distractors drawn from
            # the other visible frames: the masked-only loss leaves what the transformer
            # outputs at visible frames (all frames, when its layers are read) unconstrained.
            others = sample_negatives(targets, visible, c.num_negatives, generator)
            unmasked, unmasked_accuracy = contrastive_loss(predictions, targets, others,
                                                           visible, c.kappa)
            loss = loss + c.unmasked_weight * unmasked
            extra = {"contrastive_unmasked": unmasked, "unmasked_accuracy": unmasked_accuracy}
        frames = features.shape[1]
        stability = code_stability(q.codes) if frames >= 2 else math.nan
        # Half a crop apart (2 s of a 4 s crop): far beyond a phone, within the same voice.
        distant = code_stability(q.codes, lag=frames // 2) if frames >= 4 else math.nan
        detached = {"accuracy": accuracy, "hard_perplexity": q.hard_perplexity,
                    "soft_perplexity": q.soft_perplexity}
        return {"loss": loss, "contrastive": contrastive, "diversity": q.diversity_loss,
                "feature_penalty": feature_penalty,
                **{k: v.detach() for k, v in detached.items()},
                "code_stability": torch.tensor(stability),
                "code_stability_distant": torch.tensor(distant),
                "temperature": torch.tensor(self.quantizer.temperature(step)),
                **{k: v.detach() for k, v in extra.items()}}


QUANTIZE = ("conv2", "logmel")


class Contrastive(nn.Module):
    """wav2vec 2.0 on a staged encoder: quantise the unmasked input, predict it from the
    transformer's view of the span-masked sequence. The step counter (for the Gumbel
    temperature) is a buffer, so it resumes with the weights.

    quantize: what the quantizer turns into targets. ``conv2``, the paper's choice: the
    encoder's own convolution output. ``logmel``: the log-mel window each conv2 frame sees
    (5 frames x n_mels), fixed features as HuBERT's first iteration has. Measured here (tiny,
    600 steps), quantising the conv output leaves the transformer's layers reading the phone
    at .68-.70 (untrained .77); the log-mel, .71, and .76 with the unmasked frames scored.
    The feature penalty is meaningless on fixed features (it has no gradient there).
    """

    def __init__(self, encoder: nn.Module, config: ObjectiveConfig, mask_prob: float,
                 span: tuple[int, int], quantize: str) -> None:
        super().__init__()
        if not hasattr(encoder, "forward_encoder"):
            raise ValueError(f"{type(encoder).__name__} has no staged forward_encoder, which the "
                             "wav2vec2 objective needs to mask the transformer's input")
        if quantize not in QUANTIZE:
            raise ValueError(f"unknown quantize {quantize!r}; choose from {QUANTIZE}")
        g = encoder.config
        if quantize == "logmel" and not hasattr(g, "n_mels"):
            raise ValueError(f"quantize 'logmel' needs a log-mel encoder; {type(encoder).__name__} "
                             "reads the raw waveform")
        self.encoder, self.mask_prob, self.span = encoder, mask_prob, span
        self.quantize = quantize
        width = g.conv_channels
        if quantize == "logmel":
            # the mel frames under one conv2 frame, and how far the next one starts, from
            # the encoder's own receptive-field bookkeeping
            mel, conv2 = encoder.mel_geometry, encoder.layer_geometry[1]
            self.mel_window = (conv2.field - mel.field) // mel.stride + 1
            self.mel_stride = conv2.stride // mel.stride
            width = g.n_mels * self.mel_window
        self.objective = Wav2Vec2Objective(width, g.embed_dim, config)
        self.register_buffer("step", torch.zeros((), dtype=torch.long))

    def quantizer_input(self, mel: Tensor, features: Tensor) -> Tensor:
        """(B, T2, width): conv2 ``features`` (B, T2, C) or the windows of ``mel`` under them."""
        if self.quantize == "conv2":
            return features
        windows = mel.unfold(1, self.mel_window, self.mel_stride).flatten(2)
        return windows[:, :features.shape[1]]

    def forward(self, batch: dict, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        mel = self.encoder.frontend(batch["audio"])
        features = self.encoder.forward_conv(mel)[-1]
        b, t = features.shape[:2]
        mask = span_mask(b, t, self.mask_prob, self.span, generator).to(features.device)
        context = self.encoder.forward_encoder(features, mask)[-1]
        terms = self.objective(self.quantizer_input(mel, features), context, mask,
                               int(self.step), generator)
        if self.training:
            self.step += 1
        return terms


def build(spec: ModelSpec, encoder: nn.Module, directories: list[Path],
          teacher: nn.Module | None) -> Built:
    """The wav2vec 2.0 head on ``encoder``, from ``spec.training`` (quantizer preset,
    unmasked weight, masking, what is quantised). Needs no data and no teacher."""
    training = spec.training
    config = ObjectiveConfig.preset(training.quantizer,
                                    unmasked_weight=float(training.unmasked_weight))
    module = Contrastive(encoder, config, float(training.mask_prob), tuple(training.mask_span),
                         training.quantize)
    return Built(module, {"objective_config": config.to_dict()}, phones=None,
                 label_offset_s=0.0)


@torch.no_grad()
def evaluate(module: Contrastive, batches: Iterable[dict], device: torch.device,
             seed: int) -> dict[str, float]:
    """The contrastive task on held-out batches, masks and distractors drawn from ``seed``.

    ``module``: the training module, its step buffer giving the final Gumbel temperature.
    Returns the mean contrastive loss, accuracy, hard perplexity and code stabilities with
    their chance levels (``chance_loss``, ``chance_accuracy``) and ``codebook_size``.
    """
    module.eval()
    k = module.objective.config.num_negatives
    terms: dict[str, list[float]] = {}
    for i, batch in enumerate(batches):
        out = module(to_device(batch, device), seeded(seed + i))
        for name in ("contrastive", "accuracy", "hard_perplexity", "code_stability",
                     "code_stability_distant"):
            terms.setdefault(name, []).append(float(out[name]))
    if not terms:
        raise ValueError("no held-out batch to evaluate on")
    result = {name: float(np.nanmean(v)) for name, v in terms.items()}
    result.update(chance_loss=math.log(k + 1), chance_accuracy=1 / (k + 1),
                  codebook_size=float(module.objective.config.entries
                                      ** module.objective.config.groups))
    return result


# Neighbouring frames must share a code 5 % of the way from chance (distant frames) to always.
# An absolute floor (it was 0.1) judged usage, not stability: the non-speech model uses its
# 1024 pairs at perplexity 275, so its frames 2 s apart share one 0.2 % of the time and its
# neighbours 9.9 % (English: 4 % and 37 %).
STABILITY_MARGIN = 0.05


def learned(metrics: dict[str, float]) -> bool:
    """Every check beats chance: loss 10 % under it, accuracy twice it, more than two code
    pairs in use, and neighbouring frames sharing codes more often than distant ones.
    Reported, not enforced: a model that learned nothing is still a result."""
    return (metrics["contrastive"] < 0.9 * metrics["chance_loss"]
            and metrics["accuracy"] > 2 * metrics["chance_accuracy"]
            and metrics["hard_perplexity"] > 2
            and stability_over_chance(metrics["code_stability"],
                                      metrics["code_stability_distant"]) > STABILITY_MARGIN)
