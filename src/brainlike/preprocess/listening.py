"""Preprocessing of one Narratives-layout dataset: stimuli, vertex table, runs, ground truth."""

from __future__ import annotations

import logging
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pyarrow as pa

from brainlike.errors import InputError
from brainlike.io.schemas import read_table, write_table
from brainlike.plan.atlas import Atlas
from brainlike.plan.datasets import ListeningDataset
from brainlike.preprocess.atlas import hemisphere_rois
from brainlike.preprocess.audio import audio_duration
from brainlike.preprocess.gentle import read_gentle
from brainlike.preprocess import lpp_runs
from brainlike.preprocess.textgrid import read_textgrid
from brainlike.preprocess.events import read_story_events, story_times
from brainlike.preprocess.responses import (RunCheck, check_run_length, check_story_length,
                                            drop_bad_vertices, read_func_gifti,
                                            write_responses)
from brainlike.preprocess.utterances import load_row, rows_to_table

log = logging.getLogger(__name__)


def stimulus(ds: ListeningDataset, root: Path, story: str, out: Path,
             sample_rate: int = 16000) -> None:
    """The story's audio at ``sample_rate`` with its alignment, as one utterance/1 row."""
    # Narratives ships Gentle's align.json, Le Petit Prince Praat TextGrids (words only).
    read = read_textgrid if ds.layout == "lpp" else read_gentle
    words, phonemes = read(root / ds.alignment(story))
    if phonemes.empty:
        log.warning("%s: no phones in the alignment (%s): the phonemes baseline and the phone "
                    "probe cannot use this story", story, ds.alignment(story))
    duration = audio_duration(root / ds.audio(story))
    if words["offset"].max() > duration + 0.5:
        raise InputError(root / ds.alignment(story), f"words run to {words['offset'].max():.2f} s"
                         f" but the audio lasts {duration:.2f} s: alignment of another story?")
    row = load_row(root / ds.audio(story), story, collection="story", speaker="narrator",
                   sample_rate=sample_rate, words=words, phonemes=phonemes)
    write_table(rows_to_table([row]), out, "utterance/1")


def _read_labels(path: Path) -> tuple[np.ndarray, dict[int, str]]:
    try:
        img = nib.load(path)
        labels = np.asarray(img.darrays[0].data).astype(np.int16).ravel()
        names = {int(k): str(v) for k, v in img.labeltable.get_labels_as_dict().items()}
    except Exception as exc:  # nibabel raises many types for a corrupt file
        raise InputError(path, f"unreadable label GIfTI ({type(exc).__name__}: {exc})") from exc
    return labels, names


def vertex_table(ds: ListeningDataset, root: Path, out: Path, atlas: Atlas | None = None,
                 atlas_root: Path | None = None) -> None:
    """vertices/1: one row per vertex of every hemisphere, with its ROI when labels exist.

    atlas: the ROIs' source when set (its clone at ``atlas_root``), else ``ds.rois``.
    """
    if ds.layout == "lpp":
        return lpp_runs.vertex_table(ds, root, out)
    frames, start = [], 0
    for hemi in ds.hemis:
        if atlas is not None:
            data = root / ds.surface_data(*ds.runs()[0], hemi)
            n = read_func_gifti(data).shape[1]
            frame = hemisphere_rois(atlas, atlas_root, hemi, n, data)  # type: ignore[arg-type]
        elif ds.rois:
            labels, names = _read_labels(root / ds.roi_labels(hemi))  # type: ignore[operator]
            roi_names = [names.get(int(v), f"label{int(v)}") for v in labels]
            frame = pd.DataFrame({"index": np.arange(len(labels), dtype=np.int32),
                                  "roi": labels, "roi_name": roi_names, "label": roi_names})
        else:  # no atlas: size the hemisphere from the first run's data
            subject, task = ds.runs()[0]
            n = read_func_gifti(root / ds.surface_data(subject, task, hemi)).shape[1]
            frame = pd.DataFrame({"index": np.arange(n, dtype=np.int32), "roi": 0,
                                  "roi_name": "unlabelled", "label": "unlabelled"})
        n = len(frame)
        frame.insert(0, "vertex", np.arange(start, start + n, dtype=np.int32))
        frame.insert(1, "hemi", hemi)
        frames.append(frame)
        start += n
    write_table(pa.Table.from_pandas(pd.concat(frames), preserve_index=False), out, "vertices/1")


