"""Unit tests of noise ceilings: known answers on simulated listeners with planted ceilings."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest

from brainlike.simulate.drivers import Drivers, compute_drivers
from brainlike.simulate.listeners import simulate_subject
from brainlike.simulate.surface import make_hemisphere
from brainlike.scores.ceiling import (_single_from_halves, inter_subject, noise_ceiling,
                                      normalise, reliability, spearman_brown, split_half)
from tests.unit.test_simulation import fake_speech

TR = 1.5
STORY_SECONDS = 450.0  # 3 stories -> 900 TRs
GROUP_SEED = 3


@lru_cache(maxsize=1)
def simulated_session() -> tuple[Drivers, np.ndarray]:
    """English-speech drivers of a fake 3-story session (900 TRs) and level-3 ROI labels.

    Cached: test_stats.py reuses it (building the speech and drivers is most of the cost).
    """
    n = int(STORY_SECONDS / TR)
    speeches = [fake_speech(10 + i, duration=STORY_SECONDS) for i in range(3)]
    drivers = compute_drivers(speeches, TR, [n] * 3, {"en"})
    labels = np.concatenate([make_hemisphere(h, level=3).labels for h in ("left", "right")])
    return drivers, labels


@lru_cache(maxsize=4)
def simulated_subjects(n_subjects: int = 4, native: str = "en", first_seed: int = 0):
    """Responses (subjects, T, V) float32 and planted ceiling_r (subjects, V)."""
    drivers, labels = simulated_session()
    if native != "en":
        # What compute_drivers gives a listener who understands none of the (English) words.
        drivers = replace(drivers, word=np.zeros_like(drivers.word))
    sims = [simulate_subject(drivers, labels, subject_seed=first_seed + s, group_seed=GROUP_SEED)
            for s in range(n_subjects)]
    return (np.stack([s.responses for s in sims]),
            np.stack([s.truth["ceiling_r"].to_numpy() for s in sims]))


def _driven(labels: np.ndarray) -> np.ndarray:
    return (labels >= 1) & (labels <= 3)


def test_inter_subject_tracks_planted_ceiling():
    _, labels = simulated_session()
    responses, planted = simulated_subjects()
    est = inter_subject(responses)
    assert est.shape == planted.shape and np.all((est >= 0) & (est <= 1))
    driven = _driven(labels)
    r_all = [np.corrcoef(est[s], planted[s])[0, 1] for s in range(len(est))]
    r_driven = [np.corrcoef(est[s, driven], planted[s, driven])[0, 1] for s in range(len(est))]
    print(f"inter_subject vs planted ceiling_r: all {np.round(r_all, 3)}, "
          f"driven {np.round(r_driven, 3)}")
    assert min(r_all) >= 0.9
    assert min(r_driven) >= 0.8  # 0.83-0.91 over other group seeds
    # Roughly unbiased where there is signal: the shared part is ~1/sqrt(1 + 0.2^2) of it.
    assert abs(np.mean(est[:, driven] - planted[:, driven])) < 0.05
    # Noise-only vertices sit near 0 (clipping puts half of them exactly there).
    assert np.median(est[:, ~driven]) < 0.02
    assert np.percentile(est[:, ~driven], 95) < 0.25


def test_three_subjects_suffice():
    responses, planted = simulated_subjects()
    est = inter_subject(responses[:3])
    r_all = [np.corrcoef(est[s], planted[s])[0, 1] for s in range(3)]
    print(f"inter_subject, 3 subjects: {np.round(r_all, 3)}")
    assert min(r_all) >= 0.9


def test_split_half_across_subjects_tracks_planted_ceiling():
    _, labels = simulated_session()
    responses, planted = simulated_subjects()
    single = split_half(responses, target_repeats=1)
    mean_planted = planted.mean(axis=0)
    r_all = np.corrcoef(single, mean_planted)[0, 1]
    driven = _driven(labels)
    r_driven = np.corrcoef(single[driven], mean_planted[driven])[0, 1]
    print(f"split_half (subjects as repeats, 1 subject) vs mean planted ceiling_r: "
          f"all {r_all:.3f}, driven {r_driven:.3f}")
    assert r_all >= 0.9 and r_driven >= 0.9
    assert abs(np.mean(single[driven] - mean_planted[driven])) < 0.05
    # Default target: the 4-subject mean, more reliable than any one subject.
    group = split_half(responses)
    assert np.all(group >= single) and np.mean(group[driven] - single[driven]) > 0.1


@pytest.mark.parametrize("n_repeats", [4, 5])
def test_split_half_repeats_known_answer(n_repeats):
    # One subject, repeated presentations: shared signal + independent noise per repeat.
    rng = np.random.default_rng(0)
    t, v = 1000, 300
    snr = np.exp(rng.uniform(np.log(0.05), np.log(2.0), v))
    signal = rng.standard_normal((t, v)) * np.sqrt(snr)
    responses = signal + rng.standard_normal((n_repeats, t, v))
    # corr(mean of k repeats, signal) = sqrt(snr / (snr + 1 / k)).
    for k in (1, n_repeats):
        est = split_half(responses, target_repeats=k)
        truth = np.sqrt(snr / (snr + 1.0 / k))
        assert np.corrcoef(est, truth)[0, 1] > 0.95
        assert np.median(np.abs(est - truth)) < 0.03
    assert np.array_equal(split_half(responses), split_half(responses, target_repeats=n_repeats))


def test_spearman_brown_and_half_inversion():
    assert spearman_brown(0.5, 2) == pytest.approx(2 / 3)
    assert spearman_brown(2 / 3, 0.5) == pytest.approx(0.5)
    assert spearman_brown(-0.2, 3) == 0.0  # negative reliability clipped
    x = np.linspace(0.0, 0.95, 20)
    for a, b in [(1, 1), (2, 2), (1, 2), (3, 5)]:
        r = np.sqrt(spearman_brown(x, a) * spearman_brown(x, b))
        np.testing.assert_allclose(_single_from_halves(r, a, b), x, atol=1e-12)
    r = np.array([0.3, 0.6])
    np.testing.assert_allclose(_single_from_halves(r, 2, 2), r / (2 - r))  # inverse SB
    assert np.all(_single_from_halves(np.array([-0.3, 0.0]), 2, 3) == 0)
    with pytest.raises(ValueError):
        spearman_brown(0.5, 0)


def test_groups_by_native_language():
    """Subjects who don't understand the words share no high-language signal. Pooled with
    native listeners they break the equal-reliability model (the others' mean is part signal,
    part noise-only subjects), and the natives' language-ROI ceilings scatter and hit the cap
    of 1; grouped by language, each group is right."""
    _, labels = simulated_session()
    en, planted_en = simulated_subjects(3, "en", 0)
    fr, planted_fr = simulated_subjects(3, "fr", 10)
    both = np.concatenate([en, fr])
    lang = ["en"] * 3 + ["fr"] * 3
    grouped = inter_subject(both, groups=lang)
    pooled = inter_subject(both)
    np.testing.assert_array_equal(grouped[:3], inter_subject(en))
    language = labels == 3
    assert np.all(planted_fr[:, language] == 0)
    assert np.mean(grouped[3:, language]) < 0.05
    assert np.mean(grouped[:3, language]) > 0.4
    error_grouped = np.abs(grouped[:3, language] - planted_en[:, language]).mean()
    error_pooled = np.abs(pooled[:3, language] - planted_en[:, language]).mean()
    assert error_grouped < 0.08 and error_pooled > 2 * error_grouped
    assert np.mean(pooled[:3, language] == 1.0) > 0.03 and np.all(grouped[:3, language] < 1)
    # Auditory signal is shared by everyone: grouping costs little there.
    auditory = labels == 1
    assert abs(np.mean(pooled[:, auditory]) - np.mean(grouped[:, auditory])) < 0.05
    with pytest.raises(ValueError, match="group 'fr' has 2"):
        inter_subject(both[:5], groups=lang[:5])
    with pytest.raises(ValueError, match=r"\(5,\)"):
        inter_subject(both, groups=lang[:5])


def test_noise_ceiling_selector_and_determinism():
    responses, _ = simulated_subjects()
    np.testing.assert_array_equal(noise_ceiling(responses), inter_subject(responses))
    np.testing.assert_array_equal(noise_ceiling(responses, "split_half", target_repeats=1),
                                  split_half(responses, target_repeats=1))
    with pytest.raises(ValueError, match="method"):
        noise_ceiling(responses, "oracle")
    # Ten recordings have 126 splits: random subsets, reproducible by seed.
    rng = np.random.default_rng(1)
    many = rng.standard_normal((10, 50, 20)) + rng.standard_normal((50, 20))
    a = reliability(many, n_splits=20, seed=5)
    np.testing.assert_array_equal(a, reliability(many, n_splits=20, seed=5))
    assert not np.array_equal(a, reliability(many, n_splits=20, seed=6))
    np.testing.assert_allclose(a, reliability(many, n_splits=200), atol=0.1)


def test_constant_and_noise_vertices():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 200, 5))
    x[:, :, 0] = 7.0  # a dead vertex: no variance anywhere
    with np.errstate(all="raise"):
        est = inter_subject(x)
        half = split_half(x)
    assert np.all(est[:, 0] == 0) and half[0] == 0
    assert np.all((est >= 0) & (est <= 1)) and np.all((half >= 0) & (half <= 1))


def test_shape_errors():
    with pytest.raises(ValueError, match=r"\(200, 5\)"):
        inter_subject(np.zeros((200, 5)))
    with pytest.raises(ValueError, match=r"\(2, 200, 5\)"):
        inter_subject(np.zeros((2, 200, 5)))
    with pytest.raises(ValueError, match=r"\(1, 200, 5\)"):
        split_half(np.zeros((1, 200, 5)))
    with pytest.raises(ValueError, match="target_repeats"):
        split_half(np.zeros((2, 200, 5)), target_repeats=0)


def test_normalise():
    r = np.array([[0.1, 0.2, 0.3, 0.4], [0.0, -0.1, 0.5, 0.2]])
    ceiling = np.array([0.05, 0.5, np.nan, 0.8])
    out = normalise(r, ceiling, floor=0.1)
    assert out.shape == (2, 4)
    assert np.all(np.isnan(out[:, [0, 2]]))  # below the floor, or unknown
    np.testing.assert_allclose(out[:, [1, 3]], [[0.4, 0.5], [-0.2, 0.25]])
    assert np.isnan(normalise(0.3, 0.2, floor=0.2))  # the floor itself is excluded
    assert normalise(0.3, 0.25) == pytest.approx(1.2)  # above 1 is kept
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        normalise(np.zeros(3), ceiling)
