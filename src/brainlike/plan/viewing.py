"""Vision datasets as the plan sees them: two-photon viewing datasets and video corpora.

A viewing dataset is the Allen Brain Observatory Visual Coding 2P layout as DANDI 000728
publishes it: one NWB file per session (imaging plane). Its raw file names live here, as the
listening layouts' do in :mod:`brainlike.plan.datasets`. Defaults come from the schema.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brainlike.plan.schema import section_defaults, validate_section
from brainlike.plan.specs import build

#: Where the simulated dataset keeps what the loader never reads.
GROUNDTRUTH_DIR = "derivatives/groundtruth"
#: The visual areas the Visual Coding 2P survey imaged, V1 first, then the higher areas.
AREAS = ("VISp", "VISl", "VISal", "VISrl", "VISam", "VISpm")


@dataclass(frozen=True)
class ViewingSimulation:
    areas: tuple[str, ...]
    sessions_per_area: int
    cells_per_session: int
    movie_seconds: float
    repeats: int
    size: int

    @classmethod
    def from_config(cls, d: dict[str, Any] | None = None) -> ViewingSimulation:
        return build(cls, section_defaults("viewing_simulation", d))

    @property
    def sessions(self) -> tuple[str, ...]:
        """``sub-<specimen>_ses-<experiment>`` of every generated session, area by area."""
        out = []
        for a in range(len(self.areas)):
            for k in range(self.sessions_per_area):
                i = a * self.sessions_per_area + k
                out.append(f"sub-{400001 + i}_ses-{500001 + i}")
        return tuple(out)

    def session_area(self, session: str) -> str:
        return self.areas[self.sessions.index(session) // self.sessions_per_area]


def outside_dataset(side_table: str | None) -> bool:
    """A side table given as ``/...`` or ``./...`` lies outside the dataset (relative to the
    working directory)."""
    return bool(side_table) and side_table.startswith(("/", "./"))


def side_table_sessions(path: Path) -> tuple[str, ...]:
    """``sub-<specimen>_ses-<experiment>`` of every row of a side table, in its order: a
    real dataset's selection, stated once (the table also gives each session's depth)."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
    except OSError as err:
        raise ValueError(f"side table {path}: cannot read it ({err})") from err
    if not rows or not {"session", "subject"} <= set(rows[0]):
        raise ValueError(f"side table {path}: needs columns session and subject, one row "
                         "per session")
    return tuple(f"{r['subject']}_{r['session']}" for r in rows)


@dataclass(frozen=True)
class ViewingDataset:
    """A two-photon dataset of mice watching a movie (``viewing.<name>``)."""

    name: str
    source: str
    version: str | None
    layout: str
    sessions: tuple[str, ...]
    movie: str
    side_table: str | None
    groundtruth: bool
    simulate: ViewingSimulation | None

    @classmethod
    def from_config(cls, name: str, d: dict[str, Any]) -> ViewingDataset:
        d = section_defaults("viewing_dataset", d)
        sim = ViewingSimulation.from_config(d["simulate"]) if d["simulate"] is not None \
            else None
        sessions = d["sessions"]
        if sessions is None and sim is not None:
            sessions = sim.sessions
        elif sessions is None:
            side = d["side_table"]
            if not outside_dataset(side):
                raise ValueError(f"viewing.{name}: list its `sessions`, or give a `side_table` "
                                 "outside the dataset (`./...`) that lists them")
            sessions = side_table_sessions(Path(side))
            # the schema's session pattern keeps wildcards and shell arguments safe
            validate_section("viewing_dataset", {**d, "sessions": list(sessions)},
                             f"viewing.{name} (sessions of {side})")
        return cls(name=name, source=d["source"], version=d["version"], layout=d["layout"],
                   sessions=tuple(sessions), movie=d["movie"], side_table=d["side_table"],
                   groundtruth=bool(d["groundtruth"]), simulate=sim)

    # -- the DANDI 000728 layout ------------------------------------------------------------
    @staticmethod
    def subject(session: str) -> str:
        return session.split("_", 1)[0]

    def nwb(self, session: str) -> str:
        subject, ses = session.split("_", 1)
        return f"{subject}/{subject}_{ses}-StimB_behavior+image+ophys.nwb"

    @property
    def groundtruth_dir(self) -> str:
        return GROUNDTRUTH_DIR

    @property
    def side_table_outside(self) -> bool:
        """DANDI's files carry no depth: the real preset's side table lies outside."""
        return outside_dataset(self.side_table)

    def side_table_path(self, root: str) -> str | None:
        if not self.side_table:
            return None
        return self.side_table if self.side_table_outside else f"{root}/{self.side_table}"

    def files_to_get(self) -> list[str]:
        paths = ["dandiset.yaml"] + [self.nwb(s) for s in self.sessions]
        paths += [self.side_table] if self.side_table and not self.side_table_outside else []
        paths += [GROUNDTRUTH_DIR] if self.groundtruth else []
        return paths


@dataclass(frozen=True)
class VideoSimulation:
    clips: int
    clip_frames: int
    size: int

    @classmethod
    def from_config(cls, d: dict[str, Any] | None = None) -> VideoSimulation:
        return build(cls, section_defaults("video_simulation", d))


@dataclass(frozen=True)
class VideoCorpus:
    """Training clips: ``<collection>/clip-<n>.npy`` (uint8 frames x H x W) and
    ``<collection>/labels.tsv`` (a row per clip)."""

    name: str
    source: str
    version: str | None
    collections: tuple[str, ...]
    heldout_clips: int
    shard_clips: int
    simulate: VideoSimulation | None

    @classmethod
    def from_config(cls, name: str, d: dict[str, Any]) -> VideoCorpus:
        d = section_defaults("video_corpus", d)
        sim = VideoSimulation.from_config(d["simulate"]) if d["simulate"] is not None else None
        return cls(name=name, source=d["source"], version=d["version"],
                   collections=tuple(d["collections"]), heldout_clips=int(d["heldout_clips"]),
                   shard_clips=int(d["shard_clips"]), simulate=sim)

    def files_to_get(self) -> list[str]:
        return list(self.collections)