def run(ds: ListeningDataset, root: Path, subject: str, task: str, vertices: Path,
        out: Path) -> dict:
    """responses/1 for one run: both hemispheres, checked, cleaned, trimmed. Returns run info."""
    if ds.layout == "lpp":
        return lpp_runs.run(ds, root, subject, task, vertices, out)
    table = read_table(vertices, "vertices/1", columns=["vertex", "hemi"]).to_pandas()
    events_path = root / ds.events(subject, task)
    story = read_story_events(events_path, {ds.stim_file(s): s for s in ds.task_stories(task)})
    audio = root / ds.audio(story.story)
    length = audio_duration(audio)
    check_story_length(events_path, audio, story, length, ds.tr)
    last = story.segments[-1]
    check = RunCheck(tr=ds.tr, story_end=last.onset + length - last.audio_start,
                     max_tail_s=ds.max_tail_s)
    blocks, ids, sources = [], [], []
    for hemi in ds.hemis:
        path = root / ds.surface_data(subject, task, hemi)
        data = read_func_gifti(path)
        expected = table.loc[table["hemi"] == hemi, "vertex"].to_numpy()
        if data.shape[1] != len(expected):
            raise InputError(path, f"{data.shape[1]} vertices, the surface has {len(expected)}")
        if blocks and data.shape[0] != blocks[0].shape[0]:
            raise InputError(path, f"{data.shape[0]} volumes, the other hemisphere has "
                             f"{blocks[0].shape[0]}")
        check_run_length(path, data.shape[0], check)
        blocks.append(data)
        ids.append(expected)
        sources.append(str(ds.surface_data(subject, task, hemi)))
    data, vertex_ids = np.concatenate(blocks, axis=1), np.concatenate(ids)
    n_volumes = data.shape[0]
    keep = np.arange(ds.trim_start, n_volumes - ds.trim_end)
    times, heard = story_times(story, keep * ds.tr)
    keep, times = keep[heard], times[heard]
    if len(keep) < 2:
        raise InputError(root / sources[0], f"trimming {ds.trim_start}+{ds.trim_end} volumes "
                         f"leaves {len(keep)} of {n_volumes}")
    data, vertex_ids, dropped = drop_bad_vertices(data[keep], vertex_ids, sources[0])
    if data.shape[1] == 0:
        raise InputError(root / sources[0], f"every vertex of {subject} {task} is NaN or "
                         f"constant ({len(dropped['nonfinite'])} non-finite, "
                         f"{len(dropped['constant'])} constant): nothing to score")
    info = {"subject": subject, "task": task, "story": story.story, "tr": ds.tr,
            "sources": sources, "events": ds.events(subject, task),
            "volumes_in_scan": n_volumes, "trimmed": [ds.trim_start, ds.trim_end],
            "segments": [vars(s) for s in story.segments], "story_duration": length,
            "dropped_vertices": dropped}
    write_responses(out, data, keep, times, vertex_ids, info)
    log.info("%s %s (%s): %d volumes x %d vertices kept (%d non-finite, %d constant dropped)",
             subject, task, story.story, data.shape[0], data.shape[1],
             len(dropped["nonfinite"]), len(dropped["constant"]))
    return info


def groundtruth(ds: ListeningDataset, root: Path, out: Path) -> None:
    """groundtruth/1 from the simulated dataset's per-subject planted SNR tables."""
    frames = []
    for subject in ds.subjects:
        path = root / ds.groundtruth_table(subject)
        try:
            frame = pd.read_csv(path, sep="\t")
        except (OSError, pd.errors.ParserError) as exc:
            raise InputError(path, f"unreadable ground-truth table ({exc})") from exc
        frame.insert(0, "subject", subject)
        frames.append(frame)
    table = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
    write_table(table, out, "groundtruth/1")
