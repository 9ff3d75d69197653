"""Preprocessing of a Le Petit Prince dataset (``layout: lpp``): voxels and runs.

The products of the Narratives layout (vertices/1, a responses/1 file per run; the stimuli
go through ``listening.stimulus`` with a TextGrid reader), from volumetric runs: a voxel is a vertex (its id a flat index
into the runs' grid, which vertices/1 records with its affine), a section is a story heard
in its own run, found by run order, and the run starts with the section's audio (no events).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyarrow as pa

from brainlike.errors import InputError
from brainlike.io.schemas import read_metadata, read_table, write_table
from brainlike.plan.datasets import ListeningDataset
from brainlike.preprocess import lpp, volumes
from brainlike.preprocess.audio import audio_duration
from brainlike.preprocess.responses import RunCheck, check_run_length, drop_bad_vertices, write_responses

log = logging.getLogger(__name__)

GRID_KEY, AFFINE_KEY = "brainlike.grid", "brainlike.affine"


def _run_path(ds: ListeningDataset, root: Path, subject: str, story: str) -> str:
    _, section = lpp.parse_story(story)
    return lpp.bold(subject, lpp.section_runs(root, subject, ds.sections)[section])


def vertex_table(ds: ListeningDataset, root: Path, out: Path) -> None:
    """vertices/1 over the mask's voxels, ROIs from a volumetric atlas (``rois``) if given."""
    if ds.mask == "from_data":
        mask, affine = volumes.common_mask([root / _run_path(ds, root, s, story)
                                            for s, story in ds.runs()])
    else:
        mask, affine = volumes.read_mask(root / ds.mask)
    labels, names = None, None
    if ds.rois:
        labels, atlas_affine = volumes.read_atlas(root / ds.rois)
        if labels.shape != mask.shape or not np.allclose(atlas_affine, affine, atol=1e-3):
            raise InputError(root / ds.rois, f"atlas grid {labels.shape} is not the runs' "
                             f"grid {mask.shape}")
        tsv = (root / ds.rois).with_name(Path(ds.rois).name.split(".nii")[0] + ".tsv")
        names = volumes.read_atlas_names(tsv) if tsv.exists() else None
    if not mask.any():
        raise InputError(root / (ds.mask if ds.mask != "from_data" else "derivatives"),
                         "the mask holds no voxel")
    table = volumes.voxel_table(mask, affine, labels, names)
    table["label"] = table["roi_name"]
    write_table(pa.Table.from_pandas(table, preserve_index=False), out, "vertices/1",
                metadata={GRID_KEY: list(mask.shape), AFFINE_KEY: np.asarray(affine).tolist()})


def _mask_of(vertices: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grid = tuple(read_metadata(vertices, GRID_KEY))
    affine = np.asarray(read_metadata(vertices, AFFINE_KEY))
    ids = read_table(vertices, "vertices/1", columns=["vertex"]).column("vertex").to_numpy()
    mask = np.zeros(grid, dtype=bool)
    mask.flat[ids] = True
    return mask, affine, ids


def run(ds: ListeningDataset, root: Path, subject: str, story: str, vertices: Path,
        out: Path) -> dict:
    """responses/1 for one section's run: masked voxels, checked against the audio and TR."""
    language, section = lpp.parse_story(story)
    run_label = lpp.section_runs(root, subject, ds.sections)[section]
    relative = lpp.bold(subject, run_label)
    path = root / relative
    tr = volumes.read_tr(root / lpp.sidecar(subject, run_label), path)
    if abs(tr - ds.tr) > volumes.TR_TOLERANCE_S:
        raise InputError(root / lpp.sidecar(subject, run_label), f"RepetitionTime {tr:g} s, "
                         f"the config says tr: {ds.tr:g}")
    length = audio_duration(root / ds.audio(story))
    mask, affine, ids = _mask_of(vertices)
    bold = volumes.read_bold(path, mask, affine, mask_source=vertices)
    data = bold.data
    check_run_length(path, data.shape[0], RunCheck(tr=tr, story_end=length,
                                                   max_tail_s=ds.max_tail_s))
    n_volumes = data.shape[0]
    keep = np.arange(ds.trim_start, n_volumes - ds.trim_end)
    if len(keep) < 2:
        raise InputError(path, f"trimming {ds.trim_start}+{ds.trim_end} volumes leaves "
                         f"{len(keep)} of {n_volumes}")
    data, voxel_ids, dropped = drop_bad_vertices(data[keep], bold.voxel_ids, relative)
    if data.shape[1] == 0:
        raise InputError(path, f"every voxel of {subject} {story} is NaN or constant: nothing "
                         "to score")
    info = {"subject": subject, "task": story, "story": story, "tr": tr,
            "sources": [relative], "run_label": run_label, "language": language,
            "volumes_in_scan": n_volumes, "trimmed": [ds.trim_start, ds.trim_end],
            "segments": [{"onset": 0.0, "duration": length, "audio_start": 0.0}],
            "story_duration": length, "dropped_vertices": dropped}
    write_responses(out, data, keep, keep * tr, voxel_ids, info)
    log.info("%s %s (run %02d): %d volumes x %d voxels kept (%d non-finite, %d constant "
             "dropped)", subject, story, run_label, data.shape[0], data.shape[1],
             len(dropped["nonfinite"]), len(dropped["constant"]))
    return info
