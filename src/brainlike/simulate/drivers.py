"""The planted hierarchy's stimulus drivers (acoustic -> phonetic -> word), at TR resolution.

Each driver set is a (n_trs, k) matrix built from a ``Speech`` at a fast frame rate (its
definition: ``brainlike.simulate.driver_frames``), convolved with the HRF and sampled per TR
(``brainlike.hrf.convolve_and_sample``), then z-scored per column (columns with no variance,
e.g. the word set of a listener who understands none of the words, stay exactly zero).

Token-level sets (phones, words) are centred over the session's tokens before the HRF, so
they vary independently of whether speech is present; without that every set would carry
the slow speech envelope after HRF smoothing and cross-predict the others. The first world
(``hashed`` phones, ``logmel`` sound) instead least-squares residualised phonetic on
acoustic, and word on acoustic + phonetic, over the whole session (``orthogonalise``):
the planted answer is then identifiable, but the residual of a phone code on the spectrum
is something no model of speech is built to carry. Both stay available; the cross-prediction
of the sets is recorded before and after (``Drivers.cross_correlations``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from brainlike.hrf import convolve_and_sample
from brainlike.simulate.driver_frames import (FRAME_RATE, LogFrequency, acoustic_frames,
                                              phone_values, uniform_log_frequency, word_values)
from brainlike.simulate.driver_kinds import DriverKinds
from brainlike.simulate.speech_types import Speech

#: Names of the driver sets, in orthogonalisation order.
DRIVER_SETS = ("acoustic", "phonetic", "word")


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
    """Z-scored drivers of one listener's session (runs concatenated).

    acoustic, phonetic, word: (T, k) each, column names in ``names[set]``.
    boundaries: (n_runs + 1,) int, run ``i`` is rows ``boundaries[i]:boundaries[i + 1]``.
    raw_cross: cross-prediction table of the drivers before orthogonalisation (z-scored only).
    """

    acoustic: np.ndarray
    phonetic: np.ndarray
    word: np.ndarray
    boundaries: np.ndarray
    tr: float
    names: dict[str, list[str]] = field(default_factory=dict)
    raw_cross: pd.DataFrame = field(default_factory=pd.DataFrame)
    orthogonalised: bool = False

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
        """Cross-prediction between driver sets before ("raw") and as planted
        ("orthogonalised" when they were, else "planted").

        Columns: stage, set_a, set_b, max_abs_r (over column pairs), r2_b_from_a and
        r2_a_from_b (mean in-sample R^2 of one set's columns from the other set).
        """
        return pd.concat([self.raw_cross, cross_table(
            self.sets(), "orthogonalised" if self.orthogonalised else "planted")],
                         ignore_index=True)


def _token_frames(table: pd.DataFrame, values: np.ndarray, centre: np.ndarray | None,
                  speech: Speech) -> np.ndarray:
    if centre is not None:
        values = values - centre
    return _boxcars(table["onset"].to_numpy(float), table["offset"].to_numpy(float), values,
                    _n_frames(speech))


def compute_drivers(
    speeches: Sequence[Speech],
    tr: float,
    n_trs: Sequence[int],
    native_languages: set[str],
    log_frequency: LogFrequency = uniform_log_frequency,
    kinds: DriverKinds = DriverKinds(),
    orthogonalise_sets: bool | None = None,
) -> Drivers:
    """Drivers for a session: one ``Speech`` per run, ``n_trs[i]`` volumes in run ``i``.

    Phonemes drive the phonetic set whatever their language (sound is heard regardless);
    words drive the word set only when ``words.language`` is in ``native_languages``.
    ``orthogonalise_sets``: residualise as the first world did (None: only for the hashed
    phonetic set, which is the first world's).
    """
    if len(speeches) != len(n_trs):
        raise ValueError(f"{len(speeches)} speeches but {len(n_trs)} run lengths")
    if len(speeches) == 0:
        raise ValueError("no runs given")
    if orthogonalise_sets is None:
        orthogonalise_sets = kinds.phonetic == "hashed"
    native = set(native_languages)

    word_tables = []
    for sp in speeches:
        w = sp.words
        keep = w["language"].isin(native).to_numpy() if len(w) else np.zeros(0, bool)
        word_tables.append(w.loc[keep].reset_index(drop=True))
    words = [word_values(w, kinds.word, log_frequency) for w in word_tables]
    phones = [phone_values(sp.phonemes["phoneme"], kinds.phonetic, sp.language)
              for sp in speeches]
    names = {"word": words[0][1], "phonetic": phones[0][1]}
    # Word content is always centred over the session's native tokens; phone content only
    # when the phonetic set is not residualised (the first world's codes were not).
    all_words = np.vstack([v for v, _ in words])
    word_centre = all_words.mean(axis=0) if len(all_words) else np.zeros(all_words.shape[1])
    phone_centre = None if orthogonalise_sets else np.vstack([v for v, _ in phones]).mean(0)

    acoustic, phonetic, word, lengths = [], [], [], []
    for sp, n, w, (wv, _), (pv, _) in zip(speeches, n_trs, word_tables, words, phones):
        frames, rate, names["acoustic"] = acoustic_frames(sp, kinds.acoustic)
        acoustic.append(convolve_and_sample(frames, rate, tr, n))
        phonetic.append(convolve_and_sample(_token_frames(sp.phonemes, pv, phone_centre, sp),
                                            FRAME_RATE, tr, n))
        word.append(convolve_and_sample(_token_frames(w, wv, word_centre, sp), FRAME_RATE,
                                        tr, n))
        lengths.append(int(n))
    raw = {"acoustic": np.vstack(acoustic), "phonetic": np.vstack(phonetic),
           "word": np.vstack(word)}
    raw_z = {k: _zscore_residual(x, x) for k, x in raw.items()}

    bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    a = raw_z["acoustic"]
    if orthogonalise_sets:
        p = orthogonalise(raw["phonetic"], a, bounds)
        wd = orthogonalise(raw["word"], np.column_stack([a, p]), bounds)
    else:
        p = raw_z["phonetic"]
        wd = _zscore_residual(raw["word"], raw["word"], _active_rows(raw["word"], bounds))
    return Drivers(acoustic=a, phonetic=p, word=wd, boundaries=bounds, tr=float(tr),
                   names=names, raw_cross=cross_table(raw_z, "raw"),
                   orthogonalised=orthogonalise_sets)
