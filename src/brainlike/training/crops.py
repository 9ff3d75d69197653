"""Stream random crops from sharded utterance/1 corpora without loading a corpus into memory.

The unit of reading is one Parquet row group (a few chapters); each DataLoader worker takes
its own share of row groups and seeds its generator from (seed, epoch, worker id), so the
same seed gives the same crops whatever the machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from torch.utils.data import IterableDataset, get_worker_info

from brainlike.io.schemas import check_schema, pcm_to_float


#: Alignment column of utterance/1 -> the field that names a unit (frame labels of the
#: supervised controls: the phone, or the word, under each frame).
LABEL_UNITS = {"phonemes": "phoneme", "words": "word"}


def _unit_name(unit: str, name: str) -> str:
    # Words are one label whatever their case (a sentence's first word is capitalised).
    return name.lower() if unit == "words" else name


def label_inventory(directories: list[str | Path], unit: str = "phonemes") -> list[str]:
    """Sorted labels of ``unit`` over every shard of the corpora (for supervised targets)."""
    names: set[str] = set()
    for path, group in row_groups(directories):
        if group == 0:
            column = pq.read_table(path, columns=[unit]).column(unit)
            names.update(_unit_name(unit, n) for n in
                         column.combine_chunks().flatten().field(LABEL_UNITS[unit]).to_pylist())
    return sorted(names)


def phone_inventory(directories: list[str | Path]) -> list[str]:
    """Sorted phoneme labels over every shard of the corpora (for supervised targets)."""
    return label_inventory(directories, "phonemes")


def row_groups(directories: list[str | Path]) -> list[tuple[Path, int]]:
    """(shard, row group) pairs of every shard listed in the directories' index.json."""
    units = []
    for directory in map(Path, directories):
        index = json.loads((directory / "index.json").read_text())
        for shard in index["shards"]:
            path = directory / shard["file"]
            check_schema(path, "utterance/1")
            units += [(path, g) for g in range(pq.ParquetFile(path).num_row_groups)]
    return units


def row_counts(units: list[tuple[Path, int]]) -> list[int]:
    """Chapters (rows) in each (shard, row group), from the Parquet footers."""
    footers: dict[Path, pq.FileMetaData] = {}  # one footer read per shard, not per group
    for path, _ in units:
        if path not in footers:
            footers[path] = pq.read_metadata(path)
    return [footers[path].row_group(group).num_rows for path, group in units]


class PhoneTrack:
    """A chapter's phones (or words) as sorted arrays, built once so every crop labels
    itself fast."""

    def __init__(self, phones: list[dict], index: dict[str, int],
                 unit: str = "phonemes") -> None:
        phones = sorted(phones, key=lambda p: p["onset"])
        key = LABEL_UNITS[unit]
        self.ids = np.array([index.get(_unit_name(unit, p[key]), -100) for p in phones],
                            np.int64)
        self.onsets = np.array([p["onset"] for p in phones], np.float64)
        self.offsets = np.array([p["offset"] for p in phones], np.float64)


def frame_labels(track: PhoneTrack, start: int, crop: int, sample_rate: int = 16000,
                 label_rate: float = 50.0, offset_s: float = 0.0) -> torch.Tensor:
    """(frames,) int64 phone ids at ``label_rate`` over a crop; -100 outside phonemes.

    Frame ``f`` carries the phone whose [onset, offset) holds ``t0 + offset_s + f / label_rate``:
    ``offset_s`` is where the model's first output frame is centred (half its receptive
    field), so a label names the phone under its frame's centre, as the phone probe reads it.
    """
    n = int(crop / sample_rate * label_rate)
    labels = np.full(n, -100, np.int64)
    t0 = start / sample_rate + offset_s
    # Only the phones overlapping the crop: a 2-minute chapter has ~1,500 of them.
    lo = np.searchsorted(track.offsets, t0, side="right") if len(track.offsets) else 0
    hi = np.searchsorted(track.onsets, t0 + n / label_rate, side="left")
    for i in range(lo, hi):
        a = int(np.ceil((track.onsets[i] - t0) * label_rate - 1e-6))
        b = int(np.ceil((track.offsets[i] - t0) * label_rate - 1e-6))
        if b > 0 and a < n:
            labels[max(a, 0):min(b, n)] = track.ids[i]
    return torch.from_numpy(labels)


