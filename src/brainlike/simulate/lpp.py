"""A small dataset in the layout of Le Petit Prince (OpenNeuro ds003643), for tests.

What the real dataset has, in its file names and formats (docs/lpp-layout.md): per-language
listeners (sub-EN057.., sub-FR001.., sub-CN001..), participants.tsv with its real columns
(and its byte-order mark), per-section audio whose English names differ (``section-1`` vs
``section_1``), a single-tier word TextGrid per section (UTF-16 for French and Mandarin, as
Praat writes non-ASCII labels) and a word table for all sections, preprocessed 4-D runs in
MNI space whose run labels are scanner series numbers (they start late and skip numbers),
no events.tsv, the TR only in the raw runs' per-echo JSON sidecars. The raw echo images
themselves and the other annotation tables are left out.

Not in the real dataset, so under ``derivatives/groundtruth/``: a brain mask and a two-region
atlas on the runs' grid. Voxels inside the brain follow the HRF-convolved loudness of the
section a little (the "auditory" region more) plus noise; outside it they are zero, as in
the real skull-stripped derivatives. Everything is drawn from ``seed``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import soundfile as sf

from brainlike.hrf import convolve_and_sample
from brainlike.preprocess import lpp
from brainlike.preprocess.textgrid import Tier, write_textgrid
from brainlike.simulate.speech import STORY_POOL, synthesize_story

log = logging.getLogger(__name__)

#: First subject number and first run label per language, as in the real dataset.
FIRST_SUBJECT = {"EN": 57, "FR": 1, "CN": 1}
FIRST_RUN = {"EN": 15, "FR": 1, "CN": 4}
ECHO_TIMES = (0.0128, 0.0275, 0.043)
MASK = "derivatives/groundtruth/tpl-MNIColin27_desc-brain_mask.nii.gz"
ATLAS = "derivatives/groundtruth/tpl-MNIColin27_desc-rois_dseg.nii.gz"
ATLAS_NAMES = "derivatives/groundtruth/tpl-MNIColin27_desc-rois_dseg.tsv"
ROI_NAMES = {1: "auditory", 2: "other"}
_ENVELOPE_HZ = 100


@dataclass(frozen=True)
class LppSimulation:
    """Size of the generated dataset; grid: (x, y, z) voxels of ``voxel_mm``."""

    languages: tuple[str, ...] = ("EN", "FR", "CN")
    subjects_per_language: int = 2
    sections: int = 2
    section_seconds: float = 30.0
    grid: tuple[int, int, int] = (8, 8, 6)
    voxel_mm: float = 2.0
    tr: float = lpp.TR
    auditory_gain: float = 1.0
    other_gain: float = 0.2


def subjects(sim: LppSimulation) -> list[str]:
    return [f"sub-{lang}{FIRST_SUBJECT[lang] + i:03d}" for lang in sim.languages
            for i in range(sim.subjects_per_language)]


def run_labels(sim: LppSimulation, index: int, language: str) -> list[int]:
    """Run labels of a language's ``index``-th subject: every other subject skips a label
    after its first run, as scanner series numbers do after a break."""
    start = FIRST_RUN[language] + index
    labels = [start + k for k in range(sim.sections)]
    if index % 2 == 1:
        labels = labels[:1] + [r + 1 for r in labels[1:]]
    return labels


def grid_affine(sim: LppSimulation) -> np.ndarray:
    """2-D voxel size on the diagonal, the grid centred on the origin (x < 0: left)."""
    affine = np.diag([sim.voxel_mm] * 3 + [1.0])
    affine[:3, 3] = -(np.asarray(sim.grid) - 1) / 2.0 * sim.voxel_mm
    return affine


def brain_regions(sim: LppSimulation) -> np.ndarray:
    """(x, y, z) int labels: 0 outside an ellipsoidal brain, 1 its lateral lower voxels
    ("auditory"), 2 the rest."""
    axes = [np.linspace(-1, 1, n) for n in sim.grid]
    x, y, z = np.meshgrid(*axes, indexing="ij")
    inside = x**2 + y**2 + z**2 <= 1.0
    auditory = inside & (np.abs(x) >= 0.5) & (z <= 0.2)
    return np.where(auditory, 1, np.where(inside, 2, 0)).astype(np.int16)


def _envelope(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """(frames,) mean absolute amplitude per 1/100 s."""
    hop = sample_rate // _ENVELOPE_HZ
    n = len(audio) // hop
    return np.abs(audio[: n * hop]).reshape(n, hop).mean(axis=1)


def _section_words(speech_words: pd.DataFrame, section: int) -> tuple[Tier, pd.DataFrame]:
    """The section's word tier ("#" in the pauses between sentences) and word-table rows."""
    intervals = [(float(r.onset), float(r.offset), str(r.word))
                 for r in speech_words.itertuples()]
    ends = speech_words.groupby("sentence")["offset"].max().to_numpy()
    starts = speech_words.groupby("sentence")["onset"].min().to_numpy()
    intervals += [(float(a), float(b), "#") for a, b in zip(ends[:-1], starts[1:]) if b > a]
    table = pd.DataFrame({"word": speech_words["word"].astype(str),
                          "lemma": speech_words["word"].astype(str).str.lower(),
                          "onset": speech_words["onset"].round(3),
                          "offset": speech_words["offset"].round(3), "section": section})
    # The real tables hold a few rows whose word is a blank.
    blank = pd.DataFrame({"word": [" "], "lemma": [" "], "onset": [table["offset"].iloc[-1]],
                          "offset": [table["offset"].iloc[-1]], "section": [section]})
    return Tier("words", "IntervalTier", intervals), pd.concat([table, blank], ignore_index=True)


