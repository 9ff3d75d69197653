"""Stimulus drivers of the planted hierarchy (acoustic -> phonetic -> word), at TR resolution.

Each driver set is a (n_trs, k) matrix built from a ``Speech`` at a fast frame rate,
convolved with the HRF and sampled per TR (``brainlike.hrf.convolve_and_sample``), then:

* phonetic is least-squares residualised against acoustic, and word against
  acoustic + phonetic, over the whole concatenated session, because all three carry the slow
  speech envelope after HRF smoothing and would otherwise cross-predict one another
  (r ~ 0.3 and more), making the planted answer unidentifiable;
* each column is z-scored (columns with no variance left, e.g. the word set of a listener
  who understands none of the words, stay exactly zero).

Deterministic codes (phoneme features, word embeddings) are seeded from SHA-256 of the name,
never from Python's per-process salted ``hash``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from brainlike.simulate.speech_types import Speech
from brainlike.hrf import convolve_and_sample

#: Frame rate (Hz) of the pre-HRF signals.
FRAME_RATE = 100.0
N_MELS = 16
N_PHONEME_CODE = 8
N_WORD_EMBED = 8
#: Names of the driver sets, in orthogonalisation order.
DRIVER_SETS = ("acoustic", "phonetic", "word")

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


def acoustic_frames(speech: Speech, n_mels: int = N_MELS) -> tuple[np.ndarray, float]:
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


def _n_frames(speech: Speech) -> int:
    return int(np.ceil(speech.duration * FRAME_RATE)) + 1


def _boxcars(onsets: np.ndarray, offsets: np.ndarray, values: np.ndarray,
             n_frames: int) -> np.ndarray:
    """(n_frames, k): ``values[i]`` held over frames covering [onsets[i], offsets[i])."""
    out = np.zeros((n_frames + 1, values.shape[1]))
    start = np.clip(np.round(np.asarray(onsets) * FRAME_RATE).astype(np.int64), 0, n_frames)
    stop = np.round(np.asarray(offsets) * FRAME_RATE).astype(np.int64)
    stop = np.clip(np.maximum(stop, start + 1), 0, n_frames)  # sub-frame events get one frame
    # Difference array: add at start, remove at stop, integrate.
    np.add.at(out, start, values)
    np.add.at(out, stop, -values)
    return np.cumsum(out, axis=0)[:n_frames]


def phonetic_frames(speech: Speech) -> np.ndarray:
    """(n_frames, N_PHONEME_CODE + 1) boxcars of each phoneme's code at FRAME_RATE."""
    ph = speech.phonemes
    if len(ph) == 0:
        return np.zeros((_n_frames(speech), N_PHONEME_CODE + 1))
    codes = {p: phoneme_code(p) for p in pd.unique(ph["phoneme"])}
    values = np.stack([codes[p] for p in ph["phoneme"]])
    return _boxcars(ph["onset"].to_numpy(float), ph["offset"].to_numpy(float), values,
                    _n_frames(speech))


def _word_values(words: pd.DataFrame, log_frequency: LogFrequency) -> np.ndarray:
    """(n_words, N_WORD_EMBED + 2): embedding, log-frequency, position (not yet centred)."""
    rows = [np.concatenate([word_embedding(lang, w),
                            [float(log_frequency(lang, w)), float(pos)]])
            for w, lang, pos in zip(words["word"], words["language"], words["position"])]
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), N_WORD_EMBED + 2)


def _zscore_residual(x: np.ndarray, before: np.ndarray,
                     rows: np.ndarray | None = None) -> np.ndarray:
    """z-score columns of ``x``; columns with (numerically) nothing left become exact zeros.

    rows: optional (T,) bool; rows outside it are exact zeros on return (they were zero
    and centred data keep them at zero up to rounding).
    """
    x = x - x.mean(axis=0)
    sd = x.std(axis=0)
    ref = before.std(axis=0)
    dead = (sd <= 1e-8 * np.maximum(ref, 1e-300)) | (ref == 0)
    out = np.divide(x, sd, out=np.zeros_like(x), where=~dead)
    out[:, dead] = 0.0
    if rows is not None:
        out[~rows] = 0.0
    return out


