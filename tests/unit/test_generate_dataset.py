"""The generated Narratives-like dataset and training corpus: layout, consistency, determinism."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from brainlike.plan.datasets import Corpus, ListeningDataset, ListeningSimulation
from brainlike.simulate.corpus import build_corpus
from brainlike.simulate.narratives import build_listening_dataset
from brainlike.preprocess.audio import audio_duration
from brainlike.preprocess.gentle import read_gentle
from brainlike.preprocess.responses import RunCheck, check_run_length, read_func_gifti

_SIM = {"languages": ["en", "zh"], "stories_per_language": 1, "story_minutes": 0.25,
        "subjects_per_language": 1, "surface_level": 2}
SIM = ListeningSimulation.from_config(_SIM)
DATASET = ListeningDataset.from_config("tiny", {
    "source": "unused", "subjects": SIM.subjects, "tasks": SIM.tasks, "simulate": _SIM,
    "rois": "derivatives/groundtruth/tpl-icosphere_hemi-{hemi}_desc-rois.label.gii",
    "groundtruth": True})


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    build_listening_dataset(DATASET, seed=3, root=root)
    return root


def test_layout_has_every_file_the_loaders_need(dataset: Path) -> None:
    for path in DATASET.files_to_get():
        assert (dataset / path).is_file(), path
    participants = pd.read_csv(dataset / "participants.tsv", sep="\t")
    assert list(participants["native_language"]) == ["en", "zh"]
    description = json.loads((dataset / "dataset_description.json").read_text())
    assert description["BIDSVersion"]


def test_runs_agree_with_events_audio_and_alignment(dataset: Path) -> None:
    for subject, task in DATASET.runs():
        events = pd.read_csv(dataset / DATASET.events(subject, task), sep="\t")
        onset, duration = float(events["onset"][0]), float(events["duration"][0])
        assert onset == pytest.approx(SIM.lead_in_trs * DATASET.tr)
        audio = audio_duration(dataset / DATASET.audio(task))
        assert duration == pytest.approx(audio, abs=1e-3)
        words, phonemes = read_gentle(dataset / DATASET.alignment(task))
        assert words["offset"].max() <= audio and len(phonemes) > len(words)
        assert (words["sentence"] >= 0).all() and (words["position"] >= 0).all()
        for hemi in DATASET.hemis:
            data = read_func_gifti(dataset / DATASET.surface_data(subject, task, hemi))
            assert data.shape[1] == 162  # icosphere level 2
            check_run_length("run", data.shape[0], RunCheck(DATASET.tr, onset + audio,
                                                             DATASET.max_tail_s))


def test_groundtruth_is_per_vertex_and_high_roi_depends_on_native_language(
        dataset: Path) -> None:
    truth = {s: pd.read_csv(dataset / DATASET.groundtruth_table(s), sep="\t")
             for s in DATASET.subjects}
    for frame in truth.values():
        assert len(frame) == 2 * 162
        assert set(frame["hemi"]) == {"L", "R"}
        assert (frame.loc[frame["roi_name"] == "control", "snr"] == 0).all()
        assert (frame.loc[frame["roi_name"] == "early_auditory", "snr"] > 0).all()
    cross = pd.read_csv(dataset / "derivatives/groundtruth/desc-drivers_crosscorr.tsv", sep="\t")
    # Recorded before and as planted; the default world centres rather than residualises.
    assert set(cross["stage"]) == {"raw", "planted"}
    assert cross["max_abs_r"].between(0, 1).all()
    assert set(cross["native_language"]) == {"en", "zh"}


def test_generation_is_deterministic(dataset: Path, tmp_path: Path) -> None:
    build_listening_dataset(DATASET, seed=3, root=tmp_path)
    assert _digest(tmp_path) == _digest(dataset)


def test_corpus_layout_and_determinism(tmp_path: Path) -> None:
    corpus = Corpus.from_config("c", {
        "source": "unused", "collections": ["fr", "nonspeech"],
        "simulate": {"hours": {"fr": 0.01, "nonspeech": 0.005}, "speakers": 2,
                     "chapter_minutes": 0.2}})
    first = build_corpus(corpus, seed=5, root=tmp_path / "a", workers=1)
    build_corpus(corpus, seed=5, root=tmp_path / "b", workers=2)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert first["seconds"]["fr"] >= 0.01 * 3600 * 0.9
    wavs = sorted((tmp_path / "a" / "fr").glob("*/*.wav"))
    assert len({w.parent.name for w in wavs}) == 2  # two speakers
    assert all(w.with_name(w.stem + ".align.json").exists() for w in wavs)
    assert not list((tmp_path / "a" / "nonspeech").glob("*/*.align.json"))
