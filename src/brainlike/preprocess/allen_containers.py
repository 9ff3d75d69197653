"""A session side table for DANDI 000728 from the Allen Brain Observatory's experiment containers.

DANDI 000728's NWB files name the area and (in the subject's genotype) the Cre line, but not
the imaging depth, and no file says which sessions a study selected. The Brain Observatory
API does: its experiment containers (one per mouse, area and depth; the
``experiment_containers.json`` that the AllenSDK's ``BrainObservatoryCache`` keeps beside its
manifest) list each container's targeted structure, imaging depth, donor genotype and its
sessions by stimulus set. This module turns such a file into the side table the allen2p
layout reads (columns :data:`~brainlike.preprocess.allen.SIDE_COLUMNS`), for one selection:
Cre lines, depths, areas and a stimulus set.

DANDI 000728 names a session's files ``sub-<specimen id>/sub-<specimen id>_ses-<experiment
id>-Stim<X>...``, so the container's ``specimen_id`` is the subject.

On a connected machine::

    python -m brainlike.preprocess.allen_containers experiment_containers.json \\
        --cre-line Cux2-CreERT2 --depth 175 --depth 275 -o config/presets/allen2p-sessions.tsv
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from brainlike.errors import InputError
from brainlike.io.atomic import atomic_path
from brainlike.plan.viewing import AREAS
from brainlike.preprocess.allen import SIDE_COLUMNS

#: The stimulus set whose sessions show natural_movie_one (as do A and C; B is the one
#: Bakhtiari et al.'s public code reads first, and what the allen2p layout names).
STIMULUS_SET = "three_session_B"


def _drivers(container: dict[str, Any]) -> list[str]:
    lines = container["specimen"]["donor"]["transgenic_lines"]
    return [t["name"] for t in lines if t.get("transgenic_line_type_name") == "driver"
            and "Cre" in t["name"]]


def side_table(containers: Iterable[dict[str, Any]], cre_lines: Sequence[str],
               depths: Sequence[int], areas: Sequence[str] = AREAS,
               stimulus: str = STIMULUS_SET) -> pd.DataFrame:
    """One row per session of ``stimulus`` in a container of the selection, sorted by area,
    depth and session; failed containers are left out."""
    rows = []
    for c in containers:
        if c.get("failed"):
            continue
        area, depth = c["targeted_structure"]["acronym"], int(c["imaging_depth"])
        cre = [d for d in _drivers(c) if d in cre_lines]
        if area not in areas or depth not in depths or not cre:
            continue
        for e in c["ophys_experiments"]:
            if e["stimulus_name"] == stimulus:
                rows.append({"session": f"ses-{e['id']}", "subject": f"sub-{c['specimen_id']}",
                             "area": area, "depth_um": depth, "cre_line": cre[0]})
    table = pd.DataFrame(rows, columns=list(SIDE_COLUMNS))
    table["order"] = table["area"].map({a: i for i, a in enumerate(areas)})
    return table.sort_values(["order", "depth_um", "session"]).drop(columns="order") \
        .reset_index(drop=True)


def read_containers(path: Path) -> list[dict[str, Any]]:
    try:
        containers = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(path, f"not a readable experiment-containers JSON ({err})") from err
    if not isinstance(containers, list) or not all(
            isinstance(c, dict) and "ophys_experiments" in c for c in containers):
        raise InputError(path, "expected a list of experiment containers, each with "
                               "`ophys_experiments`")
    return containers


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("containers", type=Path, help="experiment_containers.json")
    parser.add_argument("--cre-line", action="append", required=True)
    parser.add_argument("--depth", action="append", type=int, required=True)
    parser.add_argument("--area", action="append", choices=AREAS)
    parser.add_argument("--stimulus", default=STIMULUS_SET)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    table = side_table(read_containers(args.containers), args.cre_line, args.depth,
                       args.area or AREAS, args.stimulus)
    if table.empty:
        raise InputError(args.containers, "no session matches the selection")
    with atomic_path(args.output) as tmp:
        table.to_csv(tmp, sep="\t", index=False)


if __name__ == "__main__":
    main()
