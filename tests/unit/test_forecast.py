"""Forecast windows, and a language model's word states on the frame grid."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
import torch

from brainlike.features import forecast
from brainlike.features.forecast import (forecast_states, frame_forecast, reduce_pca,
                                         with_forecast)
from brainlike.features.word_level import (sentence_groups, shuffled_word_states, story_tokens,
                                           word_frames, word_states)
from brainlike.models.causal_lm import CausalLM, CausalLMConfig
from brainlike.training.lm import build_vocabulary

RATE = 50.0


def _states(n: int = 12, d: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


def _story(sentences: list[list[str]], word_s: float = 0.3, pause_s: float = 0.5,
           start_s: float = 0.4) -> pd.DataFrame:
    rows, t = [], start_s
    for s, sentence in enumerate(sentences):
        for p, w in enumerate(sentence):
            rows.append((w, t, t + word_s, s, p))
            t += word_s
        t += pause_s
    return pd.DataFrame(rows, columns=["word", "onset", "offset", "sentence", "position"])


SENTENCES = [["the", "old", "man", "saw", "a", "dog"], ["she", "ran"],
             ["a", "dog", "saw", "the", "man", "and", "the", "queen"]]


@pytest.fixture(scope="module")
def lm():
    vocab = build_vocabulary(SENTENCES, min_count=1)
    torch.manual_seed(0)
    config = CausalLMConfig.preset("tiny").with_vocabulary(vocab)
    return CausalLM(CausalLMConfig(**{**config.to_dict(), "context": 8})).eval(), vocab


# -- forecast windows -----------------------------------------------------------------------

@pytest.mark.parametrize("d", [1, 3, 11])
def test_forecast_rows_are_the_words_ahead_then_zeros(d):
    x = _states()
    f = forecast_states(x, d)
    assert f.shape == x.shape
    np.testing.assert_array_equal(f[:len(x) - d], x[d:])
    assert not f[len(x) - d:].any()
    both = with_forecast(x, d)
    np.testing.assert_array_equal(both[:, :5], x)
    np.testing.assert_array_equal(both[:, 5:], f)


def test_forecast_past_the_story_is_all_zeros_and_bad_distances_raise():
    x = _states(n=4)
    assert not forecast_states(x, 4).any() and not forecast_states(x, 9).any()
    with pytest.raises(ValueError, match="d must be >= 1"):
        forecast_states(x, 0)
    with pytest.raises(ValueError, match="rows, D"):
        forecast_states(x[0], 1)


def test_forecast_within_sentences_zeroes_rows_whose_target_is_elsewhere():
    x = _states(n=6)
    ids = np.array([0, 0, 0, 1, 1, 2])
    f = forecast_states(x, 2, sentence_ids=ids)
    np.testing.assert_array_equal(f[0], x[2])  # same sentence
    np.testing.assert_array_equal(f[3], np.zeros(5))  # word 5 is in sentence 2
    assert not f[1].any() and not f[2].any() and not f[4:].any()
    np.testing.assert_array_equal(forecast_states(x, 2)[1], x[3])  # default: crosses
    with pytest.raises(ValueError, match="sentence_ids"):
        forecast_states(x, 2, sentence_ids=ids[:4])


def test_forecast_pca_matches_svd_and_keeps_padding_zero():
    x = _states(n=40, d=10, seed=2)
    out = with_forecast(x, 3, k=4)
    assert out.shape == (40, 14)
    centred = x.astype(np.float64) - x.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    ref = u[:, :4] * s[:4]
    future = out[:, 10:]
    assert not future[-3:].any()
    np.testing.assert_allclose(np.abs(future[:-3]), np.abs(ref[3:]), atol=1e-4)
    with pytest.raises(ValueError, match="k must be"):
        reduce_pca(x, 11)


def test_forecast_uses_the_stimulus_alone():
    # Structural: no forecast function accepts anything but stimulus features and settings,
    # and the future part is the stimulus itself shifted, whatever else exists.
    stimulus = {"states", "frames", "x", "d", "k", "n", "sentence_ids", "offset_s", "rate"}
    for fn in (forecast_states, with_forecast, frame_forecast, reduce_pca, forecast.shift_rows):
        assert set(inspect.signature(fn).parameters) <= stimulus, fn.__name__
    x = _states(n=30, d=4, seed=5)
    np.testing.assert_array_equal(with_forecast(x, 2)[:-2, 4:], x[2:])


def test_frame_forecast_offsets():
    f = _states(n=200, d=3)
    np.testing.assert_array_equal(frame_forecast(f, 0.0, RATE), f)
    one = frame_forecast(f, 0.02, RATE)
    np.testing.assert_array_equal(one[:-1], f[1:])
    assert not one[-1].any()
    two = frame_forecast(f, 2.0, RATE)
    np.testing.assert_array_equal(two[:100], f[100:])
    assert not two[100:].any()
    assert frame_forecast(f, 0.1, RATE, k=2).shape == (200, 2)
    with pytest.raises(ValueError, match="whole number of frames"):
        frame_forecast(f, 0.03, RATE)
    with pytest.raises(ValueError, match="offset_s >= 0"):
        frame_forecast(f, -0.02, RATE)


# -- word states ----------------------------------------------------------------------------

def test_story_tokens_open_each_sentence():
    words = _story(SENTENCES[:2])
    vocab = build_vocabulary(SENTENCES, min_count=1)
    tokens, rows = story_tokens(vocab, words)
    assert tokens.tolist() == [1, *vocab.encode(SENTENCES[0]), 1, *vocab.encode(SENTENCES[1])]
    assert rows.tolist() == [1, 2, 3, 4, 5, 6, 8, 9]
    unknown = words.assign(sentence=-1)  # real alignments: no sentence ids
    tokens, rows = story_tokens(vocab, unknown)
    assert tokens.tolist()[0] == 1 and tokens.tolist().count(1) == 1
    with pytest.raises(ValueError, match="lacks column"):
        story_tokens(vocab, words.drop(columns="sentence"))


def test_word_states_shapes_and_causality(lm):
    model, vocab = lm
    words = _story(SENTENCES)
    states = word_states(model, vocab, words)
    assert len(states) == len(model.layer_names)
    assert all(s.shape == (len(words), model.config.embed_dim) and s.dtype == np.float32
               for s in states)
    # A word's state depends on the words before it, not after (context 8 < 19 tokens, so
    # this also crosses the sliding windows).
    shorter = word_states(model, vocab, words.iloc[:11])
    for a, b in zip(states, shorter):
        np.testing.assert_allclose(a[:11], b, atol=1e-5)
    # ... and on those before it: a different first sentence changes the next sentence's
    # words (still within the 8-token context).
    other = words.copy()
    other.loc[0, "word"] = "queen"
    changed = word_states(model, vocab, other)
    assert not np.allclose(changed[-1][6], states[-1][6], atol=1e-4)
    with pytest.raises(ValueError, match="no words"):
        word_states(model, vocab, words.iloc[:0])


def test_shuffled_states_stay_on_their_own_words(lm):
    model, vocab = lm
    words = _story(SENTENCES)
    groups = sentence_groups(words)
    assert groups == [list(range(6)), [6, 7], list(range(8, 16))]
    plain = word_states(model, vocab, words)
    shuffled = shuffled_word_states(model, vocab, words, seed=3)
    np.testing.assert_array_equal(shuffled_word_states(model, vocab, words, seed=3)[0],
                                  shuffled[0])
    # The embedding layer is token + position: removing word i's own token embedding must
    # leave exactly one position embedding, so row i holds word i, read somewhere else.
    token = model.token_embedding.weight.detach().numpy()
    position = model.position_embedding.weight.detach().numpy()
    ids = vocab.encode(list(words["word"]))
    residual = shuffled[0] - token[ids]
    matches = [np.flatnonzero(np.abs(position - r).max(axis=1) < 1e-5) for r in residual]
    assert all(len(m) == 1 for m in matches)
    assert not np.allclose(shuffled[-1], plain[-1], atol=1e-4)


# -- word frames ----------------------------------------------------------------------------

def test_word_frames_place_each_word_at_its_offset():
    words = _story(SENTENCES[:2])  # offsets 0.7, 1.0, ... 2.2, then 3.0, 3.3
    x = _states(n=len(words), d=3) + 10.0  # no zero rows
    duration = 4.0
    held = word_frames(x, words, duration, RATE)
    spikes = word_frames(x, words, duration, RATE, mode="impulse")
    assert held.shape == spikes.shape == (200, 3)
    frames = np.floor(words["offset"].to_numpy() * RATE + 1e-6).astype(int)
    assert frames.tolist()[:2] == [35, 50]  # 0.7 s * 50 lands on frame 35 exactly
    for i, f in enumerate(frames):
        np.testing.assert_array_equal(held[f], x[i])
        np.testing.assert_array_equal(spikes[f], x[i])
        nxt = frames[i + 1] if i + 1 < len(frames) else len(held)
        np.testing.assert_array_equal(held[f:nxt], np.repeat(x[i:i + 1], nxt - f, axis=0))
        np.testing.assert_array_equal(held[f - 1], x[i - 1] if i else np.zeros(3))
    assert not held[:frames[0]].any()
    assert np.count_nonzero(spikes.any(axis=1)) == len(words)


def test_word_frames_shared_frame_and_checks():
    words = pd.DataFrame({"word": ["a", "b", "c"], "onset": [0.0, 0.1, 0.2],
                          "offset": [0.101, 0.105, 0.5], "sentence": 0})
    x = np.array([[1.0], [2.0], [4.0]], np.float32)
    assert word_frames(x, words, 1.0, RATE, mode="impulse")[5, 0] == 3.0  # summed
    assert word_frames(x, words, 1.0, RATE)[5, 0] == 2.0  # the later word is current
    with pytest.raises(ValueError, match="placement"):
        word_frames(x, words, 1.0, RATE, mode="box")
    with pytest.raises(ValueError, match="n_words=3"):
        word_frames(x[:2], words, 1.0, RATE)
