"""A language model as the features jobs read it: its checkpoint, vocabulary and way of reading.

A model entry of a text family (``causal_lm``) is read word by word
(:mod:`brainlike.features.word_level`): ``context: intact`` reads each story's words in
order, ``shuffled`` reads each sentence's words in a random order (the shuffled-context
control) and puts every word's state back at the word's own time. The order is seeded by the
entry's seed and the story's name, so each story gets its own order and a rerun the same.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from brainlike.features.word_level import shuffled_word_states, word_frames, word_states
from brainlike.models.causal_lm import CausalLM, Vocabulary, load_lm

CONTEXTS = ("intact", "shuffled")


def story_seed(seed: int, story: str) -> int:
    """The word-order seed of ``story``: the entry's seed and a stable hash of the name."""
    return seed * 2**32 + zlib.crc32(story.encode("utf-8"))


@dataclass(frozen=True)
class WordReader:
    """A causal LM, its vocabulary and how it reads a story (``context``, ``seed``)."""

    model: CausalLM
    vocab: Vocabulary
    context: str
    seed: int

    def __post_init__(self) -> None:
        if self.context not in CONTEXTS:
            raise ValueError(f"unknown context {self.context!r}; choose from {CONTEXTS}")

    @property
    def layer_names(self) -> list[str]:
        return self.model.layer_names

    def states(self, words: pd.DataFrame, story: str) -> list[np.ndarray]:
        """One (n_words, embed_dim) float32 array per layer: each word's state, in row order."""
        if self.context == "intact":
            return word_states(self.model, self.vocab, words)
        return shuffled_word_states(self.model, self.vocab, words, story_seed(self.seed, story))

    def frames(self, words: pd.DataFrame, story: str, duration_s: float, rate: float
               ) -> dict[str, np.ndarray]:
        """layer name -> (ceil(duration_s * rate), embed_dim) frames (``word_frames``)."""
        return {name: word_frames(s, words, duration_s, rate)
                for name, s in zip(self.layer_names, self.states(words, story))}


def load_reader(path: str | Path, context: str, seed: int,
                device: str | torch.device = "cpu") -> WordReader:
    """The reader of a ``causal_lm`` checkpoint (``causal_lm.load_lm``)."""
    model, vocab, _ = load_lm(path, map_location=device)
    return WordReader(model, vocab, context, seed)
