"""One story's features for one model or baseline, every layer on the volume grid."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from brainlike.errors import InputError
from brainlike.features import baselines
from brainlike.features.layers import windowed_layers
from brainlike.features.timeline import n_volumes, scale, to_volumes
from brainlike.features.word_reader import WordReader, load_reader
from brainlike.io.schemas import read_table
from brainlike.models import checkpoint
from brainlike.plan.specs import FeatureSpec, ModelSpec
from brainlike.preprocess.utterances import row_audio


@dataclass
class Stimulus:
    """A story read back from utterance/1: audio (samples,) float32 and its alignment."""

    story: str
    audio: np.ndarray
    sample_rate: int
    words: pd.DataFrame
    phonemes: pd.DataFrame
    source: str = ""

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate

    @classmethod
    def read(cls, path: str | Path) -> Stimulus:
        table = read_table(path, "utterance/1")
        # An empty alignment list still gets its columns: "no phones" must read as such.
        words, phonemes = (pd.DataFrame(table.column(c)[0].as_py(),
                                        columns=[f.name for f in table.schema.field(c).type.value_type])
                           for c in ("words", "phonemes"))
        return cls(story=table.column("utt_id")[0].as_py(), audio=row_audio(table, 0),
                   sample_rate=table.column("sample_rate")[0].as_py(), words=words,
                   phonemes=phonemes, source=str(path))


def load_model(path: str | Path, spec: ModelSpec, device=None):
    """What a features job reads for model entry ``spec``: a speech encoder (eval mode), or a
    text model's :class:`~brainlike.features.word_reader.WordReader` (its way of reading
    the words, ``spec.context``, included)."""
    if spec.text:
        return load_reader(path, spec.context, spec.seed, device or "cpu")
    return checkpoint.load(path, map_location=device or "cpu")[0]


def story_frames(kind: str, stimulus: Stimulus, others: list[Stimulus], spec: FeatureSpec,
                   model=None, device=None) -> dict[str, np.ndarray]:
    """layer name -> (frames at spec.rate, F) for a baseline ``kind`` or a model's layers.

    ``others`` are all stories of the dataset (for inventories shared across stories).
    ``model``: a speech encoder, or a text model's ``WordReader`` (``load_model``), whose
    word states are put on the frame grid (``word_level.word_frames``).
    """
    if kind == "spectrogram":
        return {"spectrogram": baselines.spectrogram(stimulus.audio, stimulus.sample_rate,
                                                     spec.rate)}
    if kind in ("phonemes", "articulatory"):
        unphoned = [s.source or s.story for s in others if s.phonemes.empty]
        if unphoned:
            raise InputError(unphoned[0], f"no phone alignment ({len(unphoned)} of {len(others)} "
                             "stories lack one: their align.json words carry no 'phones'); the "
                             f"{kind} baseline needs phones: drop it from `baselines`")
        if kind == "articulatory":
            from brainlike.features.articulatory import articulatory_frames

            return {kind: articulatory_frames(stimulus.phonemes, stimulus.duration, spec.rate)}
        inventory = baselines.phoneme_inventory([s.phonemes for s in others])
        return {"phonemes": baselines.phonemes(stimulus.phonemes, inventory, stimulus.duration,
                                               spec.rate)}
    if kind == "words":
        freq = baselines.word_frequencies([s.words for s in others])
        return {"words": baselines.words(stimulus.words, freq, stimulus.duration, spec.rate)}
    if kind == "semantic":
        from brainlike.features.semantic import semantic

        return {kind: semantic(stimulus.words, stimulus.duration, spec.rate,
                               stimulus.source or stimulus.story)}
    if model is None:
        raise ValueError(f"{kind!r} is not a baseline ({baselines.BASELINES}) and no model given")
    if isinstance(model, WordReader):
        return model.frames(stimulus.words, stimulus.story, stimulus.duration, spec.rate)
    if stimulus.sample_rate != model.config.sample_rate:
        raise ValueError(f"story {stimulus.story} is at {stimulus.sample_rate} Hz, the model "
                         f"expects {model.config.sample_rate} Hz")
    layers = windowed_layers(model, stimulus.audio, stimulus.sample_rate, spec.window_s,
                             spec.context_s, spec.rate, device, precision=spec.precision)
    return dict(zip(model.layer_names, layers))


def volume_features(frames: dict[str, np.ndarray], duration_s: float, tr: float,
                    spec: FeatureSpec) -> dict[str, np.ndarray]:
    """Scale, then HRF-convolve (or FIR-delay) every layer onto the story's volume grid."""
    n = n_volumes(duration_s, tr, spec.tail_s)
    return {name: to_volumes(scale(values, spec.scaling), spec.rate, tr, n, spec.response,
                             spec.fir_delays)
            for name, values in frames.items()}
