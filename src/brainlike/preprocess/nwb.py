"""Read one Allen Brain Observatory Visual Coding 2P session as DANDI 000728 publishes it.

The layout (one NWB file per imaging session, converted from the Allen Institute's own
NWB 1 files):

* ``processing/ophys/DfOverF/DfOverF``: RoiResponseSeries, dF/F (time, ROI) with explicit
  timestamps of the imaging clock (linked to ``Fluorescence/Corrected`` in the real files);
* ``processing/ophys/DfOverF/DfOverFEvents``: the L0 events, same shape (not in every file);
* ``processing/ophys/ImageSegmentation/PlaneSegmentation``: one row per ROI (pixel masks);
* ``general/optophysiology/ImagingPlane``: ``location`` is the targeted area (``VISp``, ...);
  the imaging depth is not stored usably (the converter wrote its description without
  filling in the depth), it comes from a side table;
* ``general/subject``: ``genotype`` names the Cre driver, e.g.
  ``Cux2-CreERT2/wt;Camk2a-tTA/wt;Ai93(TITL-GCaMP6f)/Ai93(TITL-GCaMP6f)``;
* ``stimulus/templates/<movie>``: ImageSeries (frames, H, W) uint8, rate NaN;
* ``stimulus/presentation/<movie>_stimulus``: IndexSeries, one entry per displayed frame
  (its template index) with the frame's onset on the stimulus clock, repeats back to back.

The display and imaging clocks are not locked, so a displayed frame is matched to an
imaging sample by time (``movie_responses``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pynwb import NWBHDF5IO

from brainlike.errors import InputError

#: The movie every session of the study shows, and the rate it is played at (frames/s).
MOVIE = "natural_movie_one"
MOVIE_FPS = 30.0
MODULE = "ophys"
DFF_CONTAINER = "DfOverF"
DFF_SERIES = "DfOverF"
EVENTS_SERIES = "DfOverFEvents"
SEGMENTATION = "ImageSegmentation"
PLANE = "PlaneSegmentation"
IMAGING_PLANE = "ImagingPlane"


def presentation_name(movie: str) -> str:
    """Name of the IndexSeries of a movie's presentations under ``stimulus/presentation``."""
    return f"{movie}_stimulus"


_SUFFIX = "-StimB_behavior+image+ophys.nwb"


def session_file(specimen: str, experiment: str) -> str:
    """Path of a session's NWB file relative to the dandiset root, as DANDI names it."""
    return f"sub-{specimen}/sub-{specimen}_ses-{experiment}{_SUFFIX}"


def parse_session_file(path: str | Path) -> tuple[str, str] | None:
    """(specimen, experiment) from a name made by ``session_file``; None for other names."""
    name = Path(path).name
    if not (name.startswith("sub-") and name.endswith(_SUFFIX) and "_ses-" in name):
        return None
    subject, session = name[:-len(_SUFFIX)].split("_ses-", 1)
    return subject[len("sub-"):], session


@dataclass
class Session:
    """One imaging session's movie-relevant content.

    dff: (T_ophys, n_rois) float32; timestamps: (T_ophys,) float64 seconds, strictly
    increasing; events: (T_ophys, n_rois) float32 or None when the file has none;
    roi_ids: (n_rois,) int64 (PlaneSegmentation ids); template: (n_frames, H, W) uint8;
    presented_frames: (n,) int64 template index of each displayed frame; presented_times:
    (n,) float64 its onset. session ("ses-<id>") and subject ("sub-<id>") label the cells;
    cre_line is the Cre driver of the subject's genotype, None when the file names none.
    """

    path: str
    session: str
    subject: str
    location: str
    cre_line: str | None
    dff: np.ndarray
    timestamps: np.ndarray
    events: np.ndarray | None
    roi_ids: np.ndarray
    template: np.ndarray
    presented_frames: np.ndarray
    presented_times: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.template.shape[0])

    @property
    def repeats(self) -> int:
        return len(self.presented_frames) // self.n_frames


def _child(path: Path, mapping, name: str, what: str):  # type: ignore[no-untyped-def]
    if name not in mapping:
        raise InputError(path, f"no {what} {name!r} (has {', '.join(mapping) or 'none'})")
    return mapping[name]


def cre_driver(genotype: str | None) -> str | None:
    """The Cre driver line of an Allen genotype string (its first allele naming a Cre
    recombinase, zygosity dropped), None when there is none."""
    for allele in (genotype or "").split(";"):
        name = allele.strip().split("/")[0].strip()
        if "Cre" in name:
            return name
    return None


def _label(prefix: str, value: object) -> str:
    value = str(value)
    return value if value.startswith(prefix) else prefix + value


