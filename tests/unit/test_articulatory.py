"""Articulatory features: every synthesised phone covered, speaker invariance, sanity, frames."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from brainlike.features.articulatory import (FEATURES, INVENTORIES, articulatory_frames,
                                             articulatory_table, articulatory_vector,
                                             espeak_inventory, table_inventory)
from brainlike.simulate import espeak
from brainlike.simulate.languages import LANGUAGES, default_voice, vocabulary
from brainlike.simulate.speech import _clean_phoneme, _is_pseudo_phoneme, synthesize_story

COL = {name: i for i, name in enumerate(FEATURES)}


def _phones(text: str, voice: str, variant: str | None = None) -> list[str]:
    """The phones espeak speaks for ``text``, named as the synthesiser stores them."""
    events = espeak.synthesize(text, voice, variant=variant).phoneme_events
    return [_clean_phoneme(name) for name, _ in events if not _is_pseudo_phoneme(name)]


@functools.cache
def _produced(language: str) -> frozenset[str]:
    """Every phone the grammar of ``language`` produces: each vocabulary word alone, each
    followed by a vowel-initial word (where English linking r and French liaison consonants
    appear, which words alone never show), and a story of whole sentences."""
    voice, inventory = default_voice(language), espeak_inventory(language)
    table = articulatory_table()
    vowels = set(table.phone[(table.inventory == inventory) & (table.consonant == 0)])
    alone = {word: _phones(word, voice) for word in vocabulary(language)}
    phones = {p for seq in alone.values() for p in seq}
    follower = next((w for w, seq in alone.items() if seq and seq[0] in vowels), None)
    if follower is not None:
        for word in alone:
            phones.update(_phones(f"{word} {follower}", voice))
    story = synthesize_story(language, 30.0, np.random.default_rng(0), voice_variant="m3")
    return frozenset(phones | set(story.phonemes["phoneme"]))


# --- coverage ------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_every_phone_the_grammar_produces_has_a_vector(language):
    inventory = espeak_inventory(language)
    missing = []
    for phone in sorted(_produced(language)):
        try:
            vector = articulatory_vector(phone, inventory)
        except ValueError:
            missing.append(phone)
            continue
        assert vector.shape == (len(FEATURES),) and vector.dtype == np.float64
        assert vector[COL["consonant"]] + vector[COL["vowel"]] >= 1, phone
    assert not missing, f"{inventory} lacks {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_story_reads_as_its_own_inventory(language):
    story = synthesize_story(language, 20.0, np.random.default_rng(3))
    assert table_inventory(story.phonemes["phoneme"]) == espeak_inventory(language)
    inferred = articulatory_frames(story.phonemes, story.duration, 100.0)
    given = articulatory_frames(story.phonemes, story.duration, 100.0,
                                espeak_inventory(language))
    np.testing.assert_array_equal(inferred, given)


def test_the_table_lists_every_inventory_with_graded_vowels():
    table = articulatory_table()
    assert list(table.columns) == ["phone", "inventory", "ipa", *FEATURES]
    assert set(table.inventory) == set(INVENTORIES)
    assert not table.duplicated(["inventory", "phone"]).any()
    vowels = table[table.vowel == 1]
    assert vowels.height.between(0, 1).all() and vowels.backness.between(0, 1).all()
    assert vowels.height.nunique() >= 5 and vowels.backness.nunique() >= 3


# --- speaker invariance --------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_two_voices_give_the_same_feature_sequence_for_the_same_phones(language):
    rate = 1000.0  # every phone spans frames, so a phone's midpoint frame is its own
    stories = [synthesize_story(language, 15.0, np.random.default_rng(5), voice_variant=v)
               for v in ("m3", "f2")]
    assert not np.array_equal(stories[0].audio[:20000], stories[1].audio[:20000])
    per_word = []
    for story in stories:
        frames = articulatory_frames(story.phonemes, story.duration, rate)
        mid = ((story.phonemes.onset + story.phonemes.offset) / 2 * rate).astype(int)
        rows = story.phonemes.assign(row=list(frames[mid.to_numpy()]))
        keys = story.words[["word", "sentence", "position"]].itertuples(index=False, name=None)
        per_word.append({key: rows[rows.word_index == i] for i, key in enumerate(keys)})
    shared = set(per_word[0]) & set(per_word[1])
    compared, retimed = 0, 0
    for key in shared:
        a, b = per_word[0][key], per_word[1][key]
        if list(a.phoneme) != list(b.phoneme):
            continue  # espeak itself spoke the word differently
        np.testing.assert_array_equal(np.stack(a.row), np.stack(b.row), err_msg=str(key))
        compared += 1
        retimed += not np.allclose(a.onset.to_numpy(), b.onset.to_numpy())
    assert compared >= 10 and retimed >= compared // 2


# --- sanity --------------------------------------------------------------------------------

def _differ(a: str, b: str, inventory: str) -> set[str]:
    va, vb = articulatory_vector(a, inventory), articulatory_vector(b, inventory)
    return {FEATURES[i] for i in np.flatnonzero(va != vb)}


@pytest.mark.parametrize("inventory", ["espeak-en", "espeak-fr", "arpabet"])  # cmn has no /b/
def test_p_and_b_differ_only_in_voicing(inventory):
    assert _differ("p", "b", inventory) == {"voiced"}


@pytest.mark.parametrize("inventory, close_front, close_back", [
    ("espeak-en", "i:", "u:"), ("espeak-fr", "i", "u"), ("espeak-cmn", "i", "u"),
    ("arpabet", "IY1", "UW0")])
def test_i_is_close_front_unrounded_and_u_close_back_rounded(inventory, close_front,
                                                             close_back):
    i, u = (articulatory_vector(p, inventory) for p in (close_front, close_back))
    height, back, rounded = COL["height"], COL["backness"], COL["rounded"]
    assert (i[COL["vowel"]], i[height], i[back], i[rounded]) == (1, 0, 0, 0)
    assert (u[COL["vowel"]], u[height], u[back], u[rounded]) == (1, 0, 1, 1)
    assert i[COL["consonant"]] == u[COL["consonant"]] == 0


def test_arpabet_gentle_and_espeak_spellings_agree():
    iy = articulatory_vector("IY1")
    np.testing.assert_array_equal(iy, articulatory_vector("i:", "espeak-en"))
    np.testing.assert_array_equal(iy, articulatory_vector("iy_B"))
    np.testing.assert_array_equal(articulatory_vector("dh_B"), articulatory_vector("DH"))
    np.testing.assert_array_equal(articulatory_vector("D", "espeak-en"),
                                  articulatory_vector("DH"))
    np.testing.assert_array_equal(articulatory_vector("ah_I"), articulatory_vector("AH0"))
    np.testing.assert_array_equal(articulatory_vector("ER1"),
                                  articulatory_vector("3:", "espeak-en"))
    np.testing.assert_array_equal(articulatory_vector("t_E"), articulatory_vector("T", "arpabet"))
    np.testing.assert_array_equal(articulatory_vector("s_S", "arpabet"),
                                  articulatory_vector("s", "espeak-fr"))


@pytest.mark.parametrize("nasal, oral", [("A~", None), ("E~", "E"), ("O~", "O"), ("W~", "W")])
def test_french_nasal_vowels_are_nasalised_oral_ones_not(nasal, oral):
    v = articulatory_vector(nasal, "espeak-fr")
    assert v[COL["vowel"]] == 1 and v[COL["nasalised"]] == 1
    if oral is not None:  # French has no oral [ɑ] phoneme to pair with [ɑ̃]
        assert _differ(nasal, oral, "espeak-fr") == {"nasalised"}
    assert articulatory_vector("a", "espeak-fr")[COL["nasalised"]] == 0


@pytest.mark.parametrize("plain, aspirated", [("p", "ph"), ("t", "th"), ("k", "kh"),
                                              ("ts", "tsh"), ("tS;", "tS;h"), ("ts.", "ts.h")])
def test_mandarin_aspiration_is_its_own_feature(plain, aspirated):
    assert _differ(plain, aspirated, "espeak-cmn") == {"aspirated"}
    assert articulatory_vector("p", "espeak-en")[COL["aspirated"]] == 0


def test_mandarin_tone_is_not_in_the_phones_so_it_has_no_column():
    # ma1 ma2 ma3 ma4 and neutral ma: if espeak ever names tones here, add tone columns.
    spoken = {tuple(_phones(word, default_voice("zh"))) for word in "妈麻马骂吗"}
    assert spoken == {("m", "A")}
    assert not any("tone" in name for name in FEATURES)


def test_diphthongs_average_their_vowels():
    a, i, ai = (articulatory_vector(p, "espeak-cmn") for p in ("a", "i", "ai"))
    assert ai[COL["diphthong"]] == 1 and a[COL["diphthong"]] == i[COL["diphthong"]] == 0
    assert ai[COL["height"]] == pytest.approx((a[COL["height"]] + i[COL["height"]]) / 2)


def test_the_same_label_reads_by_inventory():
    english, french = (articulatory_vector("r", inv) for inv in ("espeak-en", "espeak-fr"))
    assert english[COL["alveolar"]] == 1 and french[COL["uvular"]] == 1
    s_arpabet, s_espeak = articulatory_vector("S", "arpabet"), articulatory_vector("S", "espeak-en")
    assert s_arpabet[COL["alveolar"]] == 1 and s_espeak[COL["postalveolar"]] == 1


# --- errors and frames ---------------------------------------------------------------------

def test_an_unknown_phone_raises_naming_it():
    with pytest.raises(ValueError, match=r"'qq9'.*_IPA"):
        articulatory_vector("qq9")
    with pytest.raises(ValueError, match=r"'A~'.*espeak-en"):
        articulatory_vector("A~", "espeak-en")
    with pytest.raises(ValueError, match="inventory 'ipa'"):
        articulatory_vector("p", "ipa")


def test_a_label_two_inventories_read_differently_needs_one():
    with pytest.raises(ValueError, match=r"'S'.*inventory="):
        articulatory_vector("S")
    with pytest.raises(ValueError, match=r"'r'.*inventory="):
        table_inventory(["s", "t", "r"])
    assert table_inventory(["s", "t"]) is not None


def test_gentle_non_phones_are_silent():
    assert not articulatory_vector("oov").any() and not articulatory_vector("sil_S").any()


def test_frames_hold_each_phone_over_its_interval():
    rate, duration = 50.0, 1.0
    # 0.14 * 50 and 0.58 * 50 are a hair off 7 and 29: a boundary must still start its frame.
    table = pd.DataFrame({"phoneme": ["p", "a", "t"], "onset": [0.0, 0.14, 0.58],
                          "offset": [0.14, 0.58, 0.7]})
    frames = articulatory_frames(table, duration, rate, "espeak-fr")
    expected = np.zeros((50, len(FEATURES)), np.float32)
    for phone, start, stop in (("p", 0, 7), ("a", 7, 29), ("t", 29, 35)):
        expected[start:stop] = articulatory_vector(phone, "espeak-fr")
    assert frames.dtype == np.float32
    np.testing.assert_array_equal(frames, expected)


def test_frames_of_a_gentle_table():
    table = pd.DataFrame({"phoneme": ["dh_B", "ah_E", "oov"], "onset": [0.0, 0.1, 0.2],
                          "offset": [0.1, 0.2, 0.3]})
    frames = articulatory_frames(table, 0.4, 10.0)
    np.testing.assert_array_equal(frames[0], articulatory_vector("DH").astype(np.float32))
    np.testing.assert_array_equal(frames[1], articulatory_vector("AH").astype(np.float32))
    assert not frames[2:].any()


def test_frames_reject_a_table_without_times():
    with pytest.raises(ValueError, match="offset"):
        articulatory_frames(pd.DataFrame({"phoneme": ["p"], "onset": [0.0]}), 1.0, 50.0)
