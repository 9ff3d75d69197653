"""Speech synthesis with espeak-ng: audio, alignment, determinism and Gentle align.json I/O."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from brainlike.simulate import espeak
from brainlike.simulate.languages import (LANGUAGES, generate_sentence, sentence_text,
                                          sentence_words, word_log_frequency)
from brainlike.preprocess.gentle import read_gentle as read_gentle_alignment
from brainlike.simulate.speech import (story_transcript, synthesize_story,
                                       write_gentle_alignment)
from brainlike.simulate.speech_types import PHONEME_COLUMNS, WORD_COLUMNS, Speech

DURATIONS = {"en": 20.0, "fr": 10.0, "zh": 10.0}


@pytest.fixture(scope="module")
def stories() -> dict[str, Speech]:
    return {lang: synthesize_story(lang, DURATIONS[lang], np.random.default_rng(7))
            for lang in LANGUAGES}


def test_audio_is_finite_nonsilent_22050(stories: dict[str, Speech]) -> None:
    for lang, sp in stories.items():
        assert sp.sample_rate == 22050 and sp.language == lang
        assert sp.audio.dtype == np.float32 and sp.audio.ndim == 1
        assert np.isfinite(sp.audio).all()
        assert np.abs(sp.audio).max() <= 1.0
        assert np.sqrt(np.mean(sp.audio**2)) > 1e-2, lang


def test_duration_roughly_as_requested(stories: dict[str, Speech]) -> None:
    for lang, sp in stories.items():
        assert DURATIONS[lang] <= sp.duration < DURATIONS[lang] + 12.0, (lang, sp.duration)


def test_words_monotonic_and_within_audio(stories: dict[str, Speech]) -> None:
    for lang, sp in stories.items():
        w = sp.words
        assert list(w.columns[: len(WORD_COLUMNS)]) == list(WORD_COLUMNS)
        assert len(w) > 5 and (w["language"] == lang).all()
        assert (np.diff(w["onset"]) > 0).all()
        assert (w["offset"] > w["onset"]).all()
        assert (w["offset"].to_numpy()[:-1] <= w["onset"].to_numpy()[1:] + 1e-9).all()
        assert w["onset"].min() > 0 and w["offset"].max() <= sp.duration
        # sentences count up from 0, positions restart at 0 in each sentence
        assert w["sentence"].iloc[0] == 0 and (np.diff(w["sentence"]) >= 0).all()
        assert (w.groupby("sentence")["position"].min() == 0).all()


def test_every_phoneme_belongs_to_its_word(stories: dict[str, Speech]) -> None:
    for lang, sp in stories.items():
        w, p = sp.words, sp.phonemes
        assert list(p.columns) == list(PHONEME_COLUMNS)
        assert len(p) >= len(w)
        assert set(p["word_index"]) == set(range(len(w))), lang  # every word has phonemes
        on = w["onset"].to_numpy()[p["word_index"]]
        off = w["offset"].to_numpy()[p["word_index"]]
        eps = 1e-9
        assert ((p["onset"] >= on - eps) & (p["offset"] <= off + eps)).all()
        assert (p["offset"] > p["onset"]).all()
        assert not p["phoneme"].str.startswith("_").any()
        assert not p["phoneme"].isin(["", ";", "||"]).any()


def test_all_languages_produce_their_words(stories: dict[str, Speech]) -> None:
    assert stories["zh"].words["word"].str.contains(r"[\u4e00-\u9fff]").all()
    assert stories["en"].words["word"].str.fullmatch(r"[A-Za-z]+").all()
    for lang, sp in stories.items():
        for word in sp.words["word"]:
            assert np.isfinite(word_log_frequency(lang, word))


def test_same_seed_same_story_other_seed_differs() -> None:
    a = synthesize_story("en", 4.0, np.random.default_rng(3), voice_variant="f2")
    b = synthesize_story("en", 4.0, np.random.default_rng(3), voice_variant="f2")
    c = synthesize_story("en", 4.0, np.random.default_rng(4), voice_variant="f2")
    assert np.array_equal(a.audio, b.audio)
    assert a.words.equals(b.words) and a.phonemes.equals(b.phonemes)
    assert story_transcript(a) == story_transcript(b)
    assert story_transcript(a) != story_transcript(c)


def test_generate_sentence_is_deterministic_and_spans_match() -> None:
    for lang in LANGUAGES:
        s1 = [generate_sentence(lang, np.random.default_rng(11)) for _ in range(3)]
        s2 = [generate_sentence(lang, np.random.default_rng(11)) for _ in range(3)]
        assert s1 == s2
        text, spans = sentence_text(lang, s1[0])
        assert [text[a:b] for a, b in spans] == sentence_words(s1[0])


def test_gentle_round_trip(stories: dict[str, Speech], tmp_path: Path) -> None:
    for lang, sp in stories.items():
        path = tmp_path / f"{lang}_align.json"
        write_gentle_alignment(sp, story_transcript(sp), path)
        data = json.loads(path.read_text(encoding="utf-8"))
        first = data["words"][0]
        assert first["case"] == "success" and first["alignedWord"] == first["word"].lower()
        assert data["transcript"][first["startOffset"]:first["endOffset"]] == first["word"]
        assert first["phones"][-1]["phone"].rsplit("_", 1)[1] in ("E", "S")
        words, phonemes = read_gentle_alignment(path)
        assert words.attrs["n_not_found"] == 0
        assert list(words["word"]) == list(sp.words["word"])
        np.testing.assert_allclose(words["onset"], sp.words["onset"], atol=1e-3)
        np.testing.assert_allclose(words["offset"], sp.words["offset"], atol=1e-3)
        assert list(phonemes["phoneme"]) == list(sp.phonemes["phoneme"])
        np.testing.assert_allclose(phonemes["onset"], sp.phonemes["onset"], atol=1e-3)


def test_gentle_not_found_words_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "align.json"
    path.write_text(json.dumps({"transcript": "so it goes", "words": [
        {"alignedWord": "so", "case": "success", "start": 0.1, "end": 0.3, "startOffset": 0,
         "endOffset": 2, "word": "so", "phones": [{"duration": 0.1, "phone": "s_B"},
                                                  {"duration": 0.1, "phone": "ow_E"}]},
        {"case": "not-found-in-audio", "startOffset": 3, "endOffset": 5, "word": "it"},
        {"alignedWord": "goes", "case": "success", "start": 0.6, "end": 0.9, "startOffset": 6,
         "endOffset": 10, "word": "goes", "phones": [{"duration": 0.3, "phone": "g_S"}]}]}))
    words, phonemes = read_gentle_alignment(path)
    assert list(words["word"]) == ["so", "goes"] and words.attrs["n_not_found"] == 1
    assert list(phonemes["phoneme"]) == ["s", "ow", "g"]
    assert list(phonemes["word_index"]) == [0, 0, 1]
    np.testing.assert_allclose(phonemes["onset"], [0.1, 0.2, 0.6])


@pytest.mark.parametrize("content", ["{not json", '{"transcript": "x"}', "[1, 2]",
                                     '{"words": [{"case": "success", "start": 1.0}]}'])
def test_malformed_alignment_raises_naming_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "broken_align.json"
    path.write_text(content)
    with pytest.raises(ValueError, match="broken_align.json"):
        read_gentle_alignment(path)


def test_espeak_events_and_errors() -> None:
    syn = espeak.synthesize("The old man walked to the river.", "en-us", rate=170)
    n = len(syn.audio)
    assert n > 0.5 * espeak.SAMPLE_RATE
    samples = [s for _, _, s in syn.word_events]
    assert samples == sorted(samples) and 0 <= samples[0] and samples[-1] < n
    assert syn.phoneme_events[0][0] == "D"  # "The" starts with espeak's /D/
    with pytest.raises(ValueError, match="nosuchvoice"):
        espeak.synthesize("hello", "nosuchvoice")
    with pytest.raises(ValueError, match="zz9"):
        espeak.synthesize("hello", "en-us", variant="zz9")
    with pytest.raises(ValueError, match="xx"):
        synthesize_story("xx", 1.0, np.random.default_rng(0))
    assert set(espeak.SPEAKER_VARIANTS) <= set(espeak.available_variants())


def test_story_and_corpus_pools_never_share_a_sentence() -> None:
    from brainlike.simulate.speech import CORPUS_POOL, STORY_POOL, sentence_pool

    for pool in (STORY_POOL, CORPUS_POOL):
        speech = synthesize_story("fr", 20.0, np.random.default_rng(4), pool=pool)
        sentences = speech.words.groupby("sentence")["word"].apply(list)
        assert len(sentences) >= 2
        assert all(sentence_pool(words) == pool for words in sentences)
