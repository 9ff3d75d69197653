"""Unit tests of the grammar's next-word model and word surprisal."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from brainlike.simulate.concepts import concept_category, concept_of
from brainlike.simulate.languages import LANGUAGES
from brainlike.simulate.surprisal import (EOS, UNK, NextWordModel, grammar_model,
                                          sample_sentences, story_surprisal)

CONTENT = {"animate", "name", "thing", "place", "property", "mental"}


@pytest.fixture(scope="module")
def held_out() -> dict[str, list[list[str]]]:
    """Sentences from another seed than the model's training sample."""
    return {lang: sample_sentences(lang, 1500, np.random.default_rng(31337))
            for lang in LANGUAGES}


def test_probabilities_sum_to_one():
    model = grammar_model("en")
    for context in [(), ("the",), ("He", "saw", "the"), ("did", "not"), ("zebra", "the"),
                    ("quixotic", "flibbertigibbet")]:
        p = model.distribution(context)
        assert p.shape == (len(model.vocabulary),) and np.all(p > 0)
        assert p.sum() == pytest.approx(1.0, abs=1e-9)
        assert model.logprob(context, "the") == pytest.approx(math.log(p[model.vocabulary
                                                                           .index("the")]))
    small = NextWordModel([["a", "b"], ["a", "c", "b"]], order=2, vocabulary=["d"])
    assert small.vocabulary == ("a", "b", "c", "d", EOS, UNK)
    for context in [(), ("a",), ("c",), ("d",), ("x",)]:
        assert small.distribution(context).sum() == pytest.approx(1.0)


def test_learns_a_deterministic_language():
    model = NextWordModel([["x", "y", "z"]] * 200 + [["y", "x"]] * 200)
    assert model.logprob(("x", "y"), "z") > math.log(0.95)
    assert model.logprob((), "x") == pytest.approx(math.log(0.5), abs=0.05)
    # After "y" alone the continuation depends on what came before it.
    assert model.logprob(("y",), "x") > math.log(0.95)
    assert model.logprob(("x", "y", "z"), EOS) > math.log(0.95)
    # An unseen word is <unk>: possible, but very unlikely.
    assert model.logprob(("x",), "never") == model.logprob(("x",), UNK) < math.log(0.01)


@pytest.mark.parametrize("language", LANGUAGES)
def test_trigram_beats_unigram_on_held_out_sentences(language, held_out):
    trigram, unigram = grammar_model(language), grammar_model(language, order=1)
    sentences = held_out[language]
    tri = np.concatenate([trigram.surprisal(s) for s in sentences])
    uni = np.concatenate([unigram.surprisal(s) for s in sentences])
    assert tri.shape == uni.shape == (sum(map(len, sentences)),)
    assert np.all(np.isfinite(tri)) and np.all(tri >= 0)
    assert tri.mean() < uni.mean() - 1.0, (tri.mean(), uni.mean())
    # Function words are predictable from syntax, content words much less so.
    words = [w for s in sentences for w in s]
    function = np.array([concept_category(concept_of(language, w)) == "function"
                         for w in words])
    assert tri[function].mean() < tri[~function].mean() - 1.0


def test_grammar_forces_the_category_after_a_determiner():
    model = grammar_model("en")
    p = model.distribution(("he", "saw", "the"))
    content = sum(p_w for w, p_w in zip(model.vocabulary, p)
                  if w not in (EOS, UNK) and concept_category(concept_of("en", w)) in CONTENT)
    assert content > 0.95
    # "did not" is always followed by a bare transitive verb, never by its past form.
    p = model.distribution(("he", "did", "not"))
    assert p[model.vocabulary.index("open")] > 20 * p[model.vocabulary.index("opened")]


def test_surprisal_is_per_word_from_the_sentence_start():
    model = grammar_model("fr")
    words = ["Le", "chien", "dort", "dans", "la", "maison"]
    s = model.surprisal(words)
    expected = [-model.logprob(words[:i], w) / math.log(2) for i, w in enumerate(words)]
    np.testing.assert_allclose(s, expected)
    assert s.shape == (6,) and model.surprisal([]).shape == (0,)
    # Case-insensitive, as sentence-initial capitals are.
    np.testing.assert_allclose(model.surprisal(["le", "chien"]), s[:2])
    with pytest.raises(ValueError, match="string"):
        model.surprisal("le chien")


def test_story_surprisal_restarts_at_sentence_boundaries():
    model = grammar_model("en")
    first, second = ["The", "dog", "slept"], ["She", "saw", "a", "cat"]
    story = pd.DataFrame({"word": first + second + first,
                          "sentence": [0] * 3 + [1] * 4 + [0] * 3,  # a second story restarts
                          "position": [0, 1, 2, 0, 1, 2, 3, 0, 1, 2]})
    s = story_surprisal("en", story)
    np.testing.assert_allclose(s, np.concatenate([model.surprisal(first),
                                                  model.surprisal(second),
                                                  model.surprisal(first)]))
    # The first word of a sentence is conditioned on the start only, not on the last sentence.
    assert s[3] == pytest.approx(-model.logprob((), "She") / math.log(2))
    assert s[3] != pytest.approx(-model.logprob(("dog", "slept"), "She") / math.log(2))
    with pytest.raises(ValueError, match="position"):
        story_surprisal("en", story.drop(columns="position"))
    with pytest.raises(ValueError, match="'flibbertigibbet'"):
        story_surprisal("en", story.assign(word=["flibbertigibbet"] * len(story)))
    assert story_surprisal("zh", story.iloc[:0].assign(word=[])).shape == (0,)
