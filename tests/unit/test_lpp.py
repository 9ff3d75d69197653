"""The Le Petit Prince layout: real file names, sections by run order, listeners' languages,
the word table (brainlike.preprocess.lpp)."""

from __future__ import annotations

import pytest

from brainlike.errors import InputError
from brainlike.preprocess import lpp

# File names as they are in OpenNeuroDatasets/ds003643 (docs/lpp-layout.md).
REAL = [
    ("stimuli/task-lppEN_section-1.wav", lpp.audio("EN", 1)),
    ("stimuli/task-lppFR_section_9.wav", lpp.audio("FR", 9)),
    ("stimuli/task-lppCN_section_4.wav", lpp.audio("CN", 4)),
    ("annotation/FR/lppFR_section3.TextGrid", lpp.textgrid("FR", 3)),
    ("annotation/CN/lppCN_word_information.csv", lpp.word_information("CN")),
    (("derivatives/sub-EN057/func/sub-EN057_task-lppEN_run-15_space-MNIColin27_desc-preproc"
      "_bold.nii.gz"), lpp.bold("sub-EN057", 15)),
    (("derivatives/sub-CN001/func/sub-CN001_task-lppCN_run-04_space-MNIColin27_desc-preproc"
      "_bold.nii.gz"), lpp.bold("sub-CN001", 4)),
    ("sub-FR001/func/sub-FR001_task-lppFR_run-01_echo-1_bold.json", lpp.sidecar("sub-FR001", 1)),
]


@pytest.mark.parametrize("real, ours", REAL)
def test_paths_match_the_real_dataset(real, ours):
    assert ours == real


def test_stories_and_languages():
    assert lpp.story("FR", 3) == "lppFR_section3"
    assert lpp.parse_story("lppCN_section9") == ("CN", 9)
    assert lpp.listener_language("sub-CN035") == "zh"
    assert lpp.listener_language("sub-EN057") == "en"
    with pytest.raises(ValueError, match="not a Le Petit Prince subject"):
        lpp.listener_language("sub-001")
    with pytest.raises(ValueError, match="section"):
        lpp.audio("EN", 10)


def _touch_runs(root, subject, labels):
    for run in labels:
        path = root / lpp.bold(subject, run)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


def test_sections_follow_run_order_not_run_labels(tmp_path):
    # sub-EN061's real run labels: they skip 10 and 15-18
    labels = [9, 11, 12, 13, 14, 19, 20, 21, 22]
    _touch_runs(tmp_path, "sub-EN061", labels)
    (tmp_path / lpp.derivative_dir("sub-EN061") / "notes.txt").write_text("not a run")
    assert lpp.section_runs(tmp_path, "sub-EN061") == dict(zip(range(1, 10), labels))


def test_a_missing_run_is_an_error(tmp_path):
    _touch_runs(tmp_path, "sub-FR003", range(1, 9))
    with pytest.raises(InputError, match="8 preprocessed runs") as err:
        lpp.section_runs(tmp_path, "sub-FR003")
    assert "sub-FR003" in str(err.value)
    with pytest.raises(InputError, match="no derivatives folder"):
        lpp.section_runs(tmp_path, "sub-FR004")


def test_a_run_of_another_language_is_an_error(tmp_path):
    folder = tmp_path / lpp.derivative_dir("sub-FR001")
    folder.mkdir(parents=True)
    (folder / "sub-FR001_task-lppEN_run-01_space-MNIColin27_desc-preproc_bold.nii.gz").write_bytes(
        b"")
    with pytest.raises(InputError, match="lppFR listener"):
        lpp.section_runs(tmp_path, "sub-FR001", sections=(1,))


def test_expected_volumes_cover_the_dataset_counts():
    # README of ds003643: audio seconds and preprocessed volumes of sections 1 and 6
    for lang, seconds, volumes in [("CN", 564.9, 283), ("EN", 554.7, 282), ("FR", 613.5, 309),
                                   ("CN", 782.9, 392), ("EN", 678.1, 343), ("FR", 750.4, 378)]:
        low, high = lpp.expected_volumes(lang, seconds)
        assert low <= volumes <= high


def test_participant_languages_from_ids_with_bom(tmp_path):
    path = tmp_path / "participants.tsv"
    path.write_text("\ufeffparticipant_id\tage\tsex\tcorrect_quiz_questions\t"
                    "total_quiz_questions\nsub-CN001\t18\tF\t31\t36\nsub-EN057\t21\tM\t30\t36\n"
                    "sub-FR030\t27\tM\tn/a\tn/a", encoding="utf-8")
    assert lpp.participant_languages(path) == {"sub-CN001": "zh", "sub-EN057": "en",
                                               "sub-FR030": "fr"}
    path.write_text("participant_id\tage\nsub-001\t20\n")
    with pytest.raises(InputError, match="sub-001") as err:
        lpp.participant_languages(path)
    assert str(path) in str(err.value)


WORDS = """word,lemma,onset,offset,section,logfreq
Lorsque,lorsque,0.5,0.9,1,3.2
,,0.9,0.9,1,
 ,,0.9,0.9,1,
j',je,0.9,1.0,1,4.1
avais,avoir,1.0,1.3,1,4.5
six,six,0.2,0.4,2,3.9
NA,na,0.5,0.6,2,2.0
"""


def test_word_information_one_section(tmp_path):
    path = tmp_path / "lppFR_word_information.csv"
    path.write_text(WORDS)
    words, phonemes = lpp.read_word_information(path, 1)
    assert words["word"].tolist() == ["Lorsque", "j'", "avais"]  # the blank row is no word
    assert words["onset"].tolist() == [0.5, 0.9, 1.0]
    assert list(words.columns[:5]) == ["word", "onset", "offset", "sentence", "position"]
    assert words["lemma"].tolist() == ["lorsque", "je", "avoir"]
    assert words["logfreq"].tolist() == [3.2, 4.1, 4.5]
    assert phonemes.empty and list(phonemes.columns) == ["phoneme", "onset", "offset",
                                                         "word_index"]
    # "NA" is a word, not a missing value
    assert lpp.read_word_information(path, 2)[0]["word"].tolist() == ["six", "NA"]


@pytest.mark.parametrize("text, problem", [
    ("word,onset,offset\na,0,1\n", "lacks columns"),
    ("word,onset,offset,section\na,0.5,0.2,1\n", "ends before"),
    ("word,onset,offset,section\na,,0.2,1\n", "without onset"),
    ("word,onset,offset,section\na,0.1,0.2,2\n", "no words of section 1"),
])
def test_word_information_errors(tmp_path, text, problem):
    path = tmp_path / "words.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=problem) as err:
        lpp.read_word_information(path, 1)
    assert str(path) in str(err.value)