def read_session(path: str | Path, movie: str = MOVIE) -> Session:
    """Read and check one session file (read-only, through pynwb)."""
    path = Path(path)
    with contextlib.ExitStack() as stack:
        try:
            io = stack.enter_context(NWBHDF5IO(str(path), mode="r"))
            nwb = io.read()
        except Exception as exc:  # h5py, hdmf and pynwb each raise their own kinds
            raise InputError(path, f"not a readable NWB file ({exc})") from exc
        module = _child(path, nwb.processing, MODULE, "processing module")
        dff_container = _child(path, module.data_interfaces, DFF_CONTAINER,
                               "ophys data interface")
        series = _child(path, dff_container.roi_response_series, DFF_SERIES,
                        f"{DFF_CONTAINER} series")
        segmentation = _child(path, module.data_interfaces, SEGMENTATION,
                              "ophys data interface")
        plane = _child(path, segmentation.plane_segmentations, PLANE,
                       f"{SEGMENTATION} plane segmentation")
        template_series = _child(path, nwb.stimulus_template, movie, "stimulus template")
        shown = _child(path, nwb.stimulus, presentation_name(movie), "stimulus presentation")

        dff = np.asarray(series.data[:], dtype=np.float32)
        if series.timestamps is None:
            raise InputError(path, f"{DFF_SERIES} has no timestamps (only a rate); the "
                                   "imaging clock cannot be matched to the display")
        timestamps = np.asarray(series.timestamps[:], dtype=np.float64)
        events = None
        if EVENTS_SERIES in dff_container.roi_response_series:
            events = np.asarray(dff_container[EVENTS_SERIES].data[:], dtype=np.float32)
        roi_ids = np.asarray(plane.id[:], dtype=np.int64)
        location = str(_child(path, nwb.imaging_planes, IMAGING_PLANE,
                              "imaging plane").location)
        template = np.asarray(template_series.data[:])
        frames = np.asarray(shown.data[:])
        times = np.asarray(shown.timestamps[:], dtype=np.float64)
        # The file name is the dandiset's key (and the side table's); the NWB's own ids are
        # the fallback for files renamed outside DANDI.
        cre_line = cre_driver(nwb.subject.genotype if nwb.subject else None)
        named = parse_session_file(path)
        if named is not None:
            subject, session = (_label("sub-", named[0]), _label("ses-", named[1]))
        else:
            subject = _label("sub-", nwb.subject.subject_id if nwb.subject else path.stem)
            session = _label("ses-", nwb.session_id or path.stem)

    if dff.ndim == 1:
        dff = dff[:, None]
    if dff.ndim != 2 or dff.shape[0] != len(timestamps):
        raise InputError(path, f"{DFF_SERIES} data has shape {dff.shape} for "
                               f"{len(timestamps)} timestamps; expected (time, ROI)")
    if len(timestamps) < 2 or not np.all(np.diff(timestamps) > 0):
        raise InputError(path, "ophys timestamps are not strictly increasing")
    if dff.shape[1] != len(roi_ids):
        raise InputError(path, f"{DFF_SERIES} has {dff.shape[1]} ROIs but {PLANE} has "
                               f"{len(roi_ids)} rows")
    if events is not None and events.shape != dff.shape:
        raise InputError(path, f"{EVENTS_SERIES} has shape {events.shape}, {DFF_SERIES} "
                               f"{dff.shape}")
    if template.ndim != 3 or template.dtype != np.uint8:
        raise InputError(path, f"template {movie!r} is {template.dtype} {template.shape}; "
                               "expected (frames, H, W) uint8")
    if frames.shape != times.shape or frames.ndim != 1:
        raise InputError(path, f"presentation has {frames.shape} frames for {times.shape} "
                               "timestamps")
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise InputError(path, "presentation timestamps are not strictly increasing")
    if frames.size and (frames.min() < 0 or frames.max() >= len(template)):
        raise InputError(path, f"presentation shows frame indices {frames.min()}.."
                               f"{frames.max()}, outside the template's 0..{len(template) - 1}")
    result = Session(path=str(path), session=session, subject=subject, location=location,
                     cre_line=cre_line,
                     dff=dff, timestamps=timestamps, events=events, roi_ids=roi_ids,
                     template=template, presented_frames=frames.astype(np.int64),
                     presented_times=times)
    _check_repeats(result)
    return result


def _check_repeats(session: Session) -> None:
    """Each repeat (presentation index // n_frames) must show frames 0..n_frames-1 in order."""
    n, count = session.n_frames, len(session.presented_frames)
    if count == 0 or count % n:
        raise InputError(session.path, f"{count} presented frames is not a whole number of "
                                       f"repeats of the {n}-frame movie (last repeat "
                                       "incomplete)")
    shown = session.presented_frames.reshape(-1, n)
    bad = np.flatnonzero(np.any(shown != np.arange(n), axis=1))
    if bad.size:
        raise InputError(session.path, f"repeat {int(bad[0])} does not show frames 0..{n - 1} "
                                       "in order (incomplete or shuffled)")


def movie_responses(session: Session) -> np.ndarray:
    """dF/F of each ROI at each displayed frame: (repeats, n_frames, n_rois) float32.

    A frame's response is the first imaging sample at or after the frame's onset
    (``np.searchsorted(timestamps, onset)``, the Allen Brain Observatory convention: the
    sample acquired while the frame is on screen). Calcium-indicator delay is left to the
    models' regressors, not shifted here.
    """
    _check_repeats(session)
    times, stamps = session.presented_times, session.timestamps
    if times[0] < stamps[0] or times[-1] > stamps[-1]:
        raise InputError(session.path, "the movie is shown outside the imaging period "
                                       f"({session.timestamps[0]:.3f}.."
                                       f"{session.timestamps[-1]:.3f} s)")
    out = session.dff[np.searchsorted(stamps, times, side="left")]
    return out.reshape(session.repeats, session.n_frames, -1).astype(np.float32, copy=False)
