"""Contextual surprisal of words under the grammar's own next-word probabilities.

The grammars (``lang_en``, ``lang_fr``, ``lang_zh``) are random generators with no closed-form
next-word distribution, so it is estimated: an interpolated Kneser-Ney n-gram model (trigram by
default, Chen & Goodman 1998 with one absolute discount per order) fitted to a large seeded
sample of the grammar's sentences. Sentences are padded with ``<s>`` on the left and end with
``</s>``, so the first word of a sentence conditions on the sentence start only.

Tokens are lower-cased ``sentence_words`` output. The model's vocabulary is the language's
lexicon, every token seen in the sample, ``</s>`` and ``<unk>``; any other token counts as
``<unk>`` (which was never seen, so it gets only the uniform floor).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from brainlike.simulate.driver_frames import _seeded_rng
from brainlike.simulate.languages import (generate_sentence, sentence_words, vocabulary,
                                          word_log_frequency)

BOS = "<s>"
EOS = "</s>"
UNK = "<unk>"
ORDER = 3
#: Sentences sampled to fit ``grammar_model``: enough that held-out surprisal is stable.
N_TRAIN_SENTENCES = 50_000
STORY_COLUMNS = ("word", "sentence", "position")


def sample_sentences(language: str, n_sentences: int,
                     rng: np.random.Generator) -> list[list[str]]:
    """``n_sentences`` sentences of ``language``, each as its lower-cased words."""
    return [[w.lower() for w in sentence_words(generate_sentence(language, rng))]
            for _ in range(n_sentences)]


class NextWordModel:
    """Interpolated Kneser-Ney n-gram model of the next word given the previous words.

    The highest order uses raw counts, lower orders continuation counts (how many distinct
    words precede an n-gram), and the lowest interpolates with a uniform distribution over
    ``vocabulary``, so every word of the vocabulary has non-zero probability.
    """

    def __init__(self, sentences: Iterable[Sequence[str]], order: int = ORDER,
                 vocabulary: Iterable[str] = ()) -> None:
        """sentences: each a sequence of words (lower-cased here); vocabulary: extra words
        that may be predicted although unseen."""
        if order < 1:
            raise ValueError(f"order must be >= 1, found {order}")
        self.order = order
        sentences = [[str(w).lower() for w in s] for s in sentences]
        if not any(sentences):
            raise ValueError("NextWordModel needs at least one non-empty sentence")
        words = {w for s in sentences for w in s} | {str(w).lower() for w in vocabulary}
        if words & {BOS, EOS, UNK}:
            raise ValueError(f"the words may not contain the markers {BOS}, {EOS}, {UNK}")
        #: Every token with a probability: the words, then the end of sentence and unknown.
        self.vocabulary: tuple[str, ...] = (*sorted(words), EOS, UNK)
        self._index = {w: i for i, w in enumerate(self.vocabulary)}

        raw: Counter[tuple[str, ...]] = Counter()
        for s in sentences:
            padded = [BOS] * (order - 1) + s + [EOS]
            raw.update(tuple(padded[i - order + 1:i + 1]) for i in range(order - 1, len(padded)))
        # tables[k - 1]: context of k - 1 words -> {word: count} for order k.
        counts_by_order: list[Counter[tuple[str, ...]]] = [raw]
        distinct = set(raw)
        for k in range(order - 1, 0, -1):
            distinct = {g[-(k + 1):] for g in distinct}
            counts_by_order.append(Counter(g[1:] for g in distinct))
        counts_by_order.reverse()
        self._tables: list[dict[tuple[str, ...], dict[str, int]]] = []
        self._discounts: list[float] = []
        for counts in counts_by_order:
            table: dict[tuple[str, ...], dict[str, int]] = {}
            for gram, c in counts.items():
                table.setdefault(gram[:-1], {})[gram[-1]] = c
            self._tables.append(table)
            self._discounts.append(_discount(counts.values()))
        self._totals = [{h: (sum(ws.values()), len(ws)) for h, ws in t.items()}
                        for t in self._tables]

    def _context(self, context: Sequence[str]) -> tuple[str, ...]:
        """The last ``order - 1`` words, padded with BOS, unknown words as UNK."""
        words = [w if w in self._index else UNK for w in (str(c).lower() for c in context)]
        padded = [BOS] * (self.order - 1) + words
        return tuple(padded[len(padded) - (self.order - 1):]) if self.order > 1 else ()

    def _prob(self, context: tuple[str, ...], word: str) -> float:
        p = 1.0 / len(self.vocabulary)
        for k in range(1, self.order + 1):
            h = context[len(context) - (k - 1):] if k > 1 else ()
            seen = self._tables[k - 1].get(h)
            if seen is None:
                continue  # unseen context: this order defers wholly to the one below
            total, n_types = self._totals[k - 1][h]
            d = self._discounts[k - 1]
            p = (max(seen.get(word, 0) - d, 0.0) + d * n_types * p) / total
        return p

    def _word(self, word: str) -> str:
        word = str(word).lower()
        return word if word in self._index else UNK

    def logprob(self, context: Sequence[str], word: str) -> float:
        """Natural log of P(word | the words of ``context``, from the sentence start)."""
        return math.log(self._prob(self._context(context), self._word(word)))

    def distribution(self, context: Sequence[str]) -> np.ndarray:
        """(len(vocabulary),) probabilities of each next token after ``context``."""
        h = self._context(context)
        return np.array([self._prob(h, w) for w in self.vocabulary])

    def surprisal(self, words: Sequence[str]) -> np.ndarray:
        """(len(words),) surprisal in bits of each word of one sentence given the ones before."""
        if isinstance(words, str):
            raise ValueError(f"words must be a sequence of words, found the string {words!r}")
        words = [str(w) for w in words]
        return np.array([-self.logprob(words[:i], w) / math.log(2.0)
                         for i, w in enumerate(words)], dtype=np.float64)


def _discount(counts: Iterable[int]) -> float:
    """Absolute discount n1 / (n1 + 2 n2) from the count-of-counts (Ney et al. 1994)."""
    freq = Counter(counts)
    n1, n2 = freq.get(1, 0), freq.get(2, 0)
    if n1 == 0 or n2 == 0:
        return 0.5
    return min(max(n1 / (n1 + 2.0 * n2), 0.05), 0.95)


@functools.cache
def _training_sentences(language: str) -> tuple[tuple[str, ...], ...]:
    rng = _seeded_rng("grammar-model", language)
    return tuple(map(tuple, sample_sentences(language, N_TRAIN_SENTENCES, rng)))


@functools.cache
def grammar_model(language: str, order: int = ORDER) -> NextWordModel:
    """The next-word model of ``language`` fitted to N_TRAIN_SENTENCES seeded sentences (the
    same sentences for every ``order``, so orders can be compared)."""
    return NextWordModel(_training_sentences(language), order=order,
                         vocabulary=vocabulary(language))


def story_surprisal(language: str, words: pd.DataFrame) -> np.ndarray:
    """(len(words),) surprisal in bits of each spoken word given the earlier words of its sentence.

    words: one row per word with STORY_COLUMNS, sentences in order. A sentence is a run of
    rows with one ``sentence`` value and increasing ``position`` (so concatenated stories whose
    sentence counts restart still split correctly). Raises ValueError for a word that is not in
    the language's lexicon.
    """
    missing = [c for c in STORY_COLUMNS if c not in words.columns]
    if missing:
        raise ValueError(f"the word table lacks columns {missing}")
    tokens = [str(w) for w in words["word"]]
    for token in set(tokens):
        word_log_frequency(language, token)  # raises ValueError naming an unknown word
    model = grammar_model(language)
    sentence = words["sentence"].to_numpy()
    position = words["position"].to_numpy()
    out = np.empty(len(tokens))
    start = 0
    for i in range(1, len(tokens) + 1):
        if i == len(tokens) or sentence[i] != sentence[i - 1] or position[i] <= position[i - 1]:
            out[start:i] = model.surprisal(tokens[start:i])
            start = i
    return out
