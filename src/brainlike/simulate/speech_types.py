"""The in-memory form of a synthesised utterance or story, shared by the generators."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Columns of ``Speech.words``: one row per spoken word.
WORD_COLUMNS = ("word", "onset", "offset", "sentence", "position", "language")
#: Columns of ``Speech.phonemes``: one row per phoneme; ``word_index`` is the row of ``words``.
PHONEME_COLUMNS = ("phoneme", "onset", "offset", "word_index")


@dataclass
class Speech:
    """Synthesised audio with its ground-truth alignment.

    audio: (samples,) float32 in [-1, 1].
    words: ``WORD_COLUMNS``; onset/offset in seconds from the start of ``audio``;
        ``sentence`` counts sentences from 0, ``position`` is the word's index in its sentence.
    phonemes: ``PHONEME_COLUMNS``; onset/offset in seconds.
    """

    audio: np.ndarray
    sample_rate: int
    words: pd.DataFrame
    phonemes: pd.DataFrame
    language: str

    def __post_init__(self) -> None:
        if self.audio.ndim != 1:
            raise ValueError(f"audio must be (samples,), found shape {self.audio.shape}")
        for name, frame, cols in (("words", self.words, WORD_COLUMNS),
                                  ("phonemes", self.phonemes, PHONEME_COLUMNS)):
            missing = [c for c in cols if c not in frame.columns]
            if missing:
                raise ValueError(f"Speech.{name} lacks columns {missing}")

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate
