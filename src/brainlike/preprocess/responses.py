"""Surface fMRI runs (GIfTI, one file per hemisphere) to responses/1 Parquet.

Every run is checked against its events and its audio before anything is written: a scan
that ends before the story does, or runs far past it, means a wrong file or a wrong TR, and
would silently misalign every feature downstream.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pyarrow as pa

from brainlike.errors import InputError
from brainlike.io.schemas import responses_schema, write_table
from brainlike.preprocess.events import StoryEvents

log = logging.getLogger(__name__)


def read_func_gifti(path: str | Path) -> np.ndarray:
    """Read a functional GIfTI with one data array per volume. Returns (volumes, vertices)."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "functional GIfTI is missing (was it fetched with datalad get?)")
    try:
        img = nib.load(path)
    except Exception as exc:  # nibabel raises many types for a corrupt XML/base64 payload
        raise InputError(path, f"unreadable GIfTI ({type(exc).__name__}: {exc})") from exc
    arrays = getattr(img, "darrays", None)
    if not arrays:
        raise InputError(path, "GIfTI holds no data arrays")
    sizes = {a.data.size for a in arrays}
    if len(arrays) == 1 and arrays[0].data.ndim == 2:
        data = arrays[0].data.T  # one (vertices, volumes) array, as some tools write it
    elif len(sizes) == 1:
        data = np.stack([a.data.ravel() for a in arrays])
    else:
        raise InputError(path, f"data arrays differ in size {sorted(sizes)}")
    return np.asarray(data, dtype=np.float32)


@dataclass(frozen=True)
class RunCheck:
    """What a run must cover: the scan time at which the story's audio ends, within a tail."""

    tr: float
    story_end: float
    max_tail_s: float


def check_story_length(events_path: str | Path, audio_path: str | Path, story: StoryEvents,
                       audio_duration: float, tr: float) -> None:
    """The story rows must add up to the audio (within a TR per row), else name both files."""
    if abs(story.duration - audio_duration) > tr * len(story.segments):
        raise InputError(events_path, f"the story rows last {story.duration:.2f} s in all but "
                         f"the audio {audio_path} lasts {audio_duration:.2f} s: wrong stimulus "
                         "or wrong events?")


def check_run_length(path: str | Path, n_volumes: int, check: RunCheck) -> None:
    """Raise InputError if the scan ends before the story does, or runs far past it."""
    scan = n_volumes * check.tr
    if scan + check.tr < check.story_end:
        raise InputError(path, f"{n_volumes} volumes x TR {check.tr} s = {scan:.1f} s end before "
                         f"the story does ({check.story_end:.1f} s)")
    if scan > check.story_end + check.max_tail_s + check.tr:
        raise InputError(path, f"{n_volumes} volumes x TR {check.tr} s = {scan:.1f} s run "
                         f"{scan - check.story_end:.1f} s past the story's end (allowed: "
                         f"{check.max_tail_s} s): wrong TR or wrong file?")


def drop_bad_vertices(data: np.ndarray, vertex_ids: np.ndarray,
                      source: str) -> tuple[np.ndarray, np.ndarray, dict[str, list[int]]]:
    """Drop vertices with any non-finite value or no variance; report which, by reason.

    data: (volumes, vertices). Kept silently, a NaN vertex poisons every ridge fit it enters.
    """
    if data.ndim != 2 or data.shape[1] != len(vertex_ids):
        raise ValueError(f"data must be (volumes, {len(vertex_ids)}), found {data.shape}")
    nonfinite = ~np.isfinite(data).all(axis=0)
    flat = np.zeros(data.shape[1], dtype=bool)
    flat[~nonfinite] = data[:, ~nonfinite].std(axis=0) == 0
    dropped = {"nonfinite": vertex_ids[nonfinite].tolist(), "constant": vertex_ids[flat].tolist()}
    if nonfinite.any() or flat.any():
        log.warning("%s: dropped %d vertices with NaN/inf and %d constant vertices", source,
                    int(nonfinite.sum()), int(flat.sum()))
    keep = ~(nonfinite | flat)
    return data[:, keep], vertex_ids[keep], dropped


def write_responses(path: str | Path, data: np.ndarray, volumes: np.ndarray, times: np.ndarray,
                    vertex_ids: np.ndarray, run_info: dict) -> None:
    """Write responses/1. data: (volumes, vertices) float32; volumes, times: (volumes,)."""
    n_vol, n_vert = data.shape
    if len(volumes) != n_vol or len(times) != n_vol or len(vertex_ids) != n_vert:
        raise ValueError(f"data {data.shape} disagrees with {len(volumes)} volumes, "
                         f"{len(times)} times, {len(vertex_ids)} vertex ids")
    flat = pa.array(np.ascontiguousarray(data, dtype=np.float32).ravel())
    table = pa.Table.from_arrays(
        [pa.array(volumes, pa.int32()), pa.array(times, pa.float64()),
         pa.FixedSizeListArray.from_arrays(flat, n_vert)],
        schema=responses_schema(n_vert))
    write_table(table, path, "responses/1",
                metadata={"brainlike.vertices": [int(v) for v in vertex_ids],
                          "brainlike.run": run_info})
