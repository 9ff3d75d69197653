"""Story-like sentences in English, French and Mandarin from a small grammar and lexicon.

Sentences are lists of tokens: words plus punctuation tokens (``,``, ``.``, ``?`` and the
full-width ``，``, ``。``, ``？``) that steer espeak-ng's prosody but are not words (see
``is_punctuation``). The grammars live in ``lang_en``, ``lang_fr`` and ``lang_zh``; everything is
drawn from the caller's ``numpy.random.Generator``, so a seed fixes the text.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from brainlike.simulate import lang_en, lang_fr, lang_zh
from brainlike.simulate.grammar import PUNCTUATION

LANGUAGES = ("en", "fr", "zh")
#: espeak-ng voice used for each language (American English, as in Narratives).
DEFAULT_VOICE = {"en": "en-us", "fr": "fr", "zh": "cmn"}
_GRAMMARS: dict[str, ModuleType] = {"en": lang_en, "fr": lang_fr, "zh": lang_zh}


def _grammar(language: str) -> ModuleType:
    try:
        return _GRAMMARS[language]
    except KeyError:
        raise ValueError(f"unknown language {language!r}; expected one of {LANGUAGES}") from None


def default_voice(language: str) -> str:
    """The espeak-ng voice name for ``language``."""
    _grammar(language)
    return DEFAULT_VOICE[language]


def is_punctuation(token: str) -> bool:
    """True for the punctuation tokens that ``generate_sentence`` emits."""
    return token in PUNCTUATION


def generate_sentence(language: str, rng: np.random.Generator) -> list[str]:
    """One sentence of ``language`` as tokens; the last token is the final punctuation."""
    return _grammar(language).generate(rng)


def sentence_words(tokens: list[str]) -> list[str]:
    """The word tokens of a sentence (punctuation removed)."""
    return [t for t in tokens if not is_punctuation(t)]


def sentence_text(language: str, tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Joins tokens into text; returns it with the [start, end) character span of each word.

    Punctuation attaches to the preceding word. Mandarin words are separated by spaces too:
    espeak-ng reads them identically, and the spaces stop it from merging neighbouring words
    into one dictionary entry, which keeps the word <-> event mapping one-to-one.
    """
    _grammar(language)
    text = ""
    spans: list[tuple[int, int]] = []
    for token in tokens:
        if is_punctuation(token):
            text += token
            continue
        if text:
            text += " "
        spans.append((len(text), len(text) + len(token)))
        text += token
    return text, spans


def vocabulary(language: str) -> dict[str, float]:
    """Every word form of ``language`` with its rough Zipf frequency (a copy)."""
    return dict(_grammar(language).FREQUENCY)


def word_log_frequency(language: str, word: str) -> float:
    """Rough Zipf frequency (log10 occurrences per billion words) of a generated word.

    Case-insensitive for sentence-initial capitals; a French elided token (``l'homme``,
    ``qu'il``) takes the frequency of its host word. Raises ValueError for unknown words.
    """
    table = _grammar(language).FREQUENCY
    forms = [word]
    if language == "fr" and "'" in word:
        forms.append(word.split("'", 1)[1])
    for form in forms:
        lower = form.lower()
        for candidate in (form, lower, lower[:1].upper() + lower[1:]):
            if candidate in table:
                return table[candidate]
    raise ValueError(f"word {word!r} is not in the {language!r} lexicon")
