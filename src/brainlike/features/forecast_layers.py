"""Forecast feature sets of one story: each chosen layer alone and with each window ahead.

A forecast features file (``paths.FORECAST_FEATURES``) is a features/1 file whose "layers"
are feature sets: ``<layer>``, the layer alone (the reference the gain is measured from), and
one set per window, the layer with the states ahead (:mod:`brainlike.features.forecast`).
A text model's window is ``d`` words ahead, concatenated word by word before the words go
on the frame grid (``word_level.word_frames``); a speech model's is ``s`` seconds ahead on
its own frame grid. :class:`Window` writes and reads the sets' names (``block2+d3``,
``transformer4+0.2s``) in one place, so the gain table takes them apart without guessing.

The future part is reduced to ``components`` principal components of the story's states
(fitted once per layer and story, then shifted), as in the paper, so every window adds the
same number of columns whatever the layer's width.
"""

from __future__ import annotations

import numpy as np

from brainlike.features.forecast import forecast_states, frame_forecast, reduce_pca
from brainlike.features.forecast_windows import chosen_layers, windows
from brainlike.features.story import Stimulus, story_frames
from brainlike.features.word_level import word_frames
from brainlike.features.word_reader import WordReader
from brainlike.plan.specs import FeatureSpec, ForecastSpec

def text_forecast_frames(reader: WordReader, words, story: str, duration_s: float,
                         rate: float, layers: list[str], distances: tuple[int, ...],
                         components: int | None) -> dict[str, np.ndarray]:
    """set name -> (ceil(duration_s * rate), D [+ k]) frames of a text model's windows.

    words: the story's words (word, onset, offset, sentence). Each window is built word by
    word, ``[states, future]`` with row i's future the (reduced) state of word ``i + d``,
    and then held on the frame grid like the layer alone.
    """
    states = dict(zip(reader.layer_names, reader.states(words, story)))
    out = {}
    for layer in layers:
        x = states[layer]
        future = x if components is None else reduce_pca(x, components)
        for w in windows([layer], tuple(float(d) for d in distances), "words"):
            both = x if w.ahead is None else np.hstack([x, forecast_states(future, int(w.ahead))])
            out[w.name] = word_frames(both, words, duration_s, rate)
    return out


def speech_forecast_frames(frames: dict[str, np.ndarray], rate: float, layers: list[str],
                           offsets_s: tuple[float, ...], components: int | None
                           ) -> dict[str, np.ndarray]:
    """set name -> (n_frames, D [+ k]): a speech model's layers (name -> (n_frames, D) at
    ``rate`` Hz) with their frames ``offset`` seconds ahead (whole frames)."""
    out = {}
    for layer in layers:
        x = frames[layer]
        future = x if components is None else reduce_pca(x, components)
        for w in windows([layer], offsets_s, "seconds"):
            out[w.name] = x if w.ahead is None else np.hstack(
                [x, frame_forecast(future, w.ahead, rate)])
    return out


def forecast_frames(name: str, model, stimulus: Stimulus, spec: FeatureSpec,
                    forecast: ForecastSpec, device=None) -> dict[str, np.ndarray]:
    """set name -> (frames at spec.rate, F) of model ``name`` for one story: its chosen
    layers (``forecast.layers``) alone and with every window ahead. ``model``: a speech
    encoder or a text model's ``WordReader`` (``story.load_model``)."""
    layers = chosen_layers(list(model.layer_names), forecast.layers.get(name))
    if isinstance(model, WordReader):
        return text_forecast_frames(model, stimulus.words, stimulus.story, stimulus.duration,
                                    spec.rate, layers, forecast.distances, forecast.components)
    frames = story_frames(name, stimulus, [stimulus], spec, model, device)
    return speech_forecast_frames({k: frames[k] for k in layers}, spec.rate, layers,
                                  forecast.offsets_s, forecast.components)
