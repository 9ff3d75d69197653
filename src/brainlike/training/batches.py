"""Batches of training crops: deterministic, resumable, prefetched, optionally in workers.

Crops come from :class:`brainlike.training.crops.CropStream`; the last
``training.heldout_chapters`` chapters of each collection are never trained on and are
batched in order for the learning checks (:func:`heldout_batches`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from brainlike.plan.specs import TrainingSpec
from brainlike.training.crops import CropStream, heldout_chapters, heldout_crops
from brainlike.training.prefetch import Prefetch


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


def batches(directories: list[Path], spec: TrainingSpec, seed: int,
            phones: list[str] | None = None, heldout: int = 0,
            workers: int = 0, label_offset_s: float = 0.0, skip: int = 0,
            label_unit: str = "phonemes") -> Iterator[dict]:
    """Endless deterministic batches of ``spec.batch_size`` crops of ``spec.crop_seconds``
    (epoch after epoch, reshuffled each time), skipping the last ``heldout`` chapters of each
    collection, starting after the first ``skip`` batches (a resumed run: without decoding
    the audio it skips).

    workers: DataLoader processes, each cropping its own share of the row groups (so the
    batch order depends on the worker count: the same count gives the same batches). No more
    workers than row groups, so none is idle and batches come round-robin.
    """
    exclude = heldout_chapters(directories, heldout) if heldout else None
    stream = CropStream(directories, spec.crop_seconds, seed, phone_inventory=phones,
                        exclude=exclude, label_offset_s=label_offset_s,
                        label_unit=label_unit)
    workers = min(workers, len(stream.units))
    dataset = _Batches(stream, spec.batch_size, skip)
    if workers <= 0:
        return iter(dataset)
    return iter(DataLoader(dataset, batch_size=None, num_workers=workers, prefetch_factor=4,
                           pin_memory=torch.cuda.is_available()))


def loader_workers(spec: TrainingSpec, device: torch.device) -> int:
    """``spec.loader_workers``, or for -1 none on the CPU (the model needs the cores; a
    thread hides the reads) and up to 4 processes feeding a GPU, where one thread cannot
    keep up with a small model (measured: 55-67 % of step time waiting on an H200)."""
    if spec.loader_workers >= 0:
        return spec.loader_workers
    return min(4, max(1, (os.cpu_count() or 2) - 1)) if device.type == "cuda" else 0


def training_batches(directories: list[Path], spec: TrainingSpec, seed: int,
                     phones: list[str] | None, device: torch.device,
                     label_offset_s: float,
                     label_unit: str = "phonemes") -> Callable[[int], Iterator[dict]]:
    """The batch factory ``train`` gets: ``factory(skip)``, a fresh prefetched iterator over
    every chapter but the held-out ones."""
    workers = loader_workers(spec, device)
    return lambda skip=0: Prefetch(batches(directories, spec, seed, phones,
                                           spec.heldout_chapters, workers, label_offset_s,
                                           skip, label_unit))


def heldout_batches(directories: list[Path], spec: TrainingSpec,
                    phones: list[str] | None = None, label_offset_s: float = 0.0,
                    label_unit: str = "phonemes") -> list[dict]:
    """Every crop of the held-out chapters, in order, batched (the last batch may be short)."""
    items = list(heldout_crops(directories, spec.heldout_chapters, spec.crop_seconds,
                               phone_inventory=phones, label_offset_s=label_offset_s,
                               label_unit=label_unit))
    return [_collate(items[i:i + spec.batch_size])
            for i in range(0, len(items), spec.batch_size)]
