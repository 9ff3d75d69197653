"""Talkers, rooms and noise: disjoint voices, measured RT60 and SNR, alignment left in place."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

import numpy as np
import pytest

from brainlike.plan.datasets import AcousticConditions, ListeningSimulation
from brainlike.plan.schema import schema
from brainlike.simulate import acoustics
from brainlike.simulate.acoustics import (Condition, babble, mix_at_snr, room_impulse_response,
                                          scene_for, stationary_noise, talkers, variant_split)
from brainlike.simulate.speech import (CORPUS_POOL, STORY_POOL, SAMPLE_RATE, synthesize_story,
                                       variant_talker)
from brainlike.simulate.speech_types import Speech

#: Noisy and reverberant every sentence, so that every test sees the scene at work.
NOISY = replace(AcousticConditions.from_config({}), clean_fraction=0.0)


def _digest(sp: Speech) -> str:
    h = hashlib.sha256(sp.audio.tobytes())
    for frame in (sp.words, sp.phonemes):
        h.update(frame[["onset", "offset"]].to_numpy().tobytes())
    h.update(" ".join(sp.phonemes["phoneme"]).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def scene() -> acoustics.Scene:
    out = scene_for(NOISY, "story", "en", seed=3)
    assert out is not None
    return out


def test_corpus_and_story_talkers_never_share_a_voice() -> None:
    halves = variant_split()
    assert not set(halves["corpus"]) & set(halves["story"])
    for role, variants in halves.items():
        assert len(variants) >= 6, role
        assert {"f1", "f3"} & set(variants) or {"f2", "f4"} & set(variants), role  # both sexes
        assert any(v.startswith("m") for v in variants), role
    for lang in ("en", "zh"):
        corpus = talkers("corpus", 40, 0, lang)
        story = talkers("story", 40, 0, lang)
        assert not {t.variant for t in corpus} & {t.variant for t in story}
        assert not {t.name for t in corpus} & {t.name for t in story}
        for group in (corpus, story):
            assert len({t.name for t in group}) == len(group)
            assert all(re.fullmatch(r"[A-Za-z0-9_]+-p\d+-r\d+-s\d+", t.name) for t in group)
        # every variant of the half reads before any reads twice
        assert len({t.variant for t in story[:len(halves["story"])]}) == len(halves["story"])


def test_talkers_are_deterministic_and_seeded() -> None:
    assert talkers("story", 5, [1, 2], "fr") == talkers("story", 5, [1, 2], "fr")
    assert talkers("story", 5, [1, 2], "fr") != talkers("story", 5, [1, 3], "fr")
    with pytest.raises(ValueError, match="role"):
        talkers("listener", 2, 0, "en")
    with pytest.raises(ValueError, match="at least one"):
        talkers("story", 0, 0, "en")


def _schroeder_rt60(ir: np.ndarray, sample_rate: int) -> float:
    """RT60 from the slope of the backward-integrated energy decay between -5 and -25 dB."""
    energy = np.cumsum(ir[::-1].astype(np.float64) ** 2)[::-1]
    edc = 10 * np.log10(energy / energy[0])
    fit = (edc <= -5) & (edc >= -25)
    slope = np.polyfit(np.flatnonzero(fit) / sample_rate, edc[fit], 1)[0]
    return -60.0 / slope


@pytest.mark.parametrize("rt60", [0.2, 0.5, 0.8])
def test_room_decays_at_its_rt60_with_the_direct_path_first(rt60: float) -> None:
    for seed in range(4):
        ir = room_impulse_response(rt60, 16000, np.random.default_rng(seed))
        assert ir[0] == 1.0 and np.abs(ir[1:]).max() < 1.0
        assert abs(_schroeder_rt60(ir, 16000) - rt60) < 0.2 * rt60
    with pytest.raises(ValueError, match="positive"):
        room_impulse_response(0.0, 16000, np.random.default_rng(0))


@pytest.mark.parametrize("snr", [-5.0, 0.0, 7.5, 20.0])
def test_mix_at_snr_hits_the_ratio(snr: float) -> None:
    rng = np.random.default_rng(0)
    speech = (rng.standard_normal(8000) * np.hanning(8000)).astype(np.float32)
    noise = stationary_noise(8000, 16000, "pink", rng)
    mixed = mix_at_snr(speech, noise, snr)
    added = mixed.astype(np.float64) - speech
    assert abs(10 * np.log10(np.mean(speech.astype(np.float64) ** 2) / np.mean(added ** 2))
               - snr) < 0.1
    reference = speech[2000:6000]
    added = mix_at_snr(speech, noise, snr, reference).astype(np.float64) - speech
    assert abs(10 * np.log10(np.mean(reference.astype(np.float64) ** 2) / np.mean(added ** 2))
               - snr) < 0.1
    with pytest.raises(ValueError, match="shape"):
        mix_at_snr(speech, noise[:-1], snr)
    with pytest.raises(ValueError, match="noise power"):
        mix_at_snr(speech, np.zeros_like(noise), snr)


def test_noise_colours_have_their_spectral_slopes() -> None:
    for colour, exponent in acoustics.NOISE_COLOURS.items():
        noise = stationary_noise(2**16, 16000, colour, np.random.default_rng(1))
        assert noise.dtype == np.float32
        assert abs(np.sqrt(np.mean(noise.astype(float) ** 2)) - 1) < 1e-4
        power = np.abs(np.fft.rfft(noise)) ** 2
        freqs = np.fft.rfftfreq(len(noise), 1 / 16000)
        band = (freqs > 100) & (freqs < 5000)
        slope = np.polyfit(np.log10(freqs[band]), np.log10(power[band]), 1)[0]
        assert abs(slope + exponent) < 0.15, (colour, slope)
    with pytest.raises(ValueError, match="colour"):
        stationary_noise(100, 16000, "grey", np.random.default_rng(0))


def test_babble_is_other_talkers_at_random_points(scene: acoustics.Scene) -> None:
    a = babble(30000, SAMPLE_RATE, "en", scene.babblers, np.random.default_rng(0), STORY_POOL)
    b = babble(30000, SAMPLE_RATE, "en", scene.babblers, np.random.default_rng(0), STORY_POOL)
    c = babble(30000, SAMPLE_RATE, "en", scene.babblers, np.random.default_rng(1), STORY_POOL)
    assert a.tobytes() == b.tobytes() and a.tobytes() != c.tobytes()
    assert abs(np.sqrt(np.mean(a.astype(float) ** 2)) - 1) < 1e-4
    assert {t.variant for t in scene.babblers} <= set(variant_split()["story"])
    with pytest.raises(ValueError, match="Hz"):
        babble(100, 16000, "en", scene.babblers, np.random.default_rng(0))


def test_old_call_is_unchanged_bit_for_bit() -> None:
    # Digests of these calls made with the code before talkers and scenes existed.
    plain = synthesize_story("en", 6.0, np.random.default_rng(11))
    assert _digest(plain) == "d1d17385223fdad06b3236c6c7604da0a86cd5d06da3de60019e17ce008a1b3c"
    m3 = synthesize_story("fr", 6.0, np.random.default_rng(12), voice_variant="m3",
                          pool=CORPUS_POOL)
    assert _digest(m3) == "9655ac3ff3182a8a33595d0fb2cdd2e95f7113df0adca33858e3deca68e9d5ae"
    # A variant given as a talker reads the same story.
    same = synthesize_story("fr", 6.0, np.random.default_rng(12), pool=CORPUS_POOL,
                            talkers=[variant_talker("fr", "m3")])
    assert _digest(same) == _digest(m3)
    assert "talkers" not in m3.words.attrs and same.words.attrs["talkers"][0].startswith("m3-")
    with pytest.raises(ValueError, match="either"):
        synthesize_story("fr", 6.0, np.random.default_rng(12), voice_variant="m3",
                         talkers=[variant_talker("fr", "m3")])


def test_scene_keeps_every_word_and_phoneme_time(scene: acoustics.Scene) -> None:
    cast = talkers("story", 1, 5, "en")
    dry = synthesize_story("en", 8.0, np.random.default_rng(4), pool=STORY_POOL, talkers=cast)
    wet = synthesize_story("en", 8.0, np.random.default_rng(4), pool=STORY_POOL, talkers=cast,
                           scene=scene)
    assert wet.words.equals(dry.words) and wet.phonemes.equals(dry.phonemes)
    assert len(wet.audio) == len(dry.audio) and np.abs(wet.audio).max() <= 1.0
    assert not np.allclose(wet.audio, dry.audio, atol=1e-3)
    lead_in = int(dry.words["onset"].iloc[0] * SAMPLE_RATE) - 1
    assert not wet.audio[:lead_in].any()  # before the first sentence nothing sounds
    assert all(label != "clean" for label in wet.words.attrs["acoustics"])
    # The direct path sits at lag 0: a click stays where it was, the room only rings after it.
    click = np.zeros(8000, np.float32)
    click[1000] = 0.5
    out = scene.render(Condition(0.6, "white", 30.0), click, SAMPLE_RATE,
                       np.random.default_rng(0), speech_samples=2000)
    assert int(np.argmax(np.abs(out))) == 1000
    assert np.abs(out[1001:4000]).max() > 10 * np.abs(out[:1000]).max()


def test_a_story_is_deterministic_and_read_in_turns(scene: acoustics.Scene) -> None:
    cast = talkers("story", 3, [0, 1], "en")
    a, b, c = (synthesize_story("en", 10.0, np.random.default_rng(s), pool=STORY_POOL,
                                talkers=cast, scene=scene) for s in (2, 2, 3))
    assert _digest(a) == _digest(b) and _digest(a) != _digest(c)
    readers = a.words.attrs["talkers"]
    assert len(readers) == a.words["sentence"].nunique() >= 3
    assert readers[:3] == [t.name for t in cast] and len(set(readers)) == 3
    assert len(a.words.attrs["acoustics"]) == len(readers)


def test_schema_noise_kinds_and_clean_switch() -> None:
    kinds = schema()["$defs"]["acoustics"]["properties"]["noise"]["items"]["enum"]
    assert set(kinds) == set(acoustics.NOISE_KINDS)
    assert ListeningSimulation.from_config({"acoustics": None}).acoustics is None
    assert scene_for(None, "story", "en", 0) is None
    with pytest.raises(ValueError, match="snr_db"):
        AcousticConditions.from_config({"snr_db": [10, 0]})
    with pytest.raises(ValueError, match="noise kinds"):
        acoustics.Scene(replace(NOISY, noise=("hum",)), "en", (), None)
