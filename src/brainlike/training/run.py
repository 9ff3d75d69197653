"""From a model's config entry to a trained checkpoint: encoder, objective, data, loop.

Objectives: ``hubert`` (masked prediction of k-means ids: MFCC clusters, or a teacher
model's layer for iteration 2), ``wav2vec2`` (contrastive + quantizer), ``supervised``
(frame-level phones from the generated alignments). The checkpoint keeps the encoder only
(the layers that are scored) with the training recipe and, for HuBERT, the cluster centres.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from brainlike.data.prefetch import Prefetch
from brainlike.data.streaming import CropStream, heldout_chapters, heldout_crops, phone_inventory
from brainlike.models import checkpoint
from brainlike.models.contrastive import ObjectiveConfig, Wav2Vec2Objective
from brainlike.models.hubert import HubertObjective
from brainlike.models.masking import span_mask
from brainlike.models.supervised import SupervisedObjective
from brainlike.training.heldout import EVALUATORS, learned
from brainlike.training.loop import TrainConfig, train
from brainlike.training.targets import LayerFeatures, MfccFeatures, TargetLabeler

log = logging.getLogger(__name__)

OBJECTIVES = ("hubert", "wav2vec2", "supervised")


def train_config(spec: dict) -> TrainConfig:
    names = {f.name for f in fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in spec.items() if k in names})


HELDOUT_CHAPTERS = 2  # per collection: 4 min of a default corpus, never trained on


def heldout_count(training: dict) -> int:
    """Chapters per collection a model's ``training`` entry keeps out of training."""
    return int(training.get("heldout_chapters", HELDOUT_CHAPTERS))


def _collate(items: list[dict]) -> dict:
    batch = {"audio": torch.stack([b["audio"] for b in items]),
             "length": torch.tensor([b["length"] for b in items])}
    if "phones" in items[0]:
        batch["phones"] = torch.stack([b["phones"] for b in items])
    return batch


class _Batches(IterableDataset):
    """Endless batches of crops, after the first ``skip`` batches. In DataLoader workers,
    each batches its own row groups."""

    def __init__(self, stream: CropStream, batch_size: int, skip: int = 0) -> None:
        self.stream, self.batch_size, self.skip = stream, batch_size, skip

    def __iter__(self) -> Iterator[dict]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info else (0, 1)
        # An uninterrupted DataLoader takes batch i from worker i % workers. A resumed one
        # starts again at worker 0, so worker w plays share (w + skip) % workers, after
        # skipping that share's part of the first `skip` batches: whole passes from the
        # footers, then drawn but unread crops (batches are consecutive runs of crops).
        share = (worker + self.skip) % workers
        skip = len(range(share, self.skip, workers)) * self.batch_size
        epoch, buffer = 0, []
        while True:
            n = self.stream.pass_length(epoch, share, workers)
            if skip >= n:
                skip -= n
                epoch += 1
                continue
            for item in self.stream.crops(epoch, share, workers, skip):
                buffer.append(item)
                if len(buffer) == self.batch_size:
                    yield _collate(buffer)
                    buffer = []
            skip = 0
            epoch += 1


def batches(directories: list[Path], cfg: TrainConfig, seed: int,
            phones: list[str] | None = None, heldout: int = 0,
            workers: int = 0, label_offset_s: float = 0.0, skip: int = 0) -> Iterator[dict]:
    """Endless deterministic batches of crops (epoch after epoch, reshuffled each time),
    skipping the last ``heldout`` chapters of each collection, starting after the first
    ``skip`` batches (a resumed run: without decoding the audio it skips).

    workers: DataLoader processes, each cropping its own share of the row groups (so the
    batch order depends on the worker count: the same count gives the same batches). No more
    workers than row groups, so none is idle and batches come round-robin.
    """
    exclude = heldout_chapters(directories, heldout) if heldout else None
    stream = CropStream(directories, cfg.crop_seconds, seed, phone_inventory=phones,
                        exclude=exclude, label_offset_s=label_offset_s)
    workers = min(workers, len(stream.units))
    dataset = _Batches(stream, cfg.batch_size, skip)
    if workers <= 0:
        return iter(dataset)
    return iter(DataLoader(dataset, batch_size=None, num_workers=workers, prefetch_factor=4,
                           pin_memory=torch.cuda.is_available()))


def loader_workers(cfg: TrainConfig, device: torch.device) -> int:
    """``cfg.loader_workers``, or by default none on the CPU (the model needs the cores; a
    thread hides the reads) and up to 4 processes feeding a GPU, where one thread cannot
    keep up with a small model (measured: 55-67 % of step time waiting on an H200)."""
    if cfg.loader_workers >= 0:
        return cfg.loader_workers
    return min(4, max(1, (os.cpu_count() or 2) - 1)) if device.type == "cuda" else 0


def training_batches(directories: list[Path], cfg: TrainConfig, phones: list[str] | None,
                     heldout: int, device: torch.device, label_offset_s: float = 0.0,
                     ) -> Callable[[int], Iterator[dict]]:
    """The batch factory ``train`` gets: ``factory(skip)``, a fresh prefetched iterator."""
    workers = loader_workers(cfg, device)
    return lambda skip=0: Prefetch(batches(directories, cfg, cfg.seed, phones, heldout,
                                           workers, label_offset_s, skip))


