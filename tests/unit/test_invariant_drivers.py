"""The current world's drivers: modulation energy, articulatory features, concepts."""

from __future__ import annotations

import numpy as np
import pytest

from brainlike.plan.datasets import ListeningSimulation
from brainlike.simulate.acoustics import scene_for, talkers
from brainlike.simulate.driver_kinds import DriverKinds
from brainlike.simulate.drivers import compute_drivers
from brainlike.simulate.languages import word_log_frequency
from brainlike.simulate.modulation import column_names, filter_bank, modulation_energy
from brainlike.simulate.speech import STORY_POOL, synthesize_story

KINDS = DriverKinds("modulation", "articulatory", "concepts")
RATE, CPO = 100.0, 6.0


@pytest.mark.parametrize("direction", [1, -1])
def test_modulation_filters_prefer_their_rate_scale_and_sweep(direction):
    t = np.arange(0, 10, 1 / RATE)[:, None]
    octaves = np.arange(32)[None, :] / CPO
    ripple = np.cos(2 * np.pi * (4 * t - direction * octaves))  # 4 Hz, 1 cycle/octave
    energy = modulation_energy(ripple, RATE, CPO)[200:-200].mean(0).reshape(-1, 4).mean(1)
    swept = {f: e for f, e in zip(filter_bank(), energy) if f.scale_cpo}
    best = max(swept, key=swept.get)
    assert (best.rate_hz, best.scale_cpo, best.direction) == (4.0, 1.0, direction)
    opposite = [e for f, e in swept.items() if f.rate_hz == 4 and f.direction == -direction]
    assert swept[best] > 10 * opposite[0]
    assert len(column_names()) == len(filter_bank()) * 4


def test_modulation_energy_rejects_a_vector():
    with pytest.raises(ValueError, match="found shape"):
        modulation_energy(np.zeros(100), RATE, CPO)


@pytest.fixture(scope="module")
def stories():
    sim = ListeningSimulation.from_config({})
    out = []
    for k, language in enumerate(["en", "fr"]):
        out.append(synthesize_story(
            language, 40.0, np.random.default_rng([5, k]), pool=STORY_POOL,
            talkers=talkers("story", 2, [5, k], language),
            scene=scene_for(sim.acoustics, "story", language, 5)))
    return out


def _drivers(stories, native):
    n = [int(np.ceil(s.duration / 1.5)) + 4 for s in stories]
    return compute_drivers(stories, 1.5, n, native, word_log_frequency, KINDS)


def test_the_current_world_centres_instead_of_residualising(stories):
    d = _drivers(stories, {"en"})
    assert not d.orthogonalised
    assert {k: v.shape[1] for k, v in d.sets().items()} == {
        "acoustic": 48, "phonetic": 26, "word": 14}
    assert d.names["phonetic"][0].startswith("artic_") and d.names["word"][-1] == "word_surprisal"
    assert np.all(d.word[d.run(1)] == 0) and np.abs(d.word[d.run(0)]).sum() > 0
    assert set(d.cross_correlations()["stage"]) == {"raw", "planted"}
    again = _drivers(stories, {"en"})
    for name, x in d.sets().items():
        np.testing.assert_array_equal(x, getattr(again, name))


def test_phones_drive_whoever_listens_and_words_only_the_native(stories):
    french = _drivers(stories, {"fr"})
    english = _drivers(stories, {"en"})
    np.testing.assert_array_equal(french.phonetic, english.phonetic)
    assert np.all(french.word[french.run(0)] == 0) and np.abs(french.word[french.run(1)]).sum() > 0
