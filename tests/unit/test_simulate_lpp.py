"""The generated Le Petit Prince layout: deterministic, and read back by the LPP readers
(brainlike.simulate.lpp with brainlike.preprocess.{lpp, volumes, textgrid})."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from brainlike.hrf import convolve_and_sample
from brainlike.preprocess import lpp
from brainlike.preprocess.audio import audio_duration, read_audio
from brainlike.preprocess.textgrid import read_textgrid
from brainlike.preprocess.volumes import (read_atlas, read_atlas_names, read_bold, read_mask,
                                          read_tr, voxel_table)
from brainlike.simulate.lpp import ATLAS, ATLAS_NAMES, MASK, LppSimulation, build_lpp_dataset

SIM = LppSimulation(section_seconds=20.0)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("lpp")
    return root, build_lpp_dataset(root, seed=5, sim=SIM)


def _digests(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_data(dataset, tmp_path):
    root, summary = dataset
    again = build_lpp_dataset(tmp_path / "again", seed=5, sim=SIM)
    assert again == summary
    assert _digests(tmp_path / "again") == _digests(root)
    other = build_lpp_dataset(tmp_path / "other", seed=6, sim=SIM)
    assert other["subjects"] == summary["subjects"]
    mine, theirs = _digests(root), _digests(tmp_path / "other")
    assert mine.keys() == theirs.keys()
    assert mine[lpp.audio("FR", 1)] != theirs[lpp.audio("FR", 1)]


def test_layout_subjects_languages_and_sections(dataset):
    root, summary = dataset
    assert summary["subjects"] == ["sub-EN057", "sub-EN058", "sub-FR001", "sub-FR002",
                                   "sub-CN001", "sub-CN002"]
    assert lpp.participant_languages(root / "participants.tsv") == {
        "sub-EN057": "en", "sub-EN058": "en", "sub-FR001": "fr", "sub-FR002": "fr",
        "sub-CN001": "zh", "sub-CN002": "zh"}
    assert (root / "participants.tsv").read_bytes().startswith(b"\xef\xbb\xbf")
    header = (root / "participants.tsv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert tuple(header.split("\t")) == lpp.PARTICIPANT_COLUMNS
    assert not list(root.rglob("*events.tsv"))  # as in the real dataset
    for subject in summary["subjects"]:
        runs = lpp.section_runs(root, subject, sections=(1, 2))
        assert runs == summary["runs"][subject]
    # every other subject's run labels skip a number, as after a break in the scanner
    assert lpp.section_runs(root, "sub-FR002", sections=(1, 2)) == {1: 2, 2: 4}
    assert (root / lpp.textgrid("CN", 2)).read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")


def test_runs_read_back_with_their_tr_and_length(dataset):
    root, summary = dataset
    mask, affine = read_mask(root / MASK)
    for subject, runs in summary["runs"].items():
        lang = lpp.dataset_language(subject)
        for section, run in runs.items():
            bold = root / lpp.bold(subject, run)
            assert read_tr(root / lpp.sidecar(subject, run), bold) == SIM.tr
            out = read_bold(bold, mask, affine)
            assert out.data.shape == (summary["volumes"][lpp.story(lang, section)],
                                      int(mask.sum()))
            assert np.isfinite(out.data).all() and (out.data.std(axis=0) > 0).all()
            low, high = lpp.expected_volumes(lang, audio_duration(root / lpp.audio(lang, section)))
            assert low <= out.data.shape[0] <= high


def test_annotations_agree_with_each_other_and_the_audio(dataset):
    root, _ = dataset
    for lang in SIM.languages:
        for section in (1, 2):
            words, phonemes = read_textgrid(root / lpp.textgrid(lang, section))
            table, _ = lpp.read_word_information(root / lpp.word_information(lang), section)
            assert phonemes.empty
            assert words["word"].tolist() == table["word"].tolist()
            np.testing.assert_allclose(words["onset"], table["onset"], atol=1e-3)
            assert words["offset"].max() <= audio_duration(root / lpp.audio(lang, section))
            assert len(words) > 10


def test_auditory_voxels_follow_the_loudness(dataset):
    root, summary = dataset
    mask, affine = read_mask(root / MASK)
    labels, _ = read_atlas(root / ATLAS)
    table = voxel_table(mask, affine, labels, read_atlas_names(root / ATLAS_NAMES))
    auditory = (table["roi_name"] == "auditory").to_numpy()
    assert 0 < auditory.sum() < len(table)
    audio, sr = read_audio(root / lpp.audio("FR", 1))
    hop = sr // 100
    env = np.abs(audio[: len(audio) // hop * hop]).reshape(-1, hop).mean(axis=1)
    data = read_bold(root / lpp.bold("sub-FR001", summary["runs"]["sub-FR001"][1]), mask,
                     affine).data
    predicted = convolve_and_sample(env[:, None], 100, SIM.tr, data.shape[0])[:, 0]
    r_auditory = np.corrcoef(predicted, data[:, auditory].mean(axis=1))[0, 1]
    r_other = np.corrcoef(predicted, data[:, ~auditory].mean(axis=1))[0, 1]
    assert r_auditory > 0.5
    assert r_auditory > r_other