def padded_crop(pcm: np.ndarray, start: int, crop: int) -> tuple[torch.Tensor, int]:
    """``crop`` samples of int16 ``pcm`` from ``start`` as float32, zero-padded past its end;
    also the number of real samples."""
    piece = pcm_to_float(pcm[start:start + crop])
    out = np.zeros(crop, np.float32)
    out[:len(piece)] = piece
    return torch.from_numpy(out), len(piece)


def heldout_chapters(directories: list[str | Path], n: int) -> dict[tuple[Path, int], set[int]]:
    """The last ``n`` chapters of each collection, as {(shard, row group): {row, ...}}.

    Training never sees them; the learning checks run on them. A collection with ``n`` or
    fewer chapters cannot spare any, which is an error naming it.
    """
    held: dict[tuple[Path, int], set[int]] = {}
    for directory in map(Path, directories):
        units = row_groups([directory])
        sizes = row_counts(units)
        if sum(sizes) <= n:
            raise ValueError(f"{directory}: {sum(sizes)} chapter(s), too few to hold out {n} "
                             "for evaluation and still train")
        left = n
        for (path, group), size in zip(reversed(units), reversed(sizes)):
            take = min(left, size)
            if take:
                held[(path, group)] = set(range(size - take, size))
            left -= take
    return held


def heldout_crops(directories: list[str | Path], n_chapters: int, crop_seconds: float,
                  sample_rate: int = 16000, phone_inventory: list[str] | None = None,
                  label_rate: float = 50.0, label_offset_s: float = 0.0,
                  label_unit: str = "phonemes") -> Iterator[dict]:
    """Consecutive, non-overlapping crops of the held-out chapters (same keys as CropStream)."""
    crop = int(round(crop_seconds * sample_rate))
    index = None if phone_inventory is None else {p: i for i, p in enumerate(phone_inventory)}
    for (path, group), rows in heldout_chapters(directories, n_chapters).items():
        chapters = _Chapters(path, group, None if index is None else label_unit)
        for r in sorted(rows):
            pcm = chapters.pcm(r)
            for start in range(0, max(1, len(pcm) - crop + 1), crop):
                audio, length = padded_crop(pcm, start, crop)
                item = {"audio": audio, "length": length, "utt_id": chapters.utt_id(r),
                        "start": start}
                if index is not None:
                    item["phones"] = frame_labels(chapters.phones(r, index), start, crop,
                                                  sample_rate, label_rate, label_offset_s)
                yield item


