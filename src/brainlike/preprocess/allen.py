"""Visual Coding 2P sessions (DANDI 000728 layout) to the study's Parquet tables.

stimuli/{movie}.parquet -- one row per template frame
    frame int32, time_s float64 (frame / fps), height int32, width int32,
    pixels binary (uint8 H*W, row-major); plus the movie latents as extra columns when the
    dataset's ground truth has them (derivatives/groundtruth/movie_latents.tsv)
cells.parquet -- one row per ROI
    cell string ("<session>/<roi index>"), session string ("ses-<experiment>"),
    subject string ("sub-<specimen>"), area string, depth_um float64 (NaN when unknown),
    cre_line string ("unknown" when unknown), roi int32
sessions/{session}.parquet -- long, one row per cell, repeat and frame
    cell string, repeat int16, frame int32, dff float32 (``preprocess.nwb.movie_responses``)
groundtruth.parquet -- simulated datasets only: the tuning table(s) of
    derivatives/groundtruth/*.tsv, as written, stacked
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from brainlike.errors import InputError
from brainlike.io.atomic import atomic_directory, atomic_path
from brainlike.preprocess.nwb import MOVIE, MOVIE_FPS, movie_responses, read_session

log = logging.getLogger(__name__)

#: Where a dataset keeps what the NWB files lack: the session side table, and (simulated
#: datasets) the planted ground truth.
SIDE_TABLE = "derivatives/sessions.tsv"
GROUNDTRUTH_DIR = "derivatives/groundtruth"
LATENTS = "movie_latents.tsv"
SIDE_COLUMNS = ("session", "subject", "area", "depth_um", "cre_line")
UNKNOWN_CRE = "unknown"

CELLS = pa.schema([
    ("cell", pa.string()), ("session", pa.string()), ("subject", pa.string()),
    ("area", pa.string()), ("depth_um", pa.float64()), ("cre_line", pa.string()),
    ("roi", pa.int32()),
])
RESPONSES = pa.schema([
    ("cell", pa.string()), ("repeat", pa.int16()), ("frame", pa.int32()),
    ("dff", pa.float32()),
])
STIMULUS = pa.schema([
    ("frame", pa.int32()), ("time_s", pa.float64()), ("height", pa.int32()),
    ("width", pa.int32()), ("pixels", pa.binary()),
])


def _write(table: pa.Table, path: Path) -> None:
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def read_side_table(path: Path) -> pd.DataFrame:
    """The session side table, indexed by session ("ses-<experiment>")."""
    table = pd.read_csv(path, sep="\t", dtype={"session": str, "subject": str,
                                               "cre_line": str})
    missing = [c for c in SIDE_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(path, f"no column {', '.join(missing)} (has "
                               f"{', '.join(table.columns)})")
    if table["session"].duplicated().any():
        raise InputError(path, "a session is listed twice: "
                               f"{sorted(table['session'][table['session'].duplicated()])}")
    return table.set_index("session")


def _known(value: object) -> str | None:
    """A side-table text cell, None when empty or "unknown"."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return None if text in ("", UNKNOWN_CRE) else text


def _side_facts(side: pd.DataFrame | None, session, side_table: Path | None
                ) -> tuple[float, str]:
    """(depth in um, Cre line) of a session: the depth from the side table (NaN without a
    row), the Cre line from the file's genotype, else the side table, else "unknown". A side
    table that names another area or Cre line than the file is an error: one of them is
    wrong, and the depth beside it is then suspect too."""
    row = side.loc[session.session] if side is not None and session.session in side.index \
        else None
    if row is None:
        log.warning("%s: session %s is not in the side table %s; depth NaN",
                    session.path, session.session, side_table)
        return float("nan"), session.cre_line or UNKNOWN_CRE
    area, listed = _known(row["area"]), _known(row["cre_line"])
    if area and area != session.location:
        raise InputError(Path(side_table), f"session {session.session} is in {area}, but "
                                           f"its file {session.path} images "
                                           f"{session.location!r} (ImagingPlane.location)")
    if session.cre_line and listed and listed != session.cre_line:
        raise InputError(Path(side_table), f"session {session.session} has Cre line "
                                           f"{listed!r}, but its file {session.path} names "
                                           f"{session.cre_line!r} in the subject's genotype")
    return float(row["depth_um"]), session.cre_line or listed or UNKNOWN_CRE


def stimulus_table(template: np.ndarray, fps: float,
                   latents: pd.DataFrame | None = None) -> pa.Table:
    """template: (n_frames, H, W) uint8 -> the stimuli table, latents (one row per frame,
    in frame order) appended as columns."""
    n, height, width = template.shape
    frames = np.arange(n)
    table = pa.Table.from_arrays([
        pa.array(frames, pa.int32()), pa.array(frames / fps, pa.float64()),
        pa.array(np.full(n, height), pa.int32()), pa.array(np.full(n, width), pa.int32()),
        pa.array([np.ascontiguousarray(f).tobytes() for f in template], pa.binary()),
    ], schema=STIMULUS)
    if latents is not None:
        for name in latents.columns:
            if name != "frame":
                table = table.append_column(name, pa.array(latents[name].to_numpy()))
    return table