def _active_rows(x: np.ndarray, boundaries: np.ndarray) -> np.ndarray:
    """(T,) bool: rows of runs in which ``x`` is not identically zero."""
    rows = np.zeros(len(x), dtype=bool)
    for a, b in zip(boundaries[:-1], boundaries[1:]):
        rows[a:b] = np.any(x[a:b] != 0)
    return rows


def orthogonalise(target: np.ndarray, regressors: np.ndarray,
                  boundaries: np.ndarray) -> np.ndarray:
    """Residualise ``target`` (T, k) on [1, regressors] and z-score, over the session.

    The fit uses only runs where the target is active and leaves the others exactly zero,
    so a run without native words keeps a zero word driver (fitting it too would put minus
    its acoustic/phonetic projection there). Orthogonality still holds over the whole
    session: zero rows add nothing to the cross-products and the active rows are centred.
    """
    rows = _active_rows(target, boundaries)
    resid = np.zeros_like(target)
    if rows.any():
        resid[rows] = residualise(target[rows], regressors[rows])
    return _zscore_residual(resid, target, rows)


def residualise(target: np.ndarray, regressors: np.ndarray) -> np.ndarray:
    """Least-squares residual of (T, k) ``target`` on [1, (T, m) ``regressors``]."""
    design = np.column_stack([np.ones(len(target)), regressors])
    beta, *_ = np.linalg.lstsq(design, target, rcond=None)
    return target - design @ beta


def _live(x: np.ndarray) -> np.ndarray:
    return x[:, x.std(axis=0) > 0]


