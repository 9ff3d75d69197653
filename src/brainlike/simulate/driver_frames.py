"""What each planted driver set is made of, at a fast frame rate, before the HRF.

Two definitions per set, chosen by config (``listening.<ds>.simulate.drivers``, see
``brainlike.simulate.driver_kinds``):

* acoustic: ``modulation`` (spectro-temporal modulation energy of the signal as heard) or
  ``logmel`` (log-mel band energy, the first world's);
* phonetic: ``articulatory`` (each phone's articulatory features, identical whoever speaks,
  ``brainlike.features.articulatory``) or ``hashed`` (a random +-1 code per phone label and a
  vowel flag);
* word: ``concepts`` (a semantic vector shared by translation equivalents, log frequency and
  contextual surprisal) or ``hashed`` (a random code per word form, log frequency, position).

Token-level sets (phones, words) are returned as per-token values; the session assembly
(``brainlike.simulate.drivers``) centres them and holds them over each token.
Deterministic codes are seeded from SHA-256 of the name, never Python's salted ``hash``.
"""

from __future__ import annotations

import hashlib
from typing import Callable

import numpy as np
import pandas as pd

from brainlike.simulate.speech_types import Speech

#: Frame rate (Hz) of the pre-HRF signals.
FRAME_RATE = 100.0
N_MELS = 16
#: Mel bands of the spectrogram the modulation filters read (~6 per octave over 50 Hz-11 kHz).
N_MODULATION_MELS = 32
N_PHONEME_CODE = 8
N_WORD_EMBED = 8

# Mel power below this floor (~ -60 dB re a full-scale signal) counts as silence, so log
# energy is 0 in silence and also 0 after the audio ends (the HRF tail sees no jump).
_MEL_FLOOR = 1e-3

# ARPAbet vowels (stress digits stripped) plus first characters that mark a vowel in
# IPA/X-SAMPA-like inventories.
_ARPABET_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AX", "AXR", "AY", "EH", "ER", "EY",
                   "IH", "IX", "IY", "OW", "OY", "UH", "UW", "UX"}
_VOWEL_CHARS = set("aeiouyAEIOUY") | set("ɑæɐəɛɪɔʊʌɜɒøœɘɵɤɯɨʉɞɶɝɚ")

LogFrequency = Callable[[str, str], float]


def uniform_log_frequency(language: str, word: str) -> float:
    """Default: every word equally frequent (the log-frequency column then carries nothing)."""
    return 0.0


def _seeded_rng(kind: str, *parts: str) -> np.random.Generator:
    digest = hashlib.sha256("\x1f".join((kind,) + parts).encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def is_vowel(phoneme: str) -> bool:
    """Whether a phoneme label (ARPAbet, IPA or SAMPA-like) names a vowel."""
    p = str(phoneme).strip()
    if p.rstrip("012").upper() in _ARPABET_VOWELS:
        return True
    return bool(p) and p[0] in _VOWEL_CHARS


def phoneme_code(phoneme: str, n_dims: int = N_PHONEME_CODE) -> np.ndarray:
    """(n_dims + 1,) float64: a hashed +-1 code followed by +1 for vowels, -1 for consonants."""
    code = _seeded_rng("phoneme", str(phoneme)).choice([-1.0, 1.0], size=n_dims)
    return np.append(code, 1.0 if is_vowel(phoneme) else -1.0)


def word_embedding(language: str, word: str, n_dims: int = N_WORD_EMBED) -> np.ndarray:
    """(n_dims,) float64 standard-normal identity code for a (language, lower-cased word)."""
    return _seeded_rng("word", str(language), str(word).lower()).standard_normal(n_dims)


def log_mel(speech: Speech, n_mels: int = N_MELS) -> tuple[np.ndarray, float]:
    """Log-mel band energies: ((n_frames, n_mels) float64, frame rate in Hz ~ 100).

    Frame ``k`` is centred on ``k / rate`` seconds (25 ms Hann windows).
    """
    import torch
    import torchaudio

    sr = int(speech.sample_rate)
    hop = max(1, int(round(sr / FRAME_RATE)))
    win = max(2, int(round(0.025 * sr)))
    n_fft = 1 << (win - 1).bit_length()
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=sr, n_fft=n_fft, win_length=win, hop_length=hop, f_min=50.0,
        f_max=sr / 2.0, n_mels=n_mels, power=2.0, center=True)
    with torch.no_grad():
        power = mel(torch.from_numpy(np.ascontiguousarray(speech.audio, dtype=np.float32)))
    frames = np.log1p(power.numpy().T.astype(np.float64) / _MEL_FLOOR)
    return frames, sr / hop


