"""Every layer's activations for a long story, computed in windows with left context.

A story is minutes long; models see seconds. As Millet et al., the audio is cut into
``window_s`` windows, each fed with ``context_s`` of preceding audio, and only the frames
that fall inside the window are kept, so each frame sees the same amount of past.

Past the story's first ``context_s``, every window's chunk has the same length (context +
window + one receptive field), so those chunks go through the model in batches. Chunks of
other lengths (the story's start and end) are batched only with chunks of their own length:
no chunk is ever padded to fit a batch, because the models normalise each input over time
(the log-mel encoder's per-utterance CMVN, wav2vec 2.0's per-item group norm), so padding
would change every frame. Each batch item is normalised on its own, so a batch gives the
frames one-window-at-a-time passes give (``_windowed_layers_reference``), up to float32
rounding of the larger matrix products.

Each window's kept frames are averaged into the output bins as they come (summed in
float64 on the model's device), so a layer holds one row per bin, not one per frame.
``precision="bfloat16"`` runs the forward passes under bfloat16 autocast; the arrays
returned are float32 either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from brainlike.features.timeline import pool_to_rate

PRECISIONS = ("float32", "bfloat16")
#: Audio samples in one forward pass, all chunks of a batch together: bounds the batch's
#: activations. 2**20 samples is 65 s, four 15 s chunks at 16 kHz; on 2 CPU cores 1 to 8
#: chunks per pass run within ~10 % of each other (bf16 gains most at 2-4).
BATCH_SAMPLES = 2**20


@dataclass(frozen=True)
class Chunk:
    """Window ``[start, end)`` (samples) and the chunk ``audio[first:stop]`` fed for it."""

    start: int
    end: int
    first: int
    stop: int

    @property
    def length(self) -> int:
        return self.stop - self.first


def window_chunks(n_samples: int, window: int, context: int, min_len: int) -> list[Chunk]:
    """One chunk per window: ``context`` samples before it, one receptive field after it.

    The receptive field past the window's end makes the frames centred just before that end
    exist in this chunk (the next chunk drops them: their centres precede its start). A chunk
    may be shorter than ``min_len`` only when the story is: it is then zero-padded.
    """
    chunks = []
    for start in range(0, n_samples, window):
        end = min(start + window, n_samples)
        first = max(0, start - context)
        chunks.append(Chunk(start, end, first, min(n_samples, max(end + min_len,
                                                                   first + min_len))))
    return chunks


def batches(chunks: list[Chunk], batch_samples: int) -> list[list[Chunk]]:
    """Chunks of one length per batch, at most ``batch_samples`` samples (at least one chunk)."""
    by_length: dict[int, list[Chunk]] = {}
    for chunk in chunks:
        by_length.setdefault(chunk.length, []).append(chunk)
    out = []
    for length, same in by_length.items():
        size = max(1, batch_samples // length)
        out += [same[i:i + size] for i in range(0, len(same), size)]
    return out


@torch.no_grad()
def windowed_layers(model: nn.Module, audio: np.ndarray, sample_rate: int, window_s: float,
                    context_s: float, rate: float, device: torch.device,
                    precision: str = "float32",
                    batch_samples: int = BATCH_SAMPLES) -> list[np.ndarray]:
    """Activations of every layer pooled to ``rate`` Hz. audio: (samples,) float32.

    precision: "float32", or "bfloat16" to run the forward passes under bfloat16 autocast
        (faster on GPUs and on CPUs with AVX-512 BF16; the arrays returned are float32).
    batch_samples: audio samples per forward pass (see ``BATCH_SAMPLES``); 1 runs one window
        at a time.

    Returns one (ceil(duration * rate), F_l) float32 array per ``model.layer_names`` entry.
    """
    if audio.ndim != 1 or len(audio) == 0:
        raise ValueError(f"audio must be (samples,) with samples > 0, found shape {audio.shape}")
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose from {PRECISIONS}")
    if batch_samples < 1:
        raise ValueError(f"batch_samples must be positive, found {batch_samples}")
    window, context = int(window_s * sample_rate), int(context_s * sample_rate)
    geometry = model.layer_geometry
    min_len = max(g.field for g in geometry)
    n_bins = int(np.ceil(len(audio) / sample_rate * rate))
    binned = [_BinMeans(n_bins, rate) for _ in geometry]
    model = model.to(device).eval()
    for batch in batches(window_chunks(len(audio), window, context, min_len), batch_samples):
        x = torch.from_numpy(np.stack([_chunk_audio(audio, c, min_len) for c in batch]))
        with torch.autocast(device.type, dtype=torch.bfloat16,
                            enabled=precision == "bfloat16"):
            outputs = model.extract_features(x.to(device))
        for out, g, bins in zip(outputs, geometry, binned):
            bins.width = out.shape[2]
            centres = g.centres(out.shape[1], sample_rate).numpy()
            for b, chunk in enumerate(batch):
                t = centres + chunk.first / sample_rate
                keep = np.flatnonzero((t >= chunk.start / sample_rate)
                                      & (t < chunk.end / sample_rate))
                if len(keep):  # the kept frames are consecutive: slice, don't gather
                    j0, j1 = keep[0], keep[-1] + 1
                    bins.add(out[b, j0:j1], t[j0:j1])
    duration = len(audio) / sample_rate
    return [bins.pooled(duration) for bins in binned]


def _chunk_audio(audio: np.ndarray, chunk: Chunk, min_len: int) -> np.ndarray:
    x = np.asarray(audio[chunk.first:chunk.stop], np.float32)
    if len(x) < min_len:  # a story shorter than the receptive field
        x = np.pad(x, (0, min_len - len(x)))
    return x


class _BinMeans:
    """Per-bin means and frame counts of one layer, added window by window.

    ``pool_to_rate`` of every frame equals ``pool_to_rate`` of each filled bin's mean placed
    at one of its frames' centres: the same bins fill, each averages the same frames. Keeping
    a float32 mean per bin, not every frame, bounds memory by the output's size (wav2vec 2.0's
    first block has 64 frames per 20 ms bin). A bin's mean is its float64 sum over the count,
    rounded once to float32, as ``pool_to_rate`` rounds it; only a bin split between two
    windows (when ``window_s * rate`` is not an integer) is rounded once more.
    """

    def __init__(self, n_bins: int, rate: float) -> None:
        self.n_bins, self.rate, self.width = n_bins, rate, 0
        self.counts = np.zeros(n_bins, np.int64)
        self.means: np.ndarray | None = None  # (n_bins, F) float32, allocated when F is known
        self.centres: np.ndarray | None = None  # (n_bins,) the first centre seen in each bin

    def add(self, values: torch.Tensor, centres: np.ndarray) -> None:
        """One window's frames: values (frames, F) on any device, centres (frames,) seconds,
        increasing. Summed where the values are, so only one row per bin moves."""
        # The bin of a centre exactly as pool_to_rate computes it (same dtypes, same clip).
        bins = np.clip((np.asarray(centres) * self.rate).astype(np.int64), 0, self.n_bins - 1)
        new_bin = np.r_[True, bins[1:] != bins[:-1]]
        first = np.flatnonzero(new_bin)
        b, n = bins[first], np.diff(np.r_[first, len(bins)])  # b distinct within a window
        if len(first) == len(bins):  # one frame per bin: its mean is itself
            means = values.float().cpu().numpy()
        else:
            index = torch.from_numpy(np.cumsum(new_bin) - 1).to(values.device)
            sums = torch.zeros(len(first), values.shape[1], dtype=torch.float64,
                               device=values.device).index_add_(0, index, values.double())
            means = sums.cpu().numpy() / n[:, None]
        if self.means is None:
            self.means = np.zeros((self.n_bins, values.shape[1]), np.float32)
            self.centres = np.zeros(self.n_bins, centres.dtype)
        seen = self.counts[b] > 0
        if seen.any():  # a bin split between windows: the count-weighted mean of both parts
            old, total = self.counts[b[seen]], self.counts[b[seen]] + n[seen]
            means = np.array(means, np.float64)  # a copy, never the model's output
            means[seen] = (self.means[b[seen]] * (old / total)[:, None]
                           + means[seen] * (n[seen] / total)[:, None])
        self.centres[b[~seen]] = centres[first[~seen]]
        self.means[b] = means
        self.counts[b] += n

    def pooled(self, duration_s: float) -> np.ndarray:
        """(ceil(duration_s * rate), F) float32, as ``pool_to_rate`` of all frames added."""
        if self.means is None:
            return pool_to_rate(np.zeros((0, self.width), np.float32), np.zeros(0),
                                self.rate, duration_s)
        filled = np.flatnonzero(self.counts)
        # float64 in: pool_to_rate's np.add.at then need not cast row by row (2x faster).
        return pool_to_rate(self.means[filled].astype(np.float64), self.centres[filled],
                            self.rate, duration_s)


@torch.no_grad()
def _windowed_layers_reference(model: nn.Module, audio: np.ndarray, sample_rate: int,
                               window_s: float, context_s: float, rate: float,
                               device: torch.device) -> list[np.ndarray]:
    """``windowed_layers`` one window at a time, pooling every frame at the end (float32).

    The straightforward form of the method, kept to check the batched one against
    (tests/unit/test_windowed_layers.py, benchmarks/feature_extraction.py).
    """
    if audio.ndim != 1:
        raise ValueError(f"audio must be (samples,), found shape {audio.shape}")
    window, context = int(window_s * sample_rate), int(context_s * sample_rate)
    geometry = model.layer_geometry
    min_len = max(g.field for g in geometry)
    values: list[list[np.ndarray]] = [[] for _ in geometry]
    centres: list[list[np.ndarray]] = [[] for _ in geometry]
    model = model.to(device).eval()
    for start in range(0, len(audio), window):
        end = min(start + window, len(audio))
        first = max(0, start - context)
        chunk = audio[first:max(end + min_len, first + min_len)]
        if len(chunk) < min_len:  # a story shorter than the receptive field
            chunk = np.pad(chunk, (0, min_len - len(chunk)))
        x = torch.from_numpy(np.ascontiguousarray(chunk, np.float32))[None].to(device)
        for i, (out, g) in enumerate(zip(model.extract_features(x), geometry)):
            t = g.centres(out.shape[1], sample_rate).numpy() + first / sample_rate
            keep = (t >= start / sample_rate) & (t < end / sample_rate)
            values[i].append(out[0, torch.from_numpy(keep).to(device)].float().cpu().numpy())
            centres[i].append(t[keep])
    duration = len(audio) / sample_rate
    return [pool_to_rate(np.concatenate(v), np.concatenate(c), rate, duration)
            for v, c in zip(values, centres)]
