"""Unit tests of the shared concept inventory of the simulated languages."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from brainlike.simulate.concepts import (CATEGORIES, N_CONCEPT_DIMS, concept_category,
                                         concept_of, concept_table, concept_vector, word_vectors)
from brainlike.simulate.languages import (LANGUAGES, generate_sentence, sentence_words,
                                          vocabulary)


@pytest.fixture(scope="module")
def sampled_words() -> dict[str, set[str]]:
    """Every word token of 3000 sentences per language, as ``sentence_words`` yields it."""
    out = {}
    for language in LANGUAGES:
        rng = np.random.default_rng(2024)
        out[language] = {w for _ in range(3000)
                         for w in sentence_words(generate_sentence(language, rng))}
    return out


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_generated_and_lexicon_word_has_a_concept(language, sampled_words):
    tokens = sampled_words[language] | set(vocabulary(language))
    unresolved = []
    for token in tokens:
        try:
            concept_category(concept_of(language, token))
        except ValueError:
            unresolved.append(token)
    assert not unresolved
    # The sample exercises the tricky tokens: capitals, and for French elisions.
    assert any(t[:1].isupper() for t in sampled_words[language]) or language == "zh"
    if language == "fr":
        assert any("'" in t for t in sampled_words[language])


def test_table_lists_only_lexicon_words():
    # A typo in the alignment table would otherwise create a word no grammar can emit.
    table = concept_table()
    for language in LANGUAGES:
        listed = {w for cell in table[language] if cell for w in cell.split(",")}
        assert listed <= set(vocabulary(language)), sorted(listed - set(vocabulary(language)))


def test_case_and_elision_resolve_to_the_content_word():
    assert concept_of("fr", "L'homme") == concept_of("fr", "l'homme") == concept_of("fr", "homme")
    assert concept_of("fr", "qu'il") == concept_of("fr", "S'il") == concept_of("fr", "il")
    assert concept_of("fr", "n'ouvre") == concept_of("fr", "ouvre")
    assert concept_of("fr", "qu'Antoine") == concept_of("fr", "Antoine")
    assert concept_of("en", "The") == concept_of("en", "the")
    # Case matters where it disambiguates: the name Pierre is not a stone.
    assert concept_of("fr", "Pierre") == concept_of("en", "Peter")
    assert concept_of("fr", "pierre") == concept_of("en", "stone")


@pytest.mark.parametrize("triple", [("dog", "chien", "小狗"), ("house", "maison", "家里"),
                                    ("walked", "marche", "散步"), ("said", "dit", "说"),
                                    ("the", "le", None), ("a", "une", "一本")])
def test_translation_equivalents_share_a_vector(triple):
    en, fr, zh = triple
    assert concept_of("en", en) == concept_of("fr", fr)
    np.testing.assert_array_equal(word_vectors("en", [en]), word_vectors("fr", [fr]))
    if zh is not None:
        assert concept_of("zh", zh) == concept_of("en", en)
    assert concept_of("en", "walk") == concept_of("en", "walked")
    assert concept_of("fr", "noire") == concept_of("fr", "noir") == concept_of("en", "black")


def test_vectors_cluster_by_category():
    table = concept_table()
    vectors = np.stack([concept_vector(c) for c in table["concept"]])
    assert vectors.shape == (len(table), N_CONCEPT_DIMS) and vectors.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert set(table["category"]) == set(CATEGORIES)
    cos = vectors @ vectors.T
    same = table["category"].to_numpy()[:, None] == table["category"].to_numpy()[None, :]
    off_diagonal = ~np.eye(len(table), dtype=bool)
    within, between = cos[same & off_diagonal].mean(), cos[~same].mean()
    assert within > 0.4 and between < 0.1, (within, between)
    # Every category on its own, not just on average.
    for category in CATEGORIES:
        rows = table["category"].to_numpy() == category
        block = cos[np.ix_(rows, rows)][~np.eye(rows.sum(), dtype=bool)]
        assert block.mean() > cos[np.ix_(rows, ~rows)].mean() + 0.3, category
    # Distinct concepts stay distinguishable.
    assert cos[off_diagonal].max() < 0.99


def test_word_vectors_shapes_and_errors():
    assert word_vectors("zh", []).shape == (0, N_CONCEPT_DIMS)
    v = word_vectors("en", ["The", "dog", "ran"])
    assert v.shape == (3, N_CONCEPT_DIMS)
    with pytest.raises(ValueError, match="'barked'.*'en'"):
        word_vectors("en", ["the", "barked"])
    with pytest.raises(ValueError, match="string"):
        word_vectors("en", "dog")
    with pytest.raises(ValueError, match="language"):
        concept_of("de", "Hund")
    with pytest.raises(ValueError, match="NOPE"):
        concept_vector("NOPE")
    # Callers may not corrupt the shared vectors.
    v = concept_vector("DOG")
    v[:] = 0
    assert np.linalg.norm(concept_vector("DOG")) == pytest.approx(1.0)


def test_vectors_deterministic_across_processes():
    code = ("import sys; from brainlike.simulate.concepts import concept_table, concept_vector;"
            "import numpy as np;"
            "sys.stdout.write(np.stack([concept_vector(c) for c in concept_table().concept])"
            ".tobytes().hex())")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"} | {
        "PYTHONHASHSEED": "7", "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    here = np.stack([concept_vector(c) for c in concept_table()["concept"]]).tobytes().hex()
    assert out.stdout == here
