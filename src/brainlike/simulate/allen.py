"""Simulated sessions in the layout of the Allen Brain Observatory Visual Coding 2P data
as DANDI 000728 publishes it (see ``brainlike.preprocess.nwb`` for the layout).

Arrays in, files out: the movie template and each cell's dF/F at every displayed frame come
from the caller (the movie renderer and the simulated cells); this module only places them
on the two clocks of a real session. The display shows the movie at ``fps`` on a monitor
whose refresh is slightly off nominal; imaging runs at its own nominal 30 Hz from a random
offset with a little jitter. Each imaging sample carries the dF/F of the frame on screen
when it is taken, so the first sample at or after a frame's onset (the reader's convention)
carries exactly that frame's value. Between presentations the dF/F is each cell's baseline
plus noise.

Not in the real files, hence in ``derivatives/``: the imaging depth and Cre line (the real
files have no usable depth either; the study reads them from a side table) and the ground
truth the simulation planted.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from pynwb import NWBHDF5IO, NWBFile
from pynwb.file import Subject
from pynwb.image import ImageSeries, IndexSeries
from pynwb.ophys import (
    DfOverF,
    Fluorescence,
    ImageSegmentation,
    OpticalChannel,
    PlaneSegmentation,
    RoiResponseSeries,
)

from brainlike.preprocess.allen import GROUNDTRUTH_DIR, SIDE_TABLE
from brainlike.preprocess.nwb import (
    DFF_CONTAINER,
    DFF_SERIES,
    EVENTS_SERIES,
    IMAGING_PLANE,
    MODULE,
    MOVIE,
    MOVIE_FPS,
    PLANE,
    SEGMENTATION,
    presentation_name,
    session_file,
)

log = logging.getLogger(__name__)

#: The imaging clock: nominal rate (Hz), and bounded jitter of each sample (s). The bound is
#: below half the gap between imaging and display periods, so every displayed frame has its
#: own imaging sample.
IMAGING_RATE = 30.0
JITTER_S = 1e-5
#: The monitor's refresh relative to nominal (a "60 Hz" panel running at 59.94 Hz).
DISPLAY_CLOCK = 59.94 / 60.0
#: Gray screen before the first presentation, between repeats and after the last (s).
LEAD_S = 2.0
GAP_S = 1.0
TAIL_S = 2.0
#: The imaging field (px) the ROI masks live on, and the ROI blob radius range (px).
FIELD = 512
ROI_RADIUS = (3, 6)
#: An event is a rise of the dF/F by more than this many noise SDs in one sample.
EVENT_SDS = 3.0
FLUORESCENCE_F0 = 100.0
SESSION_START = datetime(2016, 1, 1, tzinfo=UTC)


def _ophys_times(end: float, rng: np.random.Generator) -> np.ndarray:
    """Imaging sample times from a random offset in the lead-in to past ``end``: (T,)
    float64, strictly increasing."""
    offset = rng.uniform(0.0, LEAD_S / 2)
    n = int(np.ceil((end - offset) * IMAGING_RATE)) + 1
    return offset + np.arange(n) / IMAGING_RATE + rng.uniform(-JITTER_S, JITTER_S, n)


def _display_times(repeats: int, n_frames: int, fps: float) -> np.ndarray:
    """Onset of each displayed frame, repeats back to back with a gray gap: (repeats * n,)."""
    period = 1.0 / (fps * DISPLAY_CLOCK)
    starts = LEAD_S + np.arange(repeats) * (n_frames * period + GAP_S)
    return (starts[:, None] + np.arange(n_frames)[None, :] * period).ravel()


def _noise_sd(dff_at_frames: np.ndarray) -> np.ndarray:
    """Per-cell SD of the frame-to-frame noise (robust): (n_cells,) float64."""
    steps = np.diff(dff_at_frames, axis=1).reshape(-1, dff_at_frames.shape[-1])
    if len(steps) == 0:
        return np.zeros(dff_at_frames.shape[-1])
    mad = np.median(np.abs(steps - np.median(steps, axis=0)), axis=0)
    # MAD -> SD for a normal; a difference of two samples has sqrt(2) times their noise.
    return 1.4826 * mad / np.sqrt(2.0)


def ophys_trace(dff_at_frames: np.ndarray, display_times: np.ndarray,
                ophys_times: np.ndarray, fps: float, rng: np.random.Generator) -> np.ndarray:
    """dF/F on the imaging clock: (T_ophys, n_cells) float32.

    dff_at_frames: (repeats, n_frames, n_cells); display_times: (repeats * n_frames,) onsets.
    A sample taken while a frame is on screen (onset to onset + one display period) carries
    that frame's value; other samples carry the cell's baseline (median) plus noise.
    """
    repeats, n_frames, n_cells = dff_at_frames.shape
    flat = dff_at_frames.reshape(repeats * n_frames, n_cells)
    frame = np.searchsorted(display_times, ophys_times, side="right") - 1
    period = 1.0 / (fps * DISPLAY_CLOCK)
    on_screen = (frame >= 0) & (ophys_times < display_times[np.maximum(frame, 0)] + period)
    baseline = np.median(flat, axis=0)
    noise = rng.normal(0.0, 1.0, (len(ophys_times), n_cells)) * _noise_sd(dff_at_frames)
    trace = baseline + noise
    trace[on_screen] = flat[frame[on_screen]]
    return trace.astype(np.float32)


def l0_events(dff: np.ndarray, noise_sd: np.ndarray) -> np.ndarray:
    """Stand-in for the L0 events: rises above ``EVENT_SDS`` noise SDs, else 0. Same shape."""
    rise = np.diff(dff, axis=0, prepend=dff[:1])
    threshold = EVENT_SDS * np.maximum(noise_sd, np.finfo(np.float32).eps)
    return np.where(rise > threshold, rise, 0.0).astype(np.float32)


def _roi_masks(n_rois: int, rng: np.random.Generator) -> list[list[tuple[int, int, float]]]:
    """One disc per ROI on the FIELD x FIELD plane, as (x, y, weight) pixel masks."""
    masks = []
    for _ in range(n_rois):
        radius = int(rng.integers(ROI_RADIUS[0], ROI_RADIUS[1] + 1))
        cx, cy = rng.integers(radius, FIELD - radius, 2)
        ys, xs = np.mgrid[-radius:radius + 1, -radius:radius + 1]
        inside = xs ** 2 + ys ** 2 <= radius ** 2
        masks.append([(int(cx + x), int(cy + y), 1.0) for x, y in zip(xs[inside], ys[inside])])
    return masks


def _index_series(**kwargs) -> IndexSeries:  # type: ignore[no-untyped-def]
    """An IndexSeries linked to its template by ``indexed_timeseries``, as the real files are.

    pynwb >= 3 refuses that (deprecated) link on new objects but reads it from files; the
    object is built the way pynwb builds one it reads, so the written layout matches DANDI's.
    """
    series = IndexSeries.__new__(IndexSeries, in_construct_mode=True)
    series.__init__(**kwargs)
    series._in_construct_mode = False
    return series


def write_session(path: str | Path, *, specimen: str, experiment: str, area: str,
                  template: np.ndarray, dff_at_frames: np.ndarray, seed: int,
                  fps: float = MOVIE_FPS, movie: str = MOVIE,
                  cre_line: str | None = None) -> None:
    """Write one session's NWB file (the subject's genotype names ``cre_line`` as the
    real files name their Cre driver; no genotype when None).

    template: (n_frames, H, W) uint8; dff_at_frames: (repeats, n_frames, n_cells) float32,
    each cell's dF/F while each frame of each repeat is on screen.
    """
    template = np.asarray(template)
    dff_at_frames = np.asarray(dff_at_frames, dtype=np.float32)
    if template.ndim != 3 or template.dtype != np.uint8:
        raise ValueError(f"template must be (n_frames, H, W) uint8, got {template.dtype} "
                         f"{template.shape}")
    if dff_at_frames.ndim != 3 or dff_at_frames.shape[1] != template.shape[0]:
        raise ValueError(f"dff_at_frames must be (repeats, {template.shape[0]}, n_cells), "
                         f"got {dff_at_frames.shape}")
    if min(dff_at_frames.shape) == 0 or not np.all(np.isfinite(dff_at_frames)):
        raise ValueError(f"dff_at_frames {dff_at_frames.shape} is empty or not finite")
    repeats, n_frames, n_cells = dff_at_frames.shape
    rng = np.random.default_rng([seed, zlib.crc32(experiment.encode())])

    shown = _display_times(repeats, n_frames, fps)
    times = _ophys_times(shown[-1] + TAIL_S, rng)
    dff = ophys_trace(dff_at_frames, shown, times, fps, rng)
    events = l0_events(dff, _noise_sd(dff_at_frames))

    nwb = NWBFile(session_description=f"Simulated Visual Coding 2P session {experiment} "
                                      f"({movie})",
                  identifier=f"brainlike-allen-{specimen}-{experiment}",
                  session_start_time=SESSION_START, session_id=experiment,
                  institution="brainlike simulation")
    genotype = f"{cre_line}/wt;Camk2a-tTA/wt;Ai93(TITL-GCaMP6f)/wt" if cre_line else None
    nwb.subject = Subject(subject_id=specimen, species="Mus musculus", sex="U", age="P90D",
                          genotype=genotype)
    microscope = nwb.create_device(name="Microscope", description="Simulated two-photon "
                                                                  "microscope.")
    display = nwb.create_device(name="StimulusDisplay", description="Simulated monitor.")
    plane = nwb.create_imaging_plane(
        name=IMAGING_PLANE, description="The imaging plane sampled by two-photon imaging.",
        optical_channel=OpticalChannel(name="OpticalChannel", description="Green channel.",
                                       emission_lambda=np.nan),
        device=microscope, excitation_lambda=910.0, indicator="GCaMP6f", location=area,
        grid_spacing=[0.78, 0.78], grid_spacing_unit="micrometers")

    module = nwb.create_processing_module(MODULE, "Contains processed optical physiology data.")
    segmentation = PlaneSegmentation(name=PLANE, description="Segmented regions of interest.",
                                     imaging_plane=plane)
    # Allen cell-specimen-like ids: large, unique, not the row index.
    roi_ids = 500_000_000 + np.sort(rng.choice(100_000_000, n_cells, replace=False))
    for roi_id, mask in zip(roi_ids, _roi_masks(n_cells, rng)):
        segmentation.add_roi(id=int(roi_id), pixel_mask=mask)
    module.add(ImageSegmentation(name=SEGMENTATION, plane_segmentations=segmentation))
    rois = segmentation.create_roi_table_region(region=list(range(n_cells)),
                                                description="The ROIs of this series.")
    # As in the real files, the dF/F series link their timestamps to the corrected
    # fluorescence rather than storing their own copy.
    corrected = RoiResponseSeries(name="Corrected", description="Neuropil-corrected "
                                  "fluorescence.", data=FLUORESCENCE_F0 * (1.0 + dff),
                                  timestamps=times, unit="n.a.", rois=rois)
    # Containers join the file before their series, so each series' ROI region shares an
    # ancestor with the segmentation it points to.
    fluorescence = Fluorescence(name="Fluorescence")
    module.add(fluorescence)
    fluorescence.add_roi_response_series(corrected)
    df_over_f = DfOverF(name=DFF_CONTAINER)
    module.add(df_over_f)
    df_over_f.add_roi_response_series(RoiResponseSeries(
        name=DFF_SERIES, description="dF/F per ROI.", data=dff, timestamps=corrected,
        unit="a.u.", rois=rois))
    df_over_f.add_roi_response_series(RoiResponseSeries(
        name=EVENTS_SERIES, description="Events detected in the dF/F.", data=events,
        timestamps=corrected, unit="a.u.", rois=rois))

    # The converter stores the template without timing (rate NaN): it is an image stack.
    movie_series = ImageSeries(name=movie, description="A natural movie presented to the "
                               "subject.", data=template, unit="n.a.", starting_time=np.nan,
                               rate=np.nan, device=display)
    nwb.add_stimulus_template(movie_series)
    frames = np.tile(np.arange(n_frames, dtype=np.uint32), repeats)
    nwb.add_stimulus(_index_series(
        name=presentation_name(movie), description="The order and timing of the "
        "presentation of the movie's frames.", data=frames, indexed_timeseries=movie_series,
        unit="N/A", timestamps=shown))

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with NWBHDF5IO(str(path), mode="w") as io:
        io.write(nwb)


@dataclass(frozen=True)
class SessionPlan:
    """Everything one session file and its side-table row need (arrays as in write_session)."""

    specimen: str
    experiment: str
    area: str
    template: np.ndarray = field(repr=False)
    dff_at_frames: np.ndarray = field(repr=False)
    seed: int
    depth_um: float
    cre_line: str
    fps: float = MOVIE_FPS


def build_dataset(root: str | Path, sessions: list[SessionPlan]) -> dict:
    """Write the session files under ``root`` with a dandiset.yaml stub and the side table.

    ``root/derivatives/groundtruth/`` is created empty for the caller's ground truth.
    Returns a summary: the relative NWB paths, and the numbers of sessions and cells.
    """
    root = Path(root)
    if not sessions:
        raise ValueError("build_dataset needs at least one session")
    names = [f"ses-{plan.experiment}" for plan in sessions]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate experiments in {names}")
    paths, rows = [], []
    for plan in sessions:
        rel = session_file(plan.specimen, plan.experiment)
        write_session(root / rel, specimen=plan.specimen, experiment=plan.experiment,
                      area=plan.area, template=plan.template,
                      dff_at_frames=plan.dff_at_frames, seed=plan.seed, fps=plan.fps,
                      cre_line=plan.cre_line)
        paths.append(rel)
        rows.append({"session": f"ses-{plan.experiment}", "subject": f"sub-{plan.specimen}",
                     "area": plan.area, "depth_um": float(plan.depth_um),
                     "cre_line": plan.cre_line})
    (root / "dandiset.yaml").write_text(
        "identifier: DANDI:000728\n"
        "name: Simulated Allen Institute - Visual Coding - Optical Physiology\n"
        "description: Simulated sessions in the layout of DANDI 000728 (brainlike).\n"
        "license:\n- spdx:CC-BY-4.0\n")
    (root / SIDE_TABLE).parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(root / SIDE_TABLE, sep="\t", index=False)
    (root / GROUNDTRUTH_DIR).mkdir(parents=True, exist_ok=True)
    n_cells = sum(plan.dff_at_frames.shape[-1] for plan in sessions)
    log.info("wrote %d sessions (%d cells) under %s", len(sessions), n_cells, root)
    return {"sessions": paths, "n_sessions": len(sessions), "n_cells": int(n_cells)}
