"""The embedded viewing dataset: simulated mice watching the world's movie, in the Allen
Brain Observatory 2P layout (DANDI 000728), published as a DataLad dataset.

One natural movie (:func:`brainlike.simulate.movies.render_movie`) is shown ``repeats``
times in every session; each session images one area's cells
(:func:`brainlike.simulate.mouse_cells.simulate_cells`). What the loader never reads goes to
``derivatives/groundtruth``: each cell's planted tuning and reliability, and the movie's
per-frame latents (shape class, motion) that the known-answer baseline reads.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from brainlike.plan.viewing import GROUNDTRUTH_DIR, ViewingDataset
from brainlike.simulate.allen import SessionPlan, build_dataset
from brainlike.simulate.mouse_cells import simulate_cells
from brainlike.simulate.movies import MovieWorld, render_movie

#: Cortical depths (µm) and Cre lines drawn for the side table, as Visual Coding sampled them.
DEPTHS_UM = (175.0, 275.0, 375.0)
CRE_LINES = ("Cux2-CreERT2", "Rorb-IRES2-Cre", "Scnn1a-Tg3-Cre", "Slc17a7-IRES2-Cre")
FPS = 30.0


def _seed(seed: int, *parts: object) -> int:
    return zlib.crc32("/".join(map(str, ("viewing", seed, *parts))).encode())


def build_viewing(ds: ViewingDataset, seed: int, root: Path) -> dict:
    """Write the sessions, side table and ground truth of ``ds`` under ``root``."""
    sim = ds.simulate
    if sim is None:
        raise ValueError(f"viewing dataset {ds.name!r} has no `simulate` block")
    world = MovieWorld(size=sim.size)
    movie = render_movie(world, round(sim.movie_seconds * FPS), _seed(seed, "movie"))
    template = np.round(movie.frames * 255).astype(np.uint8)
    rng = np.random.default_rng(_seed(seed, "sessions"))
    plans, tuning = [], []
    for session in ds.sessions:
        subject, experiment = session.split("_", 1)
        area = sim.session_area(session)
        cells = simulate_cells(movie, area, sim.cells_per_session, sim.repeats,
                               _seed(seed, session))
        plans.append(SessionPlan(
            specimen=subject.removeprefix("sub-"), experiment=experiment.removeprefix("ses-"),
            area=area, template=template, dff_at_frames=cells.dff,
            seed=_seed(seed, session, "nwb"), depth_um=float(rng.choice(DEPTHS_UM)),
            cre_line=str(rng.choice(CRE_LINES)), fps=FPS))
        table = cells.tuning.drop(columns="cell", errors="ignore")
        # named as the cells table names them: "<session>/<roi>"
        table.insert(0, "cell", [f"{experiment}/{i}" for i in range(len(table))])
        tuning.append(table)
    summary = build_dataset(root, plans)
    truth = root / GROUNDTRUTH_DIR
    truth.mkdir(parents=True, exist_ok=True)
    pd.concat(tuning, ignore_index=True).to_csv(truth / "cells_tuning.tsv", sep="\t",
                                                index=False, float_format="%.6g")
    latents = pd.DataFrame({"frame": np.arange(len(template)),
                            **{k: np.asarray(v) for k, v in movie.latents.items()}})
    latents.to_csv(truth / "movie_latents.tsv", sep="\t", index=False, float_format="%.6g")
    return {**summary, "frames": len(template), "repeats": sim.repeats}
