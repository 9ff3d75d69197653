"""The embedded listening dataset: Narratives' layout (OpenNeuro ds002345) with a planted answer.

Every subject hears every story (in all languages) and is a native speaker of one language:
early auditory vertices follow the sound, mid-temporal vertices the phonemes, high-language
vertices the words, but only the words of the listener's own language. The planted
signal-to-noise of every vertex is written to ``derivatives/groundtruth/`` so that later
stages can check what their brain scores and noise ceilings recover.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import soundfile as sf

from brainlike.plan.datasets import ListeningDataset
from brainlike.simulate.acoustics import scene_for, talkers
from brainlike.simulate.drivers import compute_drivers
from brainlike.simulate.languages import word_log_frequency
from brainlike.simulate.listeners import simulate_subject
from brainlike.simulate.speech import (STORY_POOL, story_transcript, synthesize_story,
                                       write_gentle_alignment)
from brainlike.simulate.speech_types import Speech
from brainlike.simulate.surface import make_hemisphere, write_label_gifti, write_surface_gifti

log = logging.getLogger(__name__)

HEMIS = {"L": "left", "R": "right"}


def _delayed(speech: Speech, seconds: float) -> Speech:
    """The story as the scanner saw it: silence for the lead-in volumes, then the story."""
    pad = np.zeros(int(round(seconds * speech.sample_rate)), np.float32)
    shift = len(pad) / speech.sample_rate
    words, phonemes = speech.words.copy(), speech.phonemes.copy()
    for frame in (words, phonemes):
        frame[["onset", "offset"]] += shift
    return replace(speech, audio=np.concatenate([pad, speech.audio]), words=words,
                   phonemes=phonemes)


def _write_func_gifti(path: Path, data: np.ndarray, tr: float, hemi: str) -> None:
    """data: (volumes, vertices) -> one GIfTI data array per volume, as Narratives stores runs."""
    meta = nib.gifti.GiftiMetaData({"AnatomicalStructurePrimary": "Cortex" + HEMIS[hemi].title(),
                                    "TimeStep": str(tr * 1000)})
    arrays = [nib.gifti.GiftiDataArray(v.astype(np.float32), intent="NIFTI_INTENT_TIME_SERIES",
                                       datatype="NIFTI_TYPE_FLOAT32") for v in data]
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.gifti.GiftiImage(darrays=arrays, meta=meta), path)


def _write_tsv(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep="\t", index=False, float_format="%.6g")


def build_listening_dataset(ds: ListeningDataset, seed: int, root: Path) -> dict:
    """Write the whole simulated dataset under ``root``; return a summary for the record."""
    sim = ds.simulate
    if sim is None:
        raise ValueError(f"dataset {ds.name} has no `simulate` section")
    tr, lead = ds.tr, sim.lead_in_trs * ds.tr
    stories: dict[str, Speech] = {}
    for task in sim.tasks:
        lang, k = task[:2], int(task[2:])
        rng = np.random.default_rng([seed, 7, sim.languages.index(lang), k])
        speech = synthesize_story(lang, sim.story_minutes * 60.0, rng, pool=STORY_POOL,
                                  talkers=talkers("story", sim.talkers, [seed, 7, k], lang),
                                  scene=scene_for(sim.acoustics, "story", lang, seed))
        stories[task] = speech
        gentle = root / "stimuli" / "gentle" / task
        gentle.mkdir(parents=True, exist_ok=True)
        sf.write(root / ds.audio(task), speech.audio, speech.sample_rate, subtype="PCM_16")
        transcript = story_transcript(speech)
        (gentle / "transcript.txt").write_text(transcript + "\n")
        write_gentle_alignment(speech, transcript, gentle / "align.json")
        log.info("story %s: %.1f s, %d words", task, speech.duration, len(speech.words))

    n_trs = [int(np.ceil((lead + s.duration) / tr)) + sim.tail_trs for s in stories.values()]
    hemis = {h: make_hemisphere(HEMIS[h], level=sim.surface_level) for h in ("L", "R")}
    labels = np.concatenate([hemis[h].labels for h in ("L", "R")])
    n_left = len(hemis["L"].labels)
    tpl = root / "derivatives" / "groundtruth"
    tpl.mkdir(parents=True, exist_ok=True)
    for h, hemi in hemis.items():
        write_surface_gifti(tpl / f"tpl-icosphere_hemi-{h}_sphere.surf.gii", hemi.vertices,
                            hemi.faces, hemi=HEMIS[h])
        write_label_gifti(tpl / f"tpl-icosphere_hemi-{h}_desc-rois.label.gii", hemi.labels,
                          hemi=HEMIS[h])

    delayed = [_delayed(s, lead) for s in stories.values()]
    drivers = {lang: compute_drivers(delayed, tr, n_trs, {lang}, word_log_frequency,
                                     sim.drivers, sim.orthogonalise)
               for lang in sim.languages}
    crosscorr = pd.concat([d.cross_correlations().assign(native_language=lang)
                           for lang, d in drivers.items()], ignore_index=True)
    _write_tsv(tpl / "desc-drivers_crosscorr.tsv", crosscorr)

    participants = []
    for i, subject in enumerate(sim.subjects):
        lang = sim.languages[i // sim.subjects_per_language]
        result = simulate_subject(drivers[lang], labels, subject_seed=seed * 1000 + i + 1,
                                  group_seed=seed, snr_range=sim.snr_range)
        truth = result.truth.rename(columns={"roi": "roi_name", "roi_id": "roi"})
        truth.insert(1, "hemi", np.where(truth["vertex"] < n_left, "L", "R"))
        _write_tsv(root / ds.groundtruth_table(subject), truth)
        for run, task in enumerate(sim.tasks):
            rows = slice(result.boundaries[run], result.boundaries[run + 1])
            data = result.responses[rows]
            for h, cols in (("L", slice(0, n_left)), ("R", slice(n_left, None))):
                _write_func_gifti(root / ds.surface_data(subject, task, h), data[:, cols], tr, h)
            events = pd.DataFrame({"onset": [lead], "duration": [stories[task].duration],
                                   "trial_type": ["story"], "stim_file": [f"{task}_audio.wav"]})
            _write_tsv(root / ds.events(subject, task), events)
        participants.append({"participant_id": subject, "native_language": lang,
                             "task": ",".join(sim.tasks), "condition": "n/a"})
        log.info("%s (native %s): %d volumes x %d vertices", subject, lang,
                 result.responses.shape[0], result.responses.shape[1])

    _write_tsv(root / "participants.tsv", pd.DataFrame(participants))
    (root / "code").mkdir(exist_ok=True)
    (root / "code" / "scan_exclude.json").write_text("{}\n")
    (root / "dataset_description.json").write_text(json.dumps({
        "Name": f"{ds.name}: simulated story listening (Narratives layout)",
        "BIDSVersion": "1.6.0", "DatasetType": "raw",
        "GeneratedBy": [{"Name": "brainlike", "Description": f"seed {seed}"}]}, indent=2))
    (root / "README.md").write_text(
        f"# {ds.name}\n\nSimulated story-listening fMRI with a planted answer, generated by "
        "brainlike in the layout of the Narratives dataset (OpenNeuro ds002345).\n"
        "See derivatives/groundtruth/ for the per-vertex signal-to-noise.\n")
    return {"stories": {t: round(s.duration, 2) for t, s in stories.items()},
            "volumes_per_run": dict(zip(sim.tasks, n_trs)), "subjects": len(sim.subjects),
            "vertices": int(len(labels))}