def _write_bold(path: Path, data: np.ndarray, affine: np.ndarray, tr: float) -> None:
    """data: (x, y, z, volumes) float32, with the TR in the header (pixdim[4], seconds)."""
    img = nib.Nifti1Image(data.astype(np.float32), affine)
    img.header.set_xyzt_units("mm", "sec")
    img.header.set_zooms(tuple(float(z) for z in img.header.get_zooms()[:3]) + (tr,))
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(img, path)


def _write_json(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=4) + "\n")


def build_lpp_dataset(root: str | Path, seed: int,
                      sim: LppSimulation = LppSimulation()) -> dict:
    """Write the dataset under ``root``; return what was made (subjects, runs, volumes)."""
    root = Path(root)
    if not 1 <= sim.sections <= len(lpp.SECTIONS):
        raise ValueError(f"sections must be 1..{len(lpp.SECTIONS)}, found {sim.sections}")
    unknown = set(sim.languages) - set(lpp.LANGUAGES)
    if unknown:
        raise ValueError(f"unknown languages {sorted(unknown)}; expected {sorted(lpp.LANGUAGES)}")
    affine = grid_affine(sim)
    regions = brain_regions(sim)
    for path, values in ((MASK, (regions > 0).astype(np.uint8)), (ATLAS, regions)):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        img = nib.Nifti1Image(values, affine)
        img.header.set_xyzt_units("mm")
        nib.save(img, root / path)
    pd.DataFrame({"index": list(ROI_NAMES), "name": list(ROI_NAMES.values())}).to_csv(
        root / ATLAS_NAMES, sep="\t", index=False)
    gain = np.where(regions == 1, sim.auditory_gain,
                    np.where(regions == 2, sim.other_gain, 0.0))[regions > 0]

    signals: dict[tuple[str, int], np.ndarray] = {}
    volumes: dict[str, int] = {}
    for li, lang in enumerate(sim.languages):
        tables = []
        for section in range(1, sim.sections + 1):
            rng = np.random.default_rng([seed, 43, li, section])
            speech = synthesize_story(lpp.LANGUAGES[lang], sim.section_seconds, rng,
                                      pool=STORY_POOL)
            audio_path = root / lpp.audio(lang, section)
            audio_path.parent.mkdir(parents=True, exist_ok=True)
            sf.write(audio_path, speech.audio, speech.sample_rate, subtype="PCM_16")
            tier, table = _section_words(speech.words, section)
            write_textgrid(root / lpp.textgrid(lang, section), [tier], speech.duration,
                           encoding="utf-8" if lang == "EN" else "utf-16")
            tables.append(table)
            n = int(np.ceil(speech.duration / sim.tr)) + lpp.TAIL_VOLUMES[lang]
            env = _envelope(speech.audio, speech.sample_rate)[:, None]
            response = convolve_and_sample(env, _ENVELOPE_HZ, sim.tr, n)[:, 0]
            signals[lang, section] = (response - response.mean()) / response.std()
            volumes[lpp.story(lang, section)] = n
        words = root / lpp.word_information(lang)
        pd.concat(tables, ignore_index=True).to_csv(words, index=False, float_format="%.3f")

    participants, runs = [], {}
    for si, subject in enumerate(subjects(sim)):
        lang = lpp.dataset_language(subject)
        index = si % sim.subjects_per_language
        rng = np.random.default_rng([seed, 44, si])
        baseline = rng.uniform(500.0, 1500.0, size=gain.shape)
        labels = run_labels(sim, index, lang)
        runs[subject] = dict(zip(range(1, sim.sections + 1), labels))
        for section, run in runs[subject].items():
            signal = signals[lang, section]
            inside = (baseline + signal[:, None] * gain
                      + rng.standard_normal((len(signal), len(gain))))
            data = np.zeros(sim.grid + (len(signal),), np.float32)
            data[regions > 0] = inside.T
            _write_bold(root / lpp.bold(subject, run), data, affine, sim.tr)
            for echo, te in enumerate(ECHO_TIMES, 1):
                _write_json(root / lpp.sidecar(subject, run, echo), {
                    "TaskName": lpp.task(lang), "RepetitionTime": sim.tr, "FlipAngle": 77,
                    "EchoTime": te, "Manufacturer": "brainlike simulation"})
        quiz = [str(int(rng.integers(24, 36))), str(4 * len(lpp.SECTIONS))]
        if lang == "FR":
            quiz = ["n/a", "n/a"]  # the French listeners took no quiz
        participants.append([subject, str(int(rng.integers(18, 30))),
                             str(rng.choice(["F", "M"])), *quiz])
    # The real participants.tsv begins with a UTF-8 byte-order mark.
    lines = ["\t".join(lpp.PARTICIPANT_COLUMNS)] + ["\t".join(row) for row in participants]
    (root / "participants.tsv").write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    _write_json(root / "participants.json", {
        "age": {"Description": "age of participant"},
        "sex": {"Description": "sex of participant"},
        "correct_quiz_questions": {"Description": "participant's score on the quiz"},
        "total_quiz_questions": {"Description": "number of quiz questions asked"}})
    _write_json(root / "dataset_description.json", {
        "Name": "Le Petit Prince (simulated, layout of OpenNeuro ds003643)",
        "BIDSVersion": "1.6.0", "License": "CC0",
        "GeneratedBy": [{"Name": "brainlike", "Description": f"seed {seed}"}]})
    (root / "README").write_text(
        "Simulated story listening in the layout of Le Petit Prince (OpenNeuro ds003643), "
        "generated by brainlike. derivatives/groundtruth/ holds a brain mask and an atlas "
        "that the real dataset does not ship.\n")
    log.info("lpp simulation: %d subjects x %d sections on a %s grid", len(runs),
             sim.sections, sim.grid)
    return {"subjects": list(runs), "runs": runs, "volumes": volumes,
            "voxels": int((regions > 0).sum())}
