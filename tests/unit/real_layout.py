"""Small datasets written as the published Narratives is, detail for detail.

fsaverage-style GIfTI (one data array per volume), 44.1 kHz stereo WAV, Gentle's align.json
with per-word ``phones`` ("dh_B" labels with durations), events.tsv with music rows and a
``stim_file`` column, participants.tsv with the real columns (no ``native_language``).
"""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import soundfile as sf

from brainlike.plan.datasets import ListeningDataset

TR = 1.5
N_VERTICES = 30  # a hemisphere
SR = 44100
PARTICIPANT_COLUMNS = ["participant_id", "age", "sex", "task", "condition", "comprehension"]


def dataset(tasks: list[str], stories: dict[str, list[str]] | None = None,
            subjects: tuple[str, ...] = ("sub-001",)) -> ListeningDataset:
    return ListeningDataset.from_config("real", {
        "source": "unused", "subjects": list(subjects), "tasks": tasks,
        "stories": stories or {}, "tr": TR, "max_tail_s": 30.0})


def write_stimulus(root: Path, story: str, seconds: float, phones: bool = True) -> None:
    """A stereo 44.1 kHz WAV and a Gentle alignment of one word a second."""
    rng = np.random.default_rng(len(story))
    audio = 0.1 * rng.standard_normal((int(seconds * SR), 2)).astype(np.float32)
    (root / "stimuli" / "gentle" / story).mkdir(parents=True, exist_ok=True)
    sf.write(root / "stimuli" / f"{story}_audio.wav", audio, SR, subtype="PCM_16")
    words = []
    for k in range(int(seconds) - 1):
        entry = {"alignedWord": "the", "case": "success", "word": "the",
                 "start": k + 0.1, "end": k + 0.5, "startOffset": 4 * k, "endOffset": 4 * k + 3}
        if phones:
            entry["phones"] = [{"duration": 0.2, "phone": "dh_B"},
                               {"duration": 0.2, "phone": "ah_E"}]
        words.append(entry)
    words.append({"case": "not-found-in-audio", "word": "unheard", "startOffset": 0,
                  "endOffset": 7})
    (root / "stimuli" / "gentle" / story / "align.json").write_text(
        json.dumps({"transcript": "...", "words": words}))


def write_events(root: Path, ds: ListeningDataset, subject: str, task: str,
                 rows: list[tuple[float, float, str, str]]) -> None:
    path = root / ds.events(subject, task)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["onset", "duration", "trial_type", "stim_file"]).to_csv(
        path, sep="\t", index=False)


def write_run(root: Path, ds: ListeningDataset, subject: str, task: str, n_volumes: int,
              nan_vertices: slice | None = None, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for hemi in ds.hemis:
        data = rng.standard_normal((n_volumes, N_VERTICES)).astype(np.float32)
        if nan_vertices is not None:
            data[:, nan_vertices] = np.nan
        path = root / ds.surface_data(subject, task, hemi)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = [nib.gifti.GiftiDataArray(v, intent="NIFTI_INTENT_TIME_SERIES",
                                           datatype="NIFTI_TYPE_FLOAT32") for v in data]
        nib.save(nib.gifti.GiftiImage(darrays=arrays), path)


def write_participants(root: Path, subjects: tuple[str, ...]) -> None:
    rows = [[s, 25, "F", "pieman", "n/a", 0.9] for s in subjects]
    pd.DataFrame(rows, columns=PARTICIPANT_COLUMNS).to_csv(root / "participants.tsv", sep="\t",
                                                           index=False)


def write_narratives_copy(root: Path, subjects: list[str], tasks: list[str],
                          n_volumes: int = 34, seconds: float = 30.0) -> None:
    """A copy of the published Narratives layout for ``subjects`` x ``tasks``, every name
    written from the dataset's own conventions (not from the plan), music lead-in included."""
    deriv = root / "derivatives" / "afni-nosmooth"
    rng = np.random.default_rng(1)
    for task in tasks:
        write_stimulus(root, task, seconds)
    for subject in subjects:
        for task in tasks:
            func = root / subject / "func"
            func.mkdir(parents=True, exist_ok=True)
            pd.DataFrame([(0.0, 13.0, "music", f"{task}_audio.wav"),
                          (15.0, seconds, "story", f"{task}_audio.wav")],
                         columns=["onset", "duration", "trial_type", "stim_file"]).to_csv(
                func / f"{subject}_task-{task}_events.tsv", sep="\t", index=False)
            (deriv / subject / "func").mkdir(parents=True, exist_ok=True)
            for hemi in ("L", "R"):
                data = rng.standard_normal((n_volumes, N_VERTICES)).astype(np.float32)
                arrays = [nib.gifti.GiftiDataArray(v, intent="NIFTI_INTENT_TIME_SERIES",
                                                   datatype="NIFTI_TYPE_FLOAT32") for v in data]
                nib.save(nib.gifti.GiftiImage(darrays=arrays),
                         deriv / subject / "func" / (f"{subject}_task-{task}_space-fsaverage6_"
                                                     f"hemi-{hemi}_desc-clean.func.gii"))
    write_participants(root, tuple(subjects))
    (root / "dataset_description.json").write_text(json.dumps(
        {"Name": "Narratives (layout copy)", "BIDSVersion": "1.2.1"}))


#: One label of each ROI the Narratives preset groups, and one it leaves unmapped.
SAMPLE_LABELS = ["G_temp_sup-G_T_transv", "G_temp_sup-Lateral", "G_front_inf-Triangul",
                 "S_calcarine", "G_precentral"]


def write_destrieux_copy(root: Path, files: str) -> None:
    """TemplateFlow-style Destrieux label GIfTIs (``files`` with ``{hemi}``) for a surface of
    :data:`N_VERTICES` a hemisphere, every label name spelled as the atlas spells it."""
    from brainlike.simulate.atlas import DESTRIEUX_LABELS
    from brainlike.simulate.surface import write_label_gifti

    names = dict(enumerate(DESTRIEUX_LABELS))
    for hemi, side in (("L", "left"), ("R", "right")):
        codes = np.resize([DESTRIEUX_LABELS.index(n) for n in SAMPLE_LABELS], N_VERTICES)
        path = root / files.format(hemi=hemi)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_label_gifti(path, codes.astype(np.int32), names, hemi=side)
