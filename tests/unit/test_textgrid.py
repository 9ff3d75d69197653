"""Praat TextGrids: long and short text formats, UTF-16, tier choice, the frames read_gentle
returns (brainlike.preprocess.textgrid)."""

from __future__ import annotations

import pytest

from brainlike.errors import InputError
from brainlike.preprocess.gentle import read_gentle
from brainlike.preprocess.textgrid import Tier, read_textgrid, read_tiers, write_textgrid

LONG = '''File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0 
xmax = 3.5 
tiers? <exists> 
size = 1 
item []: 
    item [1]:
        class = "IntervalTier" 
        name = "lppFR_section1" 
        xmin = 0 
        xmax = 3.5 
        intervals: size = 6 
        intervals [1]:
            xmin = 0 
            xmax = 0.5 
            text = "" 
        intervals [2]:
            xmin = 0.5 
            xmax = 0.9 
            text = "Lorsque" 
        intervals [3]:
            xmin = 0.9 
            xmax = 1.25 
            text = "j'avais" 
        intervals [4]:
            xmin = 1.25 
            xmax = 1.8 
            text = "#" 
        intervals [5]:
            xmin = 1.8 
            xmax = 2.4 
            text = "dit ""six"" ans" 
        intervals [6]:
            xmin = 2.4 
            xmax = 3.5 
            text = "sil" 
'''

SHORT = '''File type = "ooTextFile"
Object class = "TextGrid"

0
2
<exists>
2
"IntervalTier"
"words"
0
2
2
0
1.5
"小王子"
1.5
2
""
"IntervalTier"
"phones"
0
2
3
0
0.7
"x"
0.7
1.5
"iao"
1.5
2
""
'''


def test_long_format_single_tier_with_any_name(tmp_path):
    path = tmp_path / "lppFR_section1.TextGrid"
    path.write_text(LONG, encoding="utf-8")
    words, phonemes = read_textgrid(path)
    assert words["word"].tolist() == ["Lorsque", "j'avais", 'dit "six" ans']
    assert words["onset"].tolist() == [0.5, 0.9, 1.8]
    assert words["offset"].tolist() == [0.9, 1.25, 2.4]
    assert (words["sentence"] == -1).all() and (words["position"] == -1).all()
    assert phonemes.empty
    # the same frames as a Gentle alignment, so the stimulus step takes either
    gentle_words, gentle_phones = read_gentle(_gentle(tmp_path))
    assert list(words.columns) == list(gentle_words.columns)
    assert list(phonemes.columns) == list(gentle_phones.columns)


def _gentle(tmp_path):
    path = tmp_path / "align.json"
    path.write_text('{"words": [{"word": "a", "case": "success", "start": 0.1, "end": 0.2,'
                    ' "phones": [{"phone": "ah_S", "duration": 0.1}]}]}')
    return path


def test_short_format_utf16_with_phones(tmp_path):
    path = tmp_path / "lppCN_section1.TextGrid"
    path.write_text(SHORT, encoding="utf-16")  # Praat's choice for non-ASCII labels
    assert path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    words, phonemes = read_textgrid(path)
    assert words["word"].tolist() == ["小王子"]
    assert phonemes["phoneme"].tolist() == ["x", "iao"]
    assert phonemes["word_index"].tolist() == [0, 0]
    assert phonemes["offset"].tolist() == [0.7, 1.5]


def test_long_and_short_formats_read_the_same(tmp_path):
    tiers = [Tier("words", "IntervalTier", [(0.25, 0.5, "le"), (0.5, 1.0, "petit")])]
    write_textgrid(tmp_path / "long.TextGrid", tiers, 1.5)
    short = ('File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n1.5\n<exists>\n1\n'
             '"IntervalTier"\n"words"\n0\n1.5\n4\n0\n0.25\n""\n0.25\n0.5\n"le"\n0.5\n1\n'
             '"petit"\n1\n1.5\n""\n')
    (tmp_path / "short.TextGrid").write_text(short)
    assert read_tiers(tmp_path / "long.TextGrid") == read_tiers(tmp_path / "short.TextGrid")


def test_write_then_read_round_trip_in_utf16(tmp_path):
    tier = Tier("words", "IntervalTier", [(0.1, 0.4, "élève"), (0.4, 0.45, "#"),
                                          (0.45, 0.9, "à")])
    path = tmp_path / "fr.TextGrid"
    write_textgrid(path, [tier], 1.0, encoding="utf-16")
    words, _ = read_textgrid(path)
    assert words["word"].tolist() == ["élève", "à"]
    (back,) = read_tiers(path)
    # gaps were filled with empty intervals so the tier covers [0, xmax]
    assert back.intervals[0] == (0.0, 0.1, "") and back.intervals[-1] == (0.9, 1.0, "")


def test_several_tiers_pick_the_named_one(tmp_path):
    tiers = [Tier("speaker", "IntervalTier", [(0.0, 1.0, "narrator")]),
             Tier("words", "IntervalTier", [(0.0, 0.5, "hello")])]
    write_textgrid(tmp_path / "t.TextGrid", tiers, 1.0)
    assert read_textgrid(tmp_path / "t.TextGrid")[0]["word"].tolist() == ["hello"]
    assert read_textgrid(tmp_path / "t.TextGrid", word_tier="speaker")[0]["word"].tolist() == [
        "narrator"]


def test_several_unnamed_tiers_is_an_error(tmp_path):
    tiers = [Tier("a", "IntervalTier", [(0.0, 1.0, "x")]),
             Tier("b", "IntervalTier", [(0.0, 1.0, "y")])]
    write_textgrid(tmp_path / "t.TextGrid", tiers, 1.0)
    with pytest.raises(InputError, match="no word tier"):
        read_textgrid(tmp_path / "t.TextGrid")


@pytest.mark.parametrize("text, problem", [
    ("just some text", "not a Praat TextGrid"),
    (LONG[: LONG.index("intervals [4]")], "ends early"),
    (LONG.replace('text = "Lorsque"', "text = 3"), "where a label should be"),
    (LONG.replace('"Lorsque"', '""').replace('"j\'avais"', '""').replace('"dit ""six"" ans"',
                                                                           '""'), "no words"),
])
def test_malformed_textgrids(tmp_path, text, problem):
    path = tmp_path / "bad.TextGrid"
    path.write_text(text)
    with pytest.raises(InputError, match=problem) as err:
        read_textgrid(path)
    assert str(path) in str(err.value)


def test_missing_and_undecodable(tmp_path):
    with pytest.raises(InputError, match="missing"):
        read_textgrid(tmp_path / "absent.TextGrid")
    path = tmp_path / "latin1.TextGrid"
    path.write_bytes(LONG.replace("Lorsque", "élève").encode("latin-1"))
    with pytest.raises(InputError, match="neither UTF-16"):
        read_textgrid(path)
