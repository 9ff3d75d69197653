"""Rows of the utterance/1 Parquet schema: 16 kHz PCM with its word and phoneme alignment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from brainlike.io.schemas import UTTERANCE, row_audio  # noqa: F401  (re-exported)
from brainlike.preprocess.audio import read_audio, resample, to_pcm16

WORD_FIELDS = ("word", "onset", "offset", "sentence", "position")
PHONEME_FIELDS = ("phoneme", "onset", "offset", "word_index")


def _records(frame: pd.DataFrame | None, fields: tuple[str, ...]) -> list[dict]:
    if frame is None or frame.empty:
        return []
    frame = frame.copy()
    for name in fields:
        if name not in frame.columns:
            frame[name] = -1  # e.g. Gentle alignments carry no sentence numbers
    return frame.loc[:, list(fields)].to_dict("records")


def make_row(utt_id: str, collection: str, speaker: str, pcm: np.ndarray, sample_rate: int,
             words: pd.DataFrame | None = None,
             phonemes: pd.DataFrame | None = None) -> dict:
    """One utterance/1 row. pcm: (samples,) int16 at ``sample_rate``."""
    if pcm.ndim != 1 or pcm.dtype != np.int16:
        raise ValueError(f"pcm must be (samples,) int16, found {pcm.shape} {pcm.dtype}")
    return {
        "utt_id": utt_id, "collection": collection, "speaker": speaker,
        "sample_rate": sample_rate, "n_samples": len(pcm), "audio": pcm,
        "words": _records(words, WORD_FIELDS), "phonemes": _records(phonemes, PHONEME_FIELDS),
    }


def load_row(wav: str | Path, utt_id: str, collection: str, speaker: str, sample_rate: int,
             words: pd.DataFrame | None = None,
             phonemes: pd.DataFrame | None = None) -> dict:
    """Read a WAV, resample it to ``sample_rate`` and pack it with its alignment."""
    audio, sr = read_audio(wav)
    pcm = to_pcm16(resample(audio, sr, sample_rate))
    return make_row(utt_id, collection, speaker, pcm, sample_rate, words, phonemes)


def rows_to_table(rows: list[dict]) -> pa.Table:
    """Assemble rows into an utterance/1 table (audio stays int16, no float copy)."""
    columns = {name: [r[name] for r in rows] for name in UTTERANCE.names if name != "audio"}
    # Offsets + one concatenated buffer: pa.array over a list of ndarrays converts per element.
    lengths = np.array([len(r["audio"]) for r in rows], dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    values = np.concatenate([r["audio"] for r in rows]) if rows else np.zeros(0, np.int16)
    audio = pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, type=pa.int16()))
    arrays = [audio if n == "audio" else pa.array(columns[n], type=UTTERANCE.field(n).type)
              for n in UTTERANCE.names]
    return pa.Table.from_arrays(arrays, schema=UTTERANCE)
