"""From a model's plan entry to a trained encoder: build, train, check on held-out chapters.

The objective named by ``training.objective`` is looked up in the registry
(:mod:`brainlike.objectives`); its module builds the training module on the encoder, and
judges what was learned. The checkpoint keeps the encoder only (the layers that are scored)
with the training recipe and whatever the objective needs to keep (its ``extra``). A text
objective's module trains its own model on the transcripts (``objectives/__init__.py``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch
from torch import nn

from brainlike.models import checkpoint
from brainlike.objectives import objective
from brainlike.plan.specs import ModelSpec
from brainlike.training.batches import heldout_batches, training_batches
from brainlike.training.clips import clip_batches, heldout_clip_batches
from brainlike.training.loop import train

log = logging.getLogger(__name__)


def recipe(spec: ModelSpec, label_offset_s: float) -> str:
    """What a resumable training state was written for (see ``train``'s ``recipe``)."""
    # The label timing joins the model entry: a checkpoint from before labels were centred
    # on their frames (same entry, other labels) must not be resumed.
    entry = spec.to_dict()
    if label_offset_s:
        entry["label_offset_s"] = label_offset_s
    return json.dumps(entry, sort_keys=True, default=str)


def train_model(spec: ModelSpec, directories: list[Path], state_path: Path, device: torch.device,
                teacher_path: Path | None = None) -> tuple[nn.Module, list[dict], dict]:
    """Build and train the model a model entry describes, on the collections in
    ``directories`` (utterance/1 shards): an encoder through the shared loop, resuming from
    ``state_path`` if it was written for the same entry, or, for a text objective, the model
    its module trains on the transcripts (no resumable state).
    ``teacher_path``: the checkpoint whose layer HuBERT iteration 2 clusters.

    Returns (model in eval mode, log rows, extra): ``extra`` holds what the objective keeps
    in the checkpoint, and ``extra["heldout"]`` its learning checks on the held-out chapters
    with ``learned`` (1.0 or 0.0) and, for speech and text, ``heldout_chapters``.
    """
    training = spec.training
    if training is None:
        raise ValueError(f"model {spec.name!r} has no training recipe (an untrained control)")
    chosen = objective(training.objective)
    module = chosen.load()
    if chosen.input == "text":  # its own model, batches and loop (objectives/__init__.py)
        model, rows, extra, metrics = module.train(spec, directories, device)
    elif chosen.input == "video":
        model, rows, extra, metrics = _train_on_clips(module, spec, directories, state_path,
                                                      device)
    else:
        model, rows, extra, metrics = _train_encoder(module, spec, directories, state_path,
                                                     device, teacher_path)
    # Clips are held out by the corpus (its last heldout_clips), not by chapters.
    held = {} if chosen.input == "video" else {
        "heldout_chapters": float(training.heldout_chapters)}
    extra = {**extra, "heldout": {**metrics, "learned": float(module.learned(metrics)), **held}}
    log.info("held-out checks (%s): %s", training.objective,
             ", ".join(f"{k}={v:.4g}" for k, v in extra["heldout"].items()))
    return model.eval(), rows, extra


def _train_encoder(module, spec: ModelSpec, directories: list[Path], state_path: Path,
                   device: torch.device, teacher_path: Path | None
                   ) -> tuple[nn.Module, list[dict], dict, dict[str, float]]:
    """An audio objective: its module built on the encoder, trained by the shared loop."""
    training = spec.training
    torch.manual_seed(spec.seed)
    encoder = checkpoint.from_preset(spec.family, spec.preset)
    encoder.to(device)
    teacher = checkpoint.load(teacher_path, device)[0] if teacher_path else None
    built = module.build(spec, encoder, directories, teacher)
    built.module.to(device)
    rows = train(encoder, built.module,
                 training_batches(directories, training, spec.seed, built.phones, device,
                                  built.label_offset_s, built.label_unit),
                 training, spec.seed, state_path, device,
                 recipe=recipe(spec, built.label_offset_s))
    heldout = heldout_batches(directories, training, built.phones, built.label_offset_s,
                              built.label_unit)
    metrics = module.evaluate(built.module, heldout, device, spec.seed)
    return encoder, rows, built.extra, metrics


def _train_on_clips(module, spec: ModelSpec, directories: list[Path], state_path: Path,
                    device: torch.device) -> tuple[nn.Module, list[dict], dict, dict[str, float]]:
    """A video objective: its module built on the vision model, trained by the shared loop
    on the corpus's clips, checked on its held-out clips."""
    training = spec.training
    torch.manual_seed(spec.seed)
    model = checkpoint.from_preset(spec.family, spec.preset)
    model.to(device)
    objective_module = module.build(spec, model)
    objective_module.to(device)
    rows = train(model, objective_module, clip_batches(directories, training.batch_size, spec.seed),
                 training, spec.seed, state_path, device, recipe=recipe(spec, 0.0))
    heldout = heldout_clip_batches(directories, training.batch_size)
    metrics = module.evaluate(objective_module, heldout, device, spec.seed)
    return model, rows, {}, metrics