def cross_prediction(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """max |r| between columns of a and b, and mean in-sample R^2 of each set from the other."""
    a, b = _live(a), _live(b)
    if a.shape[1] == 0 or b.shape[1] == 0:
        return {"max_abs_r": 0.0, "r2_b_from_a": 0.0, "r2_a_from_b": 0.0}
    za = (a - a.mean(0)) / a.std(0)
    zb = (b - b.mean(0)) / b.std(0)
    r = za.T @ zb / len(a)

    def r2(x: np.ndarray, y: np.ndarray) -> float:
        res = residualise(y, x)
        return float(np.mean(1.0 - res.var(axis=0) / y.var(axis=0)))

    return {"max_abs_r": float(np.abs(r).max()), "r2_b_from_a": r2(za, zb),
            "r2_a_from_b": r2(zb, za)}


def cross_table(sets: dict[str, np.ndarray], stage: str) -> pd.DataFrame:
    """One row per pair of driver sets (plus acoustic+phonetic vs word)."""
    pairs = [("acoustic", "phonetic"), ("acoustic", "word"), ("phonetic", "word"),
             ("acoustic+phonetic", "word")]
    rows = []
    for name_a, name_b in pairs:
        a = np.column_stack([sets[n] for n in name_a.split("+")])
        rows.append({"stage": stage, "set_a": name_a, "set_b": name_b,
                     **cross_prediction(a, sets[name_b])})
    return pd.DataFrame(rows)


@dataclass
class Drivers:
    """Orthogonalised, z-scored drivers of one listener's session (runs concatenated).

    acoustic: (T, N_MELS); phonetic: (T, N_PHONEME_CODE + 1); word: (T, N_WORD_EMBED + 2).
    boundaries: (n_runs + 1,) int, run ``i`` is rows ``boundaries[i]:boundaries[i + 1]``.
    raw_cross: cross-prediction table of the drivers before orthogonalisation (z-scored only).
    """

    acoustic: np.ndarray
    phonetic: np.ndarray
    word: np.ndarray
    boundaries: np.ndarray
    tr: float
    acoustic_names: list[str] = field(default_factory=list)
    phonetic_names: list[str] = field(default_factory=list)
    word_names: list[str] = field(default_factory=list)
    raw_cross: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __post_init__(self) -> None:
        t = self.boundaries[-1]
        for name in DRIVER_SETS:
            x = getattr(self, name)
            if x.ndim != 2 or x.shape[0] != t:
                raise ValueError(f"{name} must be ({t}, k), found shape {x.shape}")

    @property
    def n_trs(self) -> int:
        return int(self.boundaries[-1])

    @property
    def n_runs(self) -> int:
        return len(self.boundaries) - 1

    def run(self, i: int) -> slice:
        """Rows of run ``i``."""
        return slice(int(self.boundaries[i]), int(self.boundaries[i + 1]))

    def sets(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in DRIVER_SETS}

    def cross_correlations(self) -> pd.DataFrame:
        """Cross-prediction between driver sets before ("raw") and after orthogonalisation.

        Columns: stage, set_a, set_b, max_abs_r (over column pairs), r2_b_from_a and
        r2_a_from_b (mean in-sample R^2 of one set's columns from the other set).
        """
        return pd.concat([self.raw_cross, cross_table(self.sets(), "orthogonalised")],
                         ignore_index=True)


def compute_drivers(
    speeches: Sequence[Speech],
    tr: float,
    n_trs: Sequence[int],
    native_languages: set[str],
    log_frequency: LogFrequency = uniform_log_frequency,
) -> Drivers:
    """Drivers for a session: one ``Speech`` per run, ``n_trs[i]`` volumes in run ``i``.

    Phonemes drive the phonetic set whatever their language (sound is heard regardless);
    words drive the word set only when ``words.language`` is in ``native_languages``.
    Word content is centred over the session's native tokens (embedding, log-frequency,
    position), so that it varies independently of whether speech is present.
    """
    if len(speeches) != len(n_trs):
        raise ValueError(f"{len(speeches)} speeches but {len(n_trs)} run lengths")
    if len(speeches) == 0:
        raise ValueError("no runs given")
    native = set(native_languages)

    word_tables = []
    for sp in speeches:
        w = sp.words
        keep = w["language"].isin(native).to_numpy() if len(w) else np.zeros(0, bool)
        word_tables.append(w.loc[keep])
    values = [_word_values(w, log_frequency) for w in word_tables]
    all_values = np.vstack(values)
    centre = all_values.mean(axis=0) if len(all_values) else np.zeros(all_values.shape[1])

    acoustic, phonetic, word, lengths = [], [], [], []
    for sp, n, w, v in zip(speeches, n_trs, word_tables, values):
        mel, mel_rate = acoustic_frames(sp)
        acoustic.append(convolve_and_sample(mel, mel_rate, tr, n))
        phonetic.append(convolve_and_sample(phonetic_frames(sp), FRAME_RATE, tr, n))
        boxes = _boxcars(w["onset"].to_numpy(float), w["offset"].to_numpy(float),
                         v - centre, _n_frames(sp))
        word.append(convolve_and_sample(boxes, FRAME_RATE, tr, n))
        lengths.append(int(n))
    raw = {"acoustic": np.vstack(acoustic), "phonetic": np.vstack(phonetic),
           "word": np.vstack(word)}
    raw_z = {k: _zscore_residual(x, x) for k, x in raw.items()}  # for the record only

    bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    a = raw_z["acoustic"]
    p = orthogonalise(raw["phonetic"], a, bounds)
    wd = orthogonalise(raw["word"], np.column_stack([a, p]), bounds)
    return Drivers(
        acoustic=a, phonetic=p, word=wd, boundaries=bounds,
        tr=float(tr),
        acoustic_names=[f"mel{i:02d}" for i in range(a.shape[1])],
        phonetic_names=[f"phon_code{i}" for i in range(N_PHONEME_CODE)] + ["phon_vowel"],
        word_names=[f"word_embed{i}" for i in range(N_WORD_EMBED)]
        + ["word_log_frequency", "word_position"],
        raw_cross=cross_table(raw_z, "raw"),
    )