class CropStream(IterableDataset):
    """Random fixed-length crops of corpus audio.

    Yields dicts with ``audio`` (crop_samples,) float32, ``length`` (valid samples; shorter
    chapters are zero-padded) and ``utt_id``. ``exclude`` names chapters to skip
    ({(shard, row group): {row, ...}}, e.g. :func:`heldout_chapters`).
    """

    def __init__(self, directories: list[str | Path], crop_seconds: float, seed: int,
                 crops_per_chapter: int = 4, sample_rate: int = 16000,
                 phone_inventory: list[str] | None = None, label_rate: float = 50.0,
                 exclude: dict[tuple[Path, int], set[int]] | None = None,
                 label_offset_s: float = 0.0, label_unit: str = "phonemes") -> None:
        self.units = row_groups(directories)
        # Chapters kept out of training (see heldout_chapters).
        self.exclude = exclude or {}
        if not self.units:
            raise ValueError(f"no Parquet row groups under {directories}")
        self.crop = int(round(crop_seconds * sample_rate))
        self.seed, self.crops_per_chapter, self.epoch = seed, crops_per_chapter, 0
        self.sample_rate, self.label_rate = sample_rate, label_rate
        self.label_offset_s, self.label_unit = label_offset_s, label_unit
        # With an inventory, each crop also carries frame-level phone labels (supervised control).
        self.phone_index = None if phone_inventory is None else {
            p: i for i, p in enumerate(phone_inventory)}

        # Rows per row group, from the footers: what a pass yields is known without reading.
        self.rows = row_counts(self.units)
        if not any(self._kept(i) for i in range(len(self.units))):
            raise ValueError(f"every chapter under {directories} is excluded; nothing to train on")

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _kept(self, unit: int) -> int:
        return self.rows[unit] - len(self.exclude.get(self.units[unit], ()))

    def _share(self, epoch: int, worker: int, workers: int
               ) -> tuple[np.ndarray, np.random.Generator]:
        # One permutation shared by all workers (so their slices partition the row groups),
        # and an independent crop generator per worker (a spawned child, not [.., worker]:
        # trailing zeros in a seed list do not change the SeedSequence).
        seeds = np.random.SeedSequence([self.seed, epoch])
        order = np.random.default_rng(seeds).permutation(len(self.units))[worker::workers]
        return order, np.random.default_rng(seeds.spawn(workers)[worker])

    def pass_length(self, epoch: int, worker: int = 0, workers: int = 1) -> int:
        """Crops one worker's pass over ``epoch`` yields (footer metadata only)."""
        order, _ = self._share(epoch, worker, workers)
        return self.crops_per_chapter * sum(self._kept(int(i)) for i in order)

    def __iter__(self) -> Iterator[dict]:
        info = get_worker_info()
        return self.crops(self.epoch, *((info.id, info.num_workers) if info else (0, 1)))

    def crops(self, epoch: int, worker: int = 0, workers: int = 1, skip: int = 0
              ) -> Iterator[dict]:
        """One pass of share ``worker`` of ``workers``, its first ``skip`` crops drawn but
        not read (a resumed run)."""
        order, rng = self._share(epoch, worker, workers)
        for i in order:
            chapters = _Chapters(*self.units[i],
                                 None if self.phone_index is None else self.label_unit)
            excluded = self.exclude.get(self.units[i], ())
            for r in rng.permutation(self.rows[i]):
                if int(r) in excluded:
                    continue
                for _ in range(self.crops_per_chapter):
                    if skip:  # the same draw as a read crop, from the length column alone
                        rng.integers(0, max(1, chapters.n_samples(int(r)) - self.crop + 1))
                        skip -= 1
                        continue
                    pcm = chapters.pcm(int(r))
                    item = self._crop(pcm, rng, chapters.utt_id(int(r)))
                    if self.phone_index is not None:
                        item["phones"] = frame_labels(
                            chapters.phones(int(r), self.phone_index), item["start"],
                            self.crop, self.sample_rate, self.label_rate, self.label_offset_s)
                    yield item

    def _crop(self, pcm: np.ndarray, rng: np.random.Generator, utt_id: str) -> dict:
        start = int(rng.integers(0, max(1, len(pcm) - self.crop + 1)))
        audio, length = padded_crop(pcm, start, self.crop)
        return {"audio": audio, "length": length, "utt_id": utt_id, "start": start}


class _Chapters:
    """One row group, read lazily: only its n_samples column while crops are being skipped."""

    def __init__(self, path: Path, group: int, unit: str | None) -> None:
        """unit: the alignment column labels come from (None: no labels)."""
        self.path, self.group, self.unit = path, group, unit
        self._table = self._lengths = None
        self._pcm: tuple[int, np.ndarray] | None = None
        self._tracks: dict[int, PhoneTrack] = {}

    def _read(self) -> pa.Table:
        if self._table is None:
            columns = ["utt_id", "audio"] + ([self.unit] if self.unit else [])
            self._table = pq.ParquetFile(self.path).read_row_group(self.group, columns=columns)
        return self._table

    def n_samples(self, row: int) -> int:
        if self._lengths is None:
            self._lengths = pq.ParquetFile(self.path).read_row_group(
                self.group, columns=["n_samples"]).column("n_samples").to_numpy()
        return int(self._lengths[row])

    def pcm(self, row: int) -> np.ndarray:
        if self._pcm is None or self._pcm[0] != row:  # a chapter's crops come together
            pcm = self._read().column("audio")[row].values.to_numpy(zero_copy_only=False)
            if self._lengths is not None and len(pcm) != self._lengths[row]:
                raise ValueError(f"{self.path}: row {row} of row group {self.group} has "
                                 f"{len(pcm)} samples but n_samples says {self._lengths[row]}")
            self._pcm = (row, pcm)
        return self._pcm[1]

    def utt_id(self, row: int) -> str:
        return str(self._read().column("utt_id")[row])

    def phones(self, row: int, index: dict[str, int]) -> PhoneTrack:
        if row not in self._tracks:
            self._tracks[row] = PhoneTrack(self._read().column(self.unit)[row].as_py(), index,
                                           self.unit)
        return self._tracks[row]