def acoustic_frames(speech: Speech, kind: str) -> tuple[np.ndarray, float, list[str]]:
    """((n_frames, k) float64, frame rate, column names) of the acoustic set."""
    if kind == "logmel":
        frames, rate = log_mel(speech)
        return frames, rate, [f"mel{i:02d}" for i in range(frames.shape[1])]
    from brainlike.simulate.modulation import column_names, modulation_energy

    spec, rate = log_mel(speech, N_MODULATION_MELS)
    octaves = np.log2(speech.sample_rate / 2.0 / 50.0)
    return (modulation_energy(spec, rate, N_MODULATION_MELS / octaves), rate,
            column_names())


def phone_values(phones: pd.Series, kind: str, language: str) -> tuple[np.ndarray, list[str]]:
    """((n_phones, k) float64 per phone token, column names) of the phonetic set.

    ``language``: the story's, whose espeak inventory names the phones (``S`` is /ʃ/ there,
    /s/ in ARPAbet)."""
    labels = [str(p) for p in phones]
    if kind == "hashed":
        codes = {p: phoneme_code(p) for p in set(labels)}
        names = [f"phon_code{i}" for i in range(N_PHONEME_CODE)] + ["phon_vowel"]
    else:
        from brainlike.features.articulatory import (FEATURES, articulatory_vector,
                                                     espeak_inventory)

        inventory = espeak_inventory(language)
        codes = {p: articulatory_vector(p, inventory) for p in set(labels)}
        names = [f"artic_{f}" for f in FEATURES]
    values = np.array([codes[p] for p in labels], np.float64).reshape(len(labels), len(names))
    return values, names


def word_values(words: pd.DataFrame, kind: str,
                log_frequency: LogFrequency) -> tuple[np.ndarray, list[str]]:
    """((n_words, k) float64 per word token, column names) of the word set.

    ``words``: WORD_COLUMNS (one language per table for ``concepts``: surprisal reads each
    word's sentence so far).
    """
    freq = np.array([float(log_frequency(lang, w))
                     for w, lang in zip(words["word"], words["language"])], np.float64)
    if kind == "hashed":
        rows = [word_embedding(lang, w) for w, lang in zip(words["word"], words["language"])]
        embed = np.asarray(rows, np.float64).reshape(len(words), N_WORD_EMBED)
        values = np.column_stack([embed, freq, words["position"].to_numpy(np.float64)])
        names = [f"word_embed{i}" for i in range(N_WORD_EMBED)] + ["word_log_frequency",
                                                                   "word_position"]
        return values, names
    from brainlike.simulate.concepts import N_CONCEPT_DIMS, word_vectors
    from brainlike.simulate.surprisal import story_surprisal

    concept = np.zeros((len(words), N_CONCEPT_DIMS))
    surprise = np.zeros(len(words))
    for language, rows in words.groupby("language", sort=False).groups.items():
        table = words.loc[rows]
        idx = words.index.get_indexer(rows)
        concept[idx] = word_vectors(str(language), table["word"].astype(str).tolist())
        surprise[idx] = story_surprisal(str(language), table)
    names = [f"concept{i}" for i in range(N_CONCEPT_DIMS)] + ["word_log_frequency",
                                                             "word_surprisal"]
    return np.column_stack([concept, freq, surprise]), names
