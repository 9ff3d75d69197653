"""The training loop: a plain function, resumable, deterministic on CPU.

Every step draws its randomness from (seed, step) -- dropout through the global torch seed,
masking and negatives through a per-step ``torch.Generator`` -- and the data iterator is
re-created past the batches already trained on, so a job killed at any point and re-run
ends with exactly the weights of an uninterrupted run (CPU in float32, same thread count).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch import Tensor, nn

from brainlike.io.atomic import atomic_path
from brainlike.plan.specs import TrainingSpec
from brainlike.training.schedule import learning_rate

log = logging.getLogger(__name__)

Objective = Callable[[dict, torch.Generator], dict[str, Tensor]]


def _step_seed(seed: int, step: int) -> int:
    return (seed * 1_000_003 + step) % (2**63 - 1)


def _modules(model: nn.Module, objective: nn.Module | Objective) -> nn.ModuleDict:
    # The objective's own parameters (heads, codebooks, cluster embeddings) resume too.
    return nn.ModuleDict({"model": model, **({"objective": objective}
                                             if isinstance(objective, nn.Module) else {})})


def _save_state(path: Path, modules: nn.Module, optimizer: torch.optim.Optimizer, step: int,
                rows: list[dict], recipe: str) -> None:
    with atomic_path(path) as tmp:
        torch.save({"modules": modules.state_dict(), "optimizer": optimizer.state_dict(),
                    "step": step, "log": rows, "recipe": recipe}, tmp)


def to_device(batch: dict, device: torch.device) -> dict:
    """A batch's tensors on ``device`` (other entries, such as ids, as they are)."""
    return {k: v.to(device) if isinstance(v, Tensor) else v for k, v in batch.items()}


PRECISIONS = ("auto", "float32", "bfloat16")


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """What a training step's forward pass autocasts to (``training.precision``); None: no
    autocast, float32 throughout.

    ``auto``: bfloat16 on a GPU, none on the CPU (no speed-up at these sizes there, and
    float32 keeps CPU runs bit-reproducible); ``float32``: none; ``bfloat16``: bfloat16 on
    whichever device. Losses that need the range stay float32 inside the autocast region.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose from {PRECISIONS}")
    if precision == "bfloat16" or (precision == "auto" and device.type == "cuda"):
        return torch.bfloat16
    return None


def train(model: nn.Module, objective: nn.Module | Objective,
          batches: Callable[[int], Iterator[dict]], spec: TrainingSpec, seed: int,
          state_path: str | Path, device: torch.device, stop_after: int | None = None,
          recipe: str = "") -> list[dict]:
    """Train ``model`` (whose parameters ``objective`` also owns or uses) for ``spec.steps``.

    batches: ``batches(skip)`` returns a fresh, deterministic iterator of batches (dicts of
        tensors) that starts after the first ``skip`` (on resume: those already trained on).
    spec: the optimisation recipe (steps, learning-rate schedule, clipping, logging and
        checkpoint intervals, precision).
    seed: the model's seed; each step's dropout, masks and distractors derive from it.
    state_path: the resumable checkpoint (weights, optimiser, step, log rows).
    stop_after: stop after this many steps in this call (to test resumption).
    recipe: what the run was asked to do (e.g. the model's config as JSON); a checkpoint left
        by a different recipe is ignored, so an edited config never resumes stale weights.
    Returns the log rows (step, lr, the objective's scalar terms, samples_per_s,
    data_wait_fraction). Raises FloatingPointError on a non-finite loss.
    """
    state_path = Path(state_path)
    dtype = autocast_dtype(spec.precision, device)
    modules = _modules(model, objective)
    params = list(modules.parameters())  # shared parameters are yielded once
    optimizer = torch.optim.AdamW(params, lr=spec.lr, weight_decay=spec.weight_decay)
    step, rows = 0, []
    state = (torch.load(state_path, map_location=device, weights_only=True)
             if state_path.exists() else None)
    if state is not None and state.get("recipe", "") != recipe:
        log.warning("ignoring %s: it was written for another recipe; starting afresh",
                    state_path)
        state = None
    if state is not None:
        modules.load_state_dict(state["modules"])
        optimizer.load_state_dict(state["optimizer"])
        step, rows = int(state["step"]), list(state["log"])
        log.info("resuming from %s at step %d", state_path, step)
    iterator = batches(step)  # same data order as an uninterrupted run
    modules.train()
    window_start, waited, seen = time.perf_counter(), 0.0, 0
    end = spec.steps if stop_after is None else min(spec.steps, step + stop_after)
    while step < end:
        t0 = time.perf_counter()
        batch = to_device(next(iterator), device)
        waited += time.perf_counter() - t0
        lr = learning_rate(step, spec.lr, spec.warmup_steps, spec.steps, spec.min_lr)
        for group in optimizer.param_groups:
            group["lr"] = lr
        torch.manual_seed(_step_seed(seed, step))
        generator = torch.Generator(device="cpu").manual_seed(_step_seed(seed + 1, step))
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            terms = objective(batch, generator)
        loss = terms["loss"]
        if not torch.isfinite(loss):
            detail = ", ".join(f"{k}={float(v.detach()):.4g}" for k, v in terms.items())
            raise FloatingPointError(f"non-finite loss {loss.item()} at step {step}: {detail}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, spec.grad_clip)
        optimizer.step()
        step += 1
        seen += len(next(iter(batch.values())))  # clips, crops
        if step % spec.log_every == 0 or step == spec.steps:
            elapsed = time.perf_counter() - window_start
            row = {"step": step, "lr": lr, **{k: float(v.detach()) if isinstance(v, Tensor)
                                              else float(v) for k, v in terms.items()},
                   "samples_per_s": seen / elapsed, "audio_s_per_s":
                   seen * spec.crop_seconds / elapsed, "data_wait_fraction": waited / elapsed}
            rows.append(row)
            log.info("step %d/%d loss %.4f lr %.2e %.1f samples/s, data wait %.1f%%", step,
                     spec.steps, row["loss"], lr, row["samples_per_s"],
                     100 * row["data_wait_fraction"])
            window_start, waited, seen = time.perf_counter(), 0.0, 0
        if step % spec.checkpoint_every == 0 or step == end:
            _save_state(state_path, modules, optimizer, step, rows, recipe)
    if hasattr(iterator, "close"):  # a prefetching thread
        iterator.close()
    return rows
