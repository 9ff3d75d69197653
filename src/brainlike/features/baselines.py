"""Baseline feature sets that need no model: the sound, the phonemes, the words.

They bracket the models from below and each targets one level of the hierarchy:
``spectrogram`` (log-mel energy), ``phonemes`` (phoneme identity), ``articulatory`` (each
phone's articulatory features, ``brainlike.features.articulatory``), ``words`` (word onsets,
frequency, length, position in the sentence) and ``semantic`` (the simulated world's concept
vectors, log frequency and contextual surprisal: ``brainlike.features.semantic``). Columns
must be identical across the stories of a dataset, so phoneme inventory and word frequencies
are computed over all its stories.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

BASELINES = ("spectrogram", "phonemes", "articulatory", "words", "semantic")
N_MELS = 40


def spectrogram(audio: np.ndarray, sample_rate: int, rate: float) -> np.ndarray:
    """(frames at ``rate`` Hz, N_MELS) log-mel energies. audio: (samples,) float32."""
    import torch
    import torchaudio

    hop = int(round(sample_rate / rate))
    mel = torchaudio.transforms.MelSpectrogram(sample_rate=sample_rate, n_fft=4 * hop,
                                               hop_length=hop, n_mels=N_MELS, center=True)
    power = mel(torch.from_numpy(np.ascontiguousarray(audio, np.float32)))
    n = int(np.ceil(len(audio) / sample_rate * rate))
    return torch.log(power + 1e-6).T[:n].numpy().astype(np.float32)


#: Tolerance in frames: a time on a frame boundary must land on it although
#: 0.58 s * 50 Hz = 28.999999999999996 and 0.14 s * 50 Hz = 7.000000000000001.
_EPS = 1e-6


def _boxcars(onsets: np.ndarray, offsets: np.ndarray, codes: np.ndarray, n_frames: int,
             rate: float) -> np.ndarray:
    """(n_frames, codes.shape[1]): each interval's code held over its frames."""
    out = np.zeros((n_frames, codes.shape[1]), np.float32)
    for a, b, code in zip(onsets, offsets, codes):
        i = int(np.floor(a * rate + _EPS))
        j = max(i + 1, int(np.ceil(b * rate - _EPS)))
        out[i:min(j, n_frames)] += code
    return out


def phoneme_inventory(tables: list[pd.DataFrame]) -> list[str]:
    """Sorted phoneme labels over all stories of a dataset."""
    return sorted(set().union(*(set(t["phoneme"]) for t in tables)))


def phonemes(table: pd.DataFrame, inventory: list[str], duration_s: float,
             rate: float) -> np.ndarray:
    """(frames, len(inventory)) one-hot phoneme identity over each phoneme's interval."""
    index = {p: i for i, p in enumerate(inventory)}
    missing = set(table["phoneme"]) - set(index)
    if missing:
        raise ValueError(f"phonemes {sorted(missing)[:5]} are not in the dataset inventory")
    codes = np.zeros((len(table), len(inventory)), np.float32)
    codes[np.arange(len(table)), [index[p] for p in table["phoneme"]]] = 1.0
    return _boxcars(table["onset"].to_numpy(), table["offset"].to_numpy(), codes,
                    int(np.ceil(duration_s * rate)), rate)


def word_frequencies(tables: list[pd.DataFrame]) -> dict[str, float]:
    """log10 relative frequency of each (lower-cased) word over all stories of a dataset."""
    counts = Counter(w.lower() for t in tables for w in t["word"])
    total = sum(counts.values())
    return {w: float(np.log10(c / total)) for w, c in counts.items()}


WORD_COLUMNS = ("onset", "duration", "log_frequency", "length", "position")


def words(table: pd.DataFrame, frequencies: dict[str, float], duration_s: float,
          rate: float) -> np.ndarray:
    """(frames, 5): word onset impulse, word boxcar, and per word log-frequency, length in
    characters and position in its sentence (0 where unknown), held over the word."""
    n = int(np.ceil(duration_s * rate))
    onsets, offsets = table["onset"].to_numpy(), table["offset"].to_numpy()
    out = np.zeros((n, len(WORD_COLUMNS)), np.float32)
    idx = np.clip(np.floor(onsets * rate + _EPS).astype(int), 0, n - 1)
    np.add.at(out[:, 0], idx, 1.0)
    freq = np.array([frequencies.get(w.lower(), min(frequencies.values())) for w in table["word"]])
    length = np.array([len(w) for w in table["word"]], np.float32)
    position = np.clip(table["position"].to_numpy(np.float32), 0, None) \
        if "position" in table else np.zeros(len(table), np.float32)
    codes = np.stack([np.ones(len(table)), freq - freq.mean(), length, position], axis=1)
    out[:, 1:] = _boxcars(onsets, offsets, codes.astype(np.float32), n, rate)
    return out
