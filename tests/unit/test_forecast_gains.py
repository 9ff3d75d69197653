"""Forecast feature sets (names both ways, windows word by word and frame by frame) and the
gain table (ceiling-normalised, listeners then group with a bootstrap interval)."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from brainlike.features import forecast_layers
from brainlike.features.forecast import reduce_pca
from brainlike.features.forecast_layers import speech_forecast_frames, text_forecast_frames
from brainlike.features.forecast_windows import Window, chosen_layers, windows
from brainlike.features.word_level import word_frames
from brainlike.features.word_reader import WordReader
from brainlike.figures.forecast import best_layer_curves, forecast_figure
from brainlike.models.causal_lm import CausalLM, CausalLMConfig
from brainlike.scores.forecast_gains import COLUMNS, N_BOOTSTRAP, forecast_table, subject_gains
from brainlike.scores.stats import bootstrap_ci
from brainlike.training.lm import build_vocabulary

RATE = 50.0
FLOOR = 0.2


# -- names and layers -----------------------------------------------------------------------

@pytest.mark.parametrize("window, name", [
    (Window("block2", None, "words"), "block2"), (Window("block2", 3, "words"), "block2+d3"),
    (Window("transformer4", 0.2, "seconds"), "transformer4+0.2s"),
    (Window("conv1", 1.5, "seconds"), "conv1+1.5s")])
def test_window_names_read_back(window: Window, name: str) -> None:
    assert window.name == name
    assert Window.parse(name, window.unit) == window


@pytest.mark.parametrize("make, message", [
    (lambda: Window("a+b", 1, "words"), "contains"), (lambda: Window("a", 0, "words"), "ahead"),
    (lambda: Window("a", 1.5, "words"), "whole number"), (lambda: Window("a", 1, "ms"), "unit"),
    (lambda: Window.parse("block2+0.2s", "words"), "not a words window"),
    (lambda: Window.parse("block2+d3", "seconds"), "not a seconds window")])
def test_bad_windows_raise(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_layers_default_to_every_text_layer_and_the_last_speech_layer() -> None:
    names = ["conv1", "transformer1", "transformer2"]
    assert chosen_layers(names, None) == names[-1:] == ["transformer2"]
    assert chosen_layers(names, ("transformer2", "conv1")) == ["conv1", "transformer2"]
    with pytest.raises(ValueError, match="not layers of the model"):
        chosen_layers(names, ("block1",))
    assert [w.name for w in windows(["a"], (1.0, 2.0), "words")] == ["a", "a+d1", "a+d2"]


def test_forecast_sets_take_the_stimulus_alone() -> None:
    # No function building the sets accepts responses: what they add is the story's future.
    stimulus_side = {"reader", "words", "story", "duration_s", "rate", "layers", "distances",
                     "components", "frames", "offsets_s", "name", "model", "stimulus", "spec",
                     "forecast", "device"}
    for fn in (text_forecast_frames, speech_forecast_frames, forecast_layers.forecast_frames):
        assert set(inspect.signature(fn).parameters) <= stimulus_side, fn.__name__


# -- windows --------------------------------------------------------------------------------

SENTENCES = [["the", "old", "man", "saw", "a", "dog"], ["she", "ran", "home"],
             ["a", "dog", "saw", "the", "man", "and", "the", "queen"]]


def _words() -> pd.DataFrame:
    rows, t = [], 0.4
    for s, sentence in enumerate(SENTENCES):
        for p, w in enumerate(sentence):
            rows.append((w, t, t + 0.3, s, p))
            t += 0.3
        t += 0.5
    return pd.DataFrame(rows, columns=["word", "onset", "offset", "sentence", "position"])


def test_text_windows_join_the_state_d_words_ahead_word_by_word() -> None:
    vocab = build_vocabulary(SENTENCES, min_count=1)
    torch.manual_seed(0)
    reader = WordReader(CausalLM(CausalLMConfig.preset("tiny").with_vocabulary(vocab)).eval(),
                        vocab, "intact", 0)
    words, duration = _words(), 7.0
    sets = text_forecast_frames(reader, words, "en1", duration, RATE, ["block1"], (1, 2), 3)
    assert list(sets) == ["block1", "block1+d1", "block1+d2"]
    states = reader.states(words, "en1")[1]
    np.testing.assert_array_equal(sets["block1"], word_frames(states, words, duration, RATE))
    future = reduce_pca(states, 3)
    frames = np.floor(words["offset"].to_numpy() * RATE + 1e-6).astype(int)
    for d in (1, 2):
        both = sets[f"block1+d{d}"]
        assert both.shape == (int(duration * RATE), 128 + 3)
        np.testing.assert_array_equal(both[:, :128], sets["block1"])
        for i, frame in enumerate(frames):  # each word's frame: its state, word i + d's ahead
            want = future[i + d] if i + d < len(words) else np.zeros(3)
            np.testing.assert_allclose(both[frame, 128:], want, atol=1e-6)


def test_speech_windows_shift_whole_frames() -> None:
    rng = np.random.default_rng(0)
    frames = {"conv1": rng.normal(size=(300, 4)), "t2": rng.normal(size=(300, 6))}
    sets = speech_forecast_frames(frames, RATE, ["t2"], (0.02, 0.1), None)
    assert list(sets) == ["t2", "t2+0.02s", "t2+0.1s"]
    x = frames["t2"]
    np.testing.assert_array_equal(sets["t2+0.1s"][:, :6], x)
    np.testing.assert_array_equal(sets["t2+0.1s"][:-5, 6:], x[5:])
    assert not sets["t2+0.1s"][-5:, 6:].any()
    np.testing.assert_array_equal(sets["t2+0.02s"][:-1, 6:], x[1:])
    assert speech_forecast_frames(frames, RATE, ["t2"], (0.02,), 2)["t2+0.02s"].shape == (300, 8)
    with pytest.raises(ValueError, match="whole number of frames"):
        speech_forecast_frames(frames, RATE, ["t2"], (0.03,), None)


# -- gains ----------------------------------------------------------------------------------

SUBJECTS = ("sub-1", "sub-2", "sub-3")
SETS = ("block1", "block1+d1", "block1+d2")
ROI = np.array(["a", "a", "a", "b", "b", "b"])


def _synthetic(seed: int = 0):
    """Vertex scores (2 folds) of one model; ceilings 0.5 except vertex 5 (under the floor)."""
    rng = np.random.default_rng(seed)
    rows, ceil = [], []
    for subject in SUBJECTS:
        for index, layer in enumerate(SETS):
            for fold in (0, 1):
                rows.append(pd.DataFrame({"model": "lm", "subject": subject, "layer": layer,
                                          "layer_index": index, "vertex": np.arange(6),
                                          "fold": fold, "r": rng.uniform(-0.1, 0.4, 6),
                                          "alpha": 1.0}))
        ceil.append(pd.DataFrame({"subject": subject, "vertex": np.arange(6),
                                  "ceiling": [0.5, 0.5, 0.4, 0.5, 0.6, 0.1]}))
    vertices = pd.DataFrame({"vertex": np.arange(6), "roi_name": ROI})
    return pd.concat(rows, ignore_index=True), pd.concat(ceil, ignore_index=True), vertices


def test_gain_table_is_the_normalised_score_with_minus_without() -> None:
    scores, ceilings, vertices = _synthetic()
    table = forecast_table("ds", {"lm": scores}, {"lm": "words"}, ceilings, vertices, FLOOR,
                           seed=3)
    assert list(table.columns) == COLUMNS
    people = table[table["subject"] != "group"]
    assert len(people) == len(SUBJECTS) * 2 * 2  # subjects x windows x ROIs
    assert set(people["layer"]) == {"block1"} and set(people["ahead"]) == {1.0, 2.0}
    c = ceilings.set_index(["subject", "vertex"])["ceiling"]
    expected = {}
    for subject in SUBJECTS:
        r = scores[scores["subject"] == subject].groupby(["layer", "vertex"])["r"].mean()
        ceiling = c.loc[subject].to_numpy()
        normalised = {s: np.where(ceiling > FLOOR, r.loc[s].to_numpy() / ceiling, np.nan)
                      for s in SETS}
        for d in (1, 2):
            for roi in ("a", "b"):
                keep = ROI == roi
                gain = (np.nanmean(normalised[f"block1+d{d}"][keep])
                        - np.nanmean(normalised["block1"][keep]))
                raw = r.loc[f"block1+d{d}"].to_numpy()[keep].mean() - \
                    r.loc["block1"].to_numpy()[keep].mean()
                row = people[(people["subject"] == subject) & (people["ahead"] == d)
                             & (people["roi"] == roi)].iloc[0]
                assert row["gain"] == pytest.approx(gain)
                assert row["raw_gain"] == pytest.approx(raw)
                assert row["score"] == pytest.approx(np.nanmean(normalised["block1"][keep]))
                expected[(d, roi)] = expected.get((d, roi), []) + [gain]
    group = table[table["subject"] == "group"]
    assert len(group) == 4 and (group["n_subjects"] == 3).all()
    for (d, roi), gains in expected.items():
        row = group[(group["ahead"] == d) & (group["roi"] == roi)].iloc[0]
        ci = bootstrap_ci(np.array(gains), n_bootstrap=N_BOOTSTRAP, seed=3)
        assert row["gain"] == pytest.approx(np.mean(gains))
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_a_window_without_its_layer_alone_raises() -> None:
    scores, ceilings, vertices = _synthetic()
    scores = scores[scores["layer"] != "block1"]
    with pytest.raises(ValueError, match="no score of layer 'block1' alone"):
        forecast_table("ds", {"lm": scores}, {"lm": "words"}, ceilings, vertices, FLOOR)
    with pytest.raises(ValueError, match="lack column"):
        subject_gains(pd.DataFrame({"layer": ["a"]}), "words")


def test_forecast_figure_draws_both_units(tmp_path: Path) -> None:
    scores, ceilings, vertices = _synthetic()
    speech = scores.replace({"layer": {"block1+d1": "t2+0.1s", "block1+d2": "t2+1s",
                                       "block1": "t2"}})
    table = forecast_table("ds", {"lm": scores, "w2v": speech.assign(model="w2v")},
                           {"lm": "words", "w2v": "seconds"}, ceilings, vertices, FLOOR)
    curves = best_layer_curves(table)
    assert set(curves["unit"]) == {"words", "seconds"} and set(curves["roi"]) == {"a", "b"}
    forecast_figure(table, tmp_path / "forecast.svg")
    svg = (tmp_path / "forecast.svg").read_text()
    assert "words ahead" in svg and "seconds ahead" in svg
    empty = table.assign(score=np.nan)
    forecast_figure(empty, tmp_path / "none.svg")
    assert "No forecast gains" in (tmp_path / "none.svg").read_text()
