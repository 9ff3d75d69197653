"""Gentle align.json parsing (brainlike.preprocess.gentle)."""

from __future__ import annotations

import json
import logging

import pytest

from brainlike.errors import InputError
from brainlike.preprocess.gentle import read_gentle

ALIGN = {
    "transcript": "the cat um sat",
    "words": [
        {"alignedWord": "the", "case": "success", "word": "The", "start": 0.5, "end": 0.7,
         "startOffset": 0, "endOffset": 3,
         "phones": [{"duration": 0.05, "phone": "dh_B"}, {"duration": 0.15, "phone": "ah_E"}]},
        {"alignedWord": "cat", "case": "success", "word": "cat", "start": 0.8, "end": 1.1,
         "startOffset": 4, "endOffset": 7,
         "phones": [{"duration": 0.1, "phone": "k_B"}, {"duration": 0.12, "phone": "ae_I"},
                    {"duration": 0.08, "phone": "t_E"}]},
        {"case": "not-found-in-audio", "word": "um", "startOffset": 8, "endOffset": 10},
        {"alignedWord": "sat", "case": "success", "word": "sat", "start": 1.3, "end": 1.6,
         "startOffset": 11, "endOffset": 14,
         "phones": [{"duration": 0.1, "phone": "s_B"}, {"duration": 0.1, "phone": "ae_I"},
                    {"duration": 0.1, "phone": "t_E"}]},
        {"alignedWord": "a", "case": "success", "word": "a", "start": 1.7, "end": 1.8,
         "phones": [{"duration": 0.1, "phone": "ah_S"}]},
        {"alignedWord": "<oov>", "case": "success", "word": "hmm", "start": 1.9, "end": 2.0,
         "phones": [{"duration": 0.1, "phone": "oov"}]},
    ],
}


def _write(tmp_path, doc, name="align.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


def test_words(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="brainlike.preprocess.gentle"):
        words, _ = read_gentle(_write(tmp_path, ALIGN))
    assert list(words.columns) == ["word", "onset", "offset", "sentence", "position"]
    assert words["word"].tolist() == ["The", "cat", "sat", "a", "hmm"]  # "um" skipped
    assert words["onset"].tolist() == pytest.approx([0.5, 0.8, 1.3, 1.7, 1.9])
    assert words["offset"].tolist() == pytest.approx([0.7, 1.1, 1.6, 1.8, 2.0])
    assert words["sentence"].tolist() == [-1] * 5
    assert words["position"].tolist() == [-1] * 5
    assert "1 of 6 words" in caplog.text


def test_phonemes(tmp_path):
    words, phonemes = read_gentle(_write(tmp_path, ALIGN))
    assert list(phonemes.columns) == ["phoneme", "onset", "offset", "word_index"]
    assert phonemes["phoneme"].tolist() == ["dh", "ah", "k", "ae", "t", "s", "ae", "t", "ah",
                                            "oov"]
    # onsets accumulate the durations from the word's start
    assert phonemes["onset"].tolist() == pytest.approx(
        [0.5, 0.55, 0.8, 0.9, 1.02, 1.3, 1.4, 1.5, 1.7, 1.9])
    assert phonemes["offset"].tolist() == pytest.approx(
        [0.55, 0.7, 0.9, 1.02, 1.1, 1.4, 1.5, 1.6, 1.8, 2.0])
    assert phonemes["word_index"].tolist() == [0, 0, 1, 1, 1, 2, 2, 2, 3, 4]
    # word_index is a row of words: "sat" is row 2 although it was entry 3 in the file
    sat = phonemes[phonemes["word_index"] == 2]
    assert words.loc[2, "word"] == "sat"
    assert sat["onset"].min() == pytest.approx(words.loc[2, "onset"])
    assert sat["offset"].max() == pytest.approx(words.loc[2, "offset"])


def test_sentence_and_position_read_when_present(tmp_path):
    doc = {"words": [
        {"case": "success", "word": "a", "start": 0.0, "end": 0.2, "sentence": 0, "position": 0,
         "phones": []},
        {"case": "success", "word": "b", "start": 0.3, "end": 0.4, "sentence": 0, "position": 1},
        {"case": "success", "word": "c", "start": 0.6, "end": 0.9, "sentence": 1, "position": 0},
        {"case": "success", "word": "d", "start": 1.0, "end": 1.1},
    ]}
    words, phonemes = read_gentle(_write(tmp_path, doc))
    assert words["sentence"].tolist() == [0, 0, 1, -1]
    assert words["position"].tolist() == [0, 1, 0, -1]
    assert phonemes.empty
    assert list(phonemes.columns) == ["phoneme", "onset", "offset", "word_index"]


def test_invalid_json(tmp_path):
    path = _write(tmp_path, '{"words": [', "broken.json")
    with pytest.raises(InputError, match="not valid JSON") as err:
        read_gentle(path)
    assert str(path) in str(err.value)


def test_missing_words_key(tmp_path):
    path = _write(tmp_path, {"transcript": "x", "segments": []}, "other.json")
    with pytest.raises(InputError, match="'words'") as err:
        read_gentle(path)
    assert str(path) in str(err.value)


def test_top_level_list_is_rejected(tmp_path):
    path = _write(tmp_path, [1, 2, 3], "list.json")
    with pytest.raises(InputError) as err:
        read_gentle(path)
    assert str(path) in str(err.value)


def test_word_ending_before_start(tmp_path):
    doc = {"words": [{"case": "success", "word": "ok", "start": 0.0, "end": 0.2},
                     {"case": "success", "word": "bad", "start": 1.0, "end": 0.9}]}
    path = _write(tmp_path, doc, "backwards.json")
    with pytest.raises(InputError, match="ends before it starts") as err:
        read_gentle(path)
    assert str(path) in str(err.value)
    assert "'bad'" in str(err.value)


def test_malformed_entry(tmp_path):
    path = _write(tmp_path, {"words": [{"case": "success", "start": 0.0, "end": 1.0}]})
    with pytest.raises(InputError, match="malformed") as err:
        read_gentle(path)
    assert str(path) in str(err.value)


def test_no_aligned_words(tmp_path):
    path = _write(tmp_path, {"words": [{"case": "not-found-in-audio", "word": "x"}]})
    with pytest.raises(InputError, match="no aligned words"):
        read_gentle(path)


def test_missing_file(tmp_path):
    path = tmp_path / "absent.json"
    with pytest.raises(InputError, match="missing") as err:
        read_gentle(path)
    assert str(path) in str(err.value)