def _latents(path: Path, n_frames: int) -> pd.DataFrame:
    latents = pd.read_csv(path, sep="\t")
    if len(latents) != n_frames:
        raise InputError(path, f"{len(latents)} rows for a {n_frames}-frame template")
    if "frame" in latents.columns:
        if not np.array_equal(np.sort(latents["frame"].to_numpy()), np.arange(n_frames)):
            raise InputError(path, f"column frame is not 0..{n_frames - 1}")
        latents = latents.sort_values("frame", kind="stable")
    return latents.reset_index(drop=True)


def _groundtruth(directory: Path) -> pa.Table:
    tables = sorted(p for p in directory.glob("*.tsv") if p.name != LATENTS)
    if not tables:
        raise InputError(directory, "no tuning table (*.tsv besides the movie latents)")
    frame = pd.concat([pd.read_csv(p, sep="\t") for p in tables], ignore_index=True)
    return pa.Table.from_pandas(frame, preserve_index=False)


def _movie_table(root: Path, template: np.ndarray, fps: float) -> pa.Table:
    latents_path = root / GROUNDTRUTH_DIR / LATENTS
    latents = _latents(latents_path, len(template)) if latents_path.exists() else None
    return stimulus_table(template, fps, latents)


def write_movie(root: Path, session: str, out: Path, movie: str = MOVIE,
                fps: float = MOVIE_FPS) -> int:
    """The stimuli table of ``movie`` from one session's template (every session's is the
    same: the cells' conversion checks it); returns the number of frames."""
    template = read_session(Path(root) / session, movie=movie).template
    _write(_movie_table(Path(root), template, fps), Path(out))
    return len(template)


def write_groundtruth(root: Path, out: Path) -> None:
    """The simulated dataset's tuning tables, stacked, to ``out``."""
    _write(_groundtruth(Path(root) / GROUNDTRUTH_DIR), Path(out))


def to_parquet(root: Path, sessions: list[str], side_table: Path | None,
               out_stimulus: Path | None,
               out_cells: Path, out_sessions_dir: Path, groundtruth: Path | None,
               movie: str = MOVIE, fps: float = MOVIE_FPS) -> dict:
    """Convert the ``sessions`` (NWB paths relative to ``root``) to the Parquet tables.

    Every session must show the same template. A session missing from ``side_table`` (or
    no side table) gets depth NaN, with a warning; the Cre line comes from the file's
    genotype, else the side table, else is "unknown". ``groundtruth``
    (the output path) is written from ``root/derivatives/groundtruth`` when given.
    Returns a summary: sessions, cells and frames.
    """
    root = Path(root)
    if not sessions:
        raise ValueError("to_parquet needs at least one session")
    side = read_side_table(Path(side_table)) if side_table is not None else None
    template, template_hash, first = None, None, None
    cells: list[pd.DataFrame] = []
    done: list[str] = []
    # Each session's long table goes to disk as soon as it is made (a real dataset's would
    # not all fit in memory); the directory appears under its name only once all are there.
    with atomic_directory(out_sessions_dir) as tmp:
        for rel in sessions:
            path = root / rel
            session = read_session(path, movie=movie)
            digest = hashlib.sha256(session.template.tobytes()
                                    + str(session.template.shape).encode()).hexdigest()
            if template is None:
                template, template_hash, first = session.template, digest, path
            elif digest != template_hash:
                raise InputError(path, f"its {movie!r} template {session.template.shape} "
                                       f"differs from {first}'s {template.shape}")
            if session.session in done:
                raise InputError(path, f"session {session.session} is listed twice")
            depth, cre = _side_facts(side, session, side_table)
            n_rois = session.dff.shape[1]
            names = [f"{session.session}/{i}" for i in range(n_rois)]
            cells.append(pd.DataFrame({
                "cell": names, "session": session.session, "subject": session.subject,
                "area": session.location, "depth_um": depth, "cre_line": cre,
                "roi": np.arange(n_rois, dtype=np.int32)}))
            dff = movie_responses(session)  # (repeats, frames, cells)
            repeats, n_frames, _ = dff.shape
            pq.write_table(pa.Table.from_arrays([
                pa.array(np.repeat(names, repeats * n_frames), pa.string()),
                pa.array(np.tile(np.repeat(np.arange(repeats), n_frames), n_rois), pa.int16()),
                pa.array(np.tile(np.arange(n_frames), repeats * n_rois), pa.int32()),
                pa.array(dff.transpose(2, 0, 1).ravel(), pa.float32()),
            ], schema=RESPONSES), tmp / f"{session.session}.parquet")
            done.append(session.session)

        assert template is not None
        if groundtruth is not None:
            write_groundtruth(root, Path(groundtruth))
        if out_stimulus is not None:
            _write(_movie_table(root, template, fps), Path(out_stimulus))
        _write(pa.Table.from_pandas(pd.concat(cells, ignore_index=True), schema=CELLS,
                                    preserve_index=False), Path(out_cells))
    n_cells = sum(len(c) for c in cells)
    log.info("converted %d sessions, %d cells, %d-frame %s", len(sessions), n_cells,
             len(template), movie)
    return {"sessions": done, "n_cells": n_cells, "n_frames": len(template)}
