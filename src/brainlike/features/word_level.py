"""A causal language model's layers for a story, word by word and then at the frame rate.

``word_states`` reads the story's words in order as one token stream, ``<s>`` opening each
sentence, and keeps each word's output (the state after reading it) at every layer. The
context is never reset at a sentence boundary, only bounded by the model's context: with
``stride=1`` every word sees exactly the last ``context`` tokens (or all of them, early in the
story), the amount of past the model was trained with. Datasets without sentence ids
(``sentence`` -1, real alignments) get one ``<s>`` at the story's start.

``word_frames`` puts a layer on the frame grid the speech models' layers use
(``features.timeline``: frame k covers ``[k / rate, (k + 1) / rate)`` s from the story
onset), so both then go through the same scaling and HRF. A word's state enters at the frame
of its **offset** -- a causal model's state for a word exists once the word has been heard
-- and, by default, is **held** until the next word's offset (``hold``): frame k carries the
state of the last word heard by then, as a speech model's frame carries what the network
holds at that moment. Speech frames are dense, and ``timeline.scale`` z-scores each column
over the story; held states are dense too, and their HRF-convolved regressor is each state
weighted by how long it was current. An impulse at each offset (``impulse``, summed where
offsets share a frame) makes every column's regressor grow with the number of words per
second, a word-rate signal the ``words`` baseline already carries, and leaves most frames 0.

``shuffled_word_states`` is the context control: the same model, words and times, but each
sentence's words read in a random order. It is done on the feature side, not by training a
second model on shuffled text, so that the weights, vocabulary and lexical content at each
time stay identical and only the order of the context a word is read in changes; each
word's state goes back to that word's row, i.e. to its own offset.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from brainlike.features.baselines import _EPS as FRAME_EPS  # one boundary tolerance for all
from brainlike.models.causal_lm import CausalLM, Vocabulary, stream_features
from brainlike.training.lm import shuffle_within_sentences

MODES = ("hold", "impulse")
WORD_COLUMNS = ("word", "onset", "offset", "sentence")


def _check_words(words: pd.DataFrame) -> None:
    missing = [c for c in WORD_COLUMNS if c not in words]
    if missing:
        raise ValueError(f"words table lacks column(s) {missing}; found {list(words.columns)}")


def story_tokens(vocab: Vocabulary, words: pd.DataFrame) -> tuple[torch.Tensor, np.ndarray]:
    """(tokens (n_tokens,) int64, rows (n_words,)): the story as a stream, ``<s>`` where a
    known sentence id changes (and at the start), and each word's position in it."""
    _check_words(words)
    sentence = words["sentence"].to_numpy()
    starts = np.zeros(len(words), bool)
    starts[:1] = True
    starts[1:] = (sentence[1:] != sentence[:-1]) & (sentence[1:] >= 0)
    ids = vocab.encode([str(w) for w in words["word"]])
    tokens, rows = [], np.empty(len(words), np.int64)
    for i, (start, token) in enumerate(zip(starts, ids)):
        if start:
            tokens.append(vocab.bos)
        rows[i] = len(tokens)
        tokens.append(token)
    return torch.tensor(tokens, dtype=torch.int64), rows


def word_states(model: CausalLM, vocab: Vocabulary, words: pd.DataFrame,
                stride: int = 1) -> list[np.ndarray]:
    """One (n_words, embed_dim) float32 array per entry of ``model.layer_names``: each word's
    output at that layer, in the rows' order (``stride``: see ``causal_lm.sliding_windows``).
    """
    if len(vocab) != model.config.vocab_size:
        raise ValueError(f"vocabulary of {len(vocab)} words for a model of "
                         f"{model.config.vocab_size}")
    if len(words) == 0:
        raise ValueError("the story has no words")
    tokens, rows = story_tokens(vocab, words)
    layers = stream_features(model, tokens, stride=stride)
    return [layer[rows].numpy().astype(np.float32) for layer in layers]


def sentence_groups(words: pd.DataFrame) -> list[list[int]]:
    """Row indices of each sentence, in order (runs of one sentence id; unknown ids, -1, make
    the whole run one group)."""
    _check_words(words)
    groups: list[list[int]] = []
    last = None
    for i, s in enumerate(words["sentence"].to_numpy()):
        if not groups or s != last:
            groups.append([])
            last = s
        groups[-1].append(i)
    return groups


def shuffled_word_states(model: CausalLM, vocab: Vocabulary, words: pd.DataFrame, seed: int,
                         stride: int = 1) -> list[np.ndarray]:
    """``word_states`` of the story with each sentence's words in a random (seeded) order;
    row i still holds word i's state (now read after a scrambled context)."""
    order = np.concatenate([np.asarray(g, np.int64) for g in
                            shuffle_within_sentences(sentence_groups(words), seed)])
    shuffled = words.iloc[order].reset_index(drop=True)
    states = word_states(model, vocab, shuffled, stride)
    out = []
    for layer in states:
        back = np.empty_like(layer)
        back[order] = layer
        out.append(back)
    return out


def word_frames(states: np.ndarray, words: pd.DataFrame, duration_s: float, rate: float,
                mode: str = "hold") -> np.ndarray:
    """One layer's word states (n_words, D) -> (ceil(duration_s * rate), D) float32 frames.

    Word i enters at frame ``floor(offset_i * rate)`` (clipped to the story). ``hold``: frame
    k holds the state of the latest word (in row order) to have entered at or before k,
    zeros before the first; ``impulse``: the state at its frame only (summed when offsets
    share a frame). See the module docstring for why ``hold`` is the default.
    """
    if mode not in MODES:
        raise ValueError(f"unknown word placement {mode!r}; choose from {MODES}")
    if states.ndim != 2 or len(states) != len(words):
        raise ValueError(f"states must be (n_words={len(words)}, D), found {states.shape}")
    if not duration_s > 0 or not rate > 0:
        raise ValueError(f"duration_s and rate must be positive, found {duration_s}, {rate}")
    _check_words(words)
    n = int(np.ceil(duration_s * rate))
    frames = np.clip(np.floor(words["offset"].to_numpy(np.float64) * rate + FRAME_EPS),
                     0, n - 1).astype(np.int64)
    out = np.zeros((n, states.shape[1]), np.float32)
    if mode == "impulse":
        np.add.at(out, frames, states.astype(np.float32))
        return out
    latest = np.full(n, -1, np.int64)
    np.maximum.at(latest, frames, np.arange(len(words)))
    latest = np.maximum.accumulate(latest)
    heard = latest >= 0
    out[heard] = states[latest[heard]]
    return out
