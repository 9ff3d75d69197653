"""Shared machinery for the per-language grammars (``lang_en``, ``lang_fr``, ``lang_zh``).

A lexicon category is written as a compact string of entries ``form1/form2/...:zipf`` separated
by whitespace, e.g. ``"walk/walked:5.0 see/saw:6.0"``. ``zipf`` is a rough Zipf frequency
(log10 of occurrences per billion words). Words are drawn with probability proportional to
``10 ** (ZIPF_EXPONENT * zipf)``, so frequent words are also frequent in the generated text
while rare ones still occur.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

#: Flattens the Zipf law a little so that a few hundred words all get used.
ZIPF_EXPONENT = 0.6
#: Tokens that are punctuation, not words (they steer prosody but are not aligned).
PUNCTUATION = frozenset({".", ",", "?", "!", "。", "，", "？", "！"})


@dataclass(frozen=True)
class Entry:
    """One lexical item: its forms (inflections or annotations) and Zipf frequency."""

    forms: tuple[str, ...]
    zipf: float

    @property
    def word(self) -> str:
        return self.forms[0]


class Category:
    """A weighted list of entries that can be sampled from a ``numpy.random.Generator``."""

    def __init__(self, spec: str, word_forms: int | None = None) -> None:
        """``word_forms``: how many leading forms are words (the rest annotate: gender,
        classifier, ...); None means all."""
        self.word_forms = word_forms
        entries = []
        for item in spec.split():
            forms, sep, zipf = item.rpartition(":")
            if not sep or not forms:
                raise ValueError(f"lexicon entry {item!r} is not 'form[/form...]:zipf'")
            entries.append(Entry(tuple(forms.split("/")), float(zipf)))
        if not entries:
            raise ValueError("empty lexicon category")
        self.entries: tuple[Entry, ...] = tuple(entries)
        weights = 10.0 ** (ZIPF_EXPONENT * np.array([e.zipf for e in entries]))
        self._cumulative = np.cumsum(weights / weights.sum())

    def pick(self, rng: np.random.Generator) -> Entry:
        i = int(np.searchsorted(self._cumulative, rng.random(), side="right"))
        return self.entries[min(i, len(self.entries) - 1)]

    def __len__(self) -> int:
        return len(self.entries)


def chance(rng: np.random.Generator, p: float) -> bool:
    return bool(rng.random() < p)


def choose(rng: np.random.Generator, options: tuple, weights: tuple[float, ...] | None = None):
    """One of ``options`` (uniform, or proportional to ``weights``)."""
    if weights is None:
        return options[int(rng.integers(len(options)))]
    cum = np.cumsum(weights)
    return options[min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")),
                       len(options) - 1)]


def frequency_table(categories: Iterable[Category], extra: dict[str, float]) -> dict[str, float]:
    """Word -> Zipf frequency for every form of every entry (first listing wins)."""
    table: dict[str, float] = {}
    for cat in categories:
        for entry in cat.entries:
            for form in entry.forms[:cat.word_forms]:
                table.setdefault(form, entry.zipf)
    for word, zipf in extra.items():
        table.setdefault(word, zipf)
    return table


def capitalize_first(tokens: list[str]) -> list[str]:
    """Upper-cases the first letter of the first token (sentence-initial capital)."""
    if tokens:
        tokens = [tokens[0][:1].upper() + tokens[0][1:], *tokens[1:]]
    return tokens
