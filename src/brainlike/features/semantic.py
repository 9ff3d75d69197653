"""The semantic baseline: what the simulated world's high language cortex is told a word means.

Each word's concept vector (shared by its translations), its log frequency in the story
language's grammar and its surprisal given the sentence so far, held over the word. It needs
the world's lexicon, so it reads generated stories only; a word outside every lexicon names
the stimulus file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from brainlike.errors import InputError
from brainlike.features.baselines import _boxcars
from brainlike.simulate.concepts import N_CONCEPT_DIMS, concept_of, word_vectors
from brainlike.simulate.languages import LANGUAGES, word_log_frequency
from brainlike.simulate.surprisal import story_surprisal

N_COLUMNS = N_CONCEPT_DIMS + 2


def story_language(words: pd.DataFrame, source: str) -> str:
    """The one grammar whose lexicon holds every word of a story (a word alone can be
    ambiguous: English and French both have "table")."""
    forms = set(words["word"].astype(str))
    fits = []
    for language in LANGUAGES:
        try:
            for form in forms:
                concept_of(language, form)
        except ValueError:
            continue
        fits.append(language)
    if len(fits) != 1:
        raise InputError(source, f"the semantic baseline needs a generated story in one of "
                         f"{LANGUAGES}; {len(fits)} lexicons hold all its words ({fits})")
    return fits[0]


def semantic(words: pd.DataFrame, duration_s: float, rate: float, source: str) -> np.ndarray:
    """(frames, N_COLUMNS) float32: concept vector, log frequency and surprisal, each word's
    value held over the word. ``words``: word, onset, offset, sentence, position."""
    n = int(np.ceil(duration_s * rate))
    if words.empty:
        return np.zeros((n, N_COLUMNS), np.float32)
    language = story_language(words, source)
    forms = words["word"].astype(str).tolist()
    values = np.column_stack([
        word_vectors(language, forms),
        [word_log_frequency(language, w) for w in forms],
        story_surprisal(language, words.reset_index(drop=True)),
    ])
    return _boxcars(words["onset"].to_numpy(), words["offset"].to_numpy(),
                    values.astype(np.float32), n, rate)