def heldout_batches(directories: list[Path], cfg: TrainConfig, heldout: int,
                    phones: list[str] | None = None, label_offset_s: float = 0.0) -> list[dict]:
    """Every crop of the held-out chapters, in order, batched (the last batch may be short)."""
    items = list(heldout_crops(directories, heldout, cfg.crop_seconds, phone_inventory=phones,
                               label_offset_s=label_offset_s))
    return [_collate(items[i:i + cfg.batch_size]) for i in range(0, len(items), cfg.batch_size)]


class WithTargets(nn.Module):
    """HuBERT with its labels computed on the fly from each batch's audio."""

    def __init__(self, objective: HubertObjective, labeler: TargetLabeler) -> None:
        super().__init__()
        self.objective, self.labeler = objective, labeler

    def forward(self, batch: dict, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        targets = self.labeler(batch["audio"], batch.get("length"))
        return self.objective({**batch, "targets": targets}, generator)


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
                 span: tuple[int, int], quantize: str = "conv2") -> None:
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


def _labeler(spec: dict, encoder: nn.Module, directories: list[Path], cfg: TrainConfig,
             teacher: nn.Module | None) -> TargetLabeler:
    targets = spec.get("targets") or {}
    if targets.get("source", "mfcc") == "mfcc":
        features = MfccFeatures(encoder.layer_geometry[-1], encoder.config.sample_rate)
    else:
        if teacher is None:
            raise ValueError("layer targets need the teacher model's checkpoint")
        features = LayerFeatures(teacher, targets["layer"])
    sample = batches(directories, cfg, seed=cfg.seed + 7,
                     heldout=heldout_count(spec))
    fit_batches = [next(sample) for _ in range(int(targets.get("fit_batches", 40)))]
    labeler = TargetLabeler.fit(features, fit_batches, n_clusters=int(targets.get("clusters", 100)),
                                seed=cfg.seed)
    log.info("k-means targets (%s): %d clusters from %d batches", targets.get("source", "mfcc"),
             labeler.n_clusters, len(fit_batches))
    return labeler


def build_objective(spec: dict, encoder: nn.Module, directories: list[Path],
                    cfg: TrainConfig, teacher: nn.Module | None = None
                    ) -> tuple[nn.Module, dict, list[str] | None]:
    """(objective module, extra state for the checkpoint, phone inventory or None)."""
    kind = spec["objective"]
    if kind == "supervised":
        phones = phone_inventory(directories)
        if not phones:
            raise ValueError(f"supervised training needs alignments; {directories} have none")
        return SupervisedObjective(encoder, len(phones)), {"phones": phones}, phones
    if kind == "hubert":
        labeler = _labeler(spec, encoder, directories, cfg, teacher)
        objective = HubertObjective(encoder, labeler.n_clusters,
                                    mask_prob=float(spec.get("mask_prob", 0.4)),
                                    span=tuple(spec.get("mask_span", (3, 5))),
                                    unmasked_weight=float(spec.get("unmasked_weight", 0.0)))
        return WithTargets(objective, labeler), {"labeler": labeler.state_dict()}, None
    if kind == "wav2vec2":
        config = replace(ObjectiveConfig.preset(spec.get("quantizer", "small")),
                         unmasked_weight=float(spec.get("unmasked_weight", 0.0)))
        objective = Contrastive(encoder, config, float(spec.get("mask_prob", 0.4)),
                                tuple(spec.get("mask_span", (3, 5))),
                                spec.get("quantize", "conv2"))
        return objective, {"objective_config": config.to_dict()}, None
    raise ValueError(f"unknown objective {kind!r}; choose from {OBJECTIVES}")


def _recipe(spec: dict, label_offset_s: float) -> str:
    # The label timing joins the model entry: a checkpoint from before labels were centred
    # on their frames (same entry, other labels) must not be resumed.
    recipe = {**spec, "label_offset_s": label_offset_s} if label_offset_s else spec
    return json.dumps(recipe, sort_keys=True, default=str)


def train_model(spec: dict, directories: list[Path], state_path: Path, device: torch.device,
                teacher_path: Path | None = None) -> tuple[nn.Module, list[dict], dict]:
    """Build and train the encoder a model entry describes. Returns (encoder, log rows, extra);
    ``extra["heldout"]`` holds the learning checks on the held-out chapters."""
    training = spec["training"]
    cfg = train_config({**training, "seed": spec.get("seed", 0)})
    torch.manual_seed(cfg.seed)
    encoder = checkpoint.from_preset(spec["family"], spec["preset"])
    encoder.to(device)
    teacher = checkpoint.load(teacher_path, device)[0] if teacher_path else None
    objective, extra, phones = build_objective(training, encoder, directories, cfg, teacher)
    objective.to(device)
    heldout = heldout_count(training)
    offset = getattr(objective, "label_offset_s", 0.0)
    rows = train(encoder, objective,
                 training_batches(directories, cfg, phones, heldout, device, offset),
                 cfg, state_path, device, recipe=_recipe(spec, offset))
    kind = training["objective"]
    metrics = EVALUATORS[kind](objective, heldout_batches(directories, cfg, heldout, phones,
                                                          offset), device, seed=cfg.seed)
    extra["heldout"] = {**metrics, "learned": float(learned(kind, metrics)),
                        "heldout_chapters": float(heldout)}
    log.info("held-out checks (%s): %s", kind,
             ", ".join(f"{k}={v:.4g}" for k, v in extra["heldout"].items()))
    return encoder.eval(), rows, extra
