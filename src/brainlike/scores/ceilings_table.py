"""A dataset's noise ceilings: every subject's vertices, from the runs all subjects share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from brainlike.errors import InputError
from brainlike.scores.ceiling import noise_ceiling
from brainlike.scores.design import load_subject


def dataset_ceilings(runs: dict[str, dict[str, str | Path]], method: str = "inter_subject",
                     groups: dict[str, str] | None = None, seed: int = 0) -> pd.DataFrame:
    """runs: subject -> task -> responses/1 file. Returns subject, vertex, ceiling, method.

    Only tasks every subject heard and vertices every subject kept enter the estimate: the
    inter-subject ceiling compares subjects volume by volume. With ``groups`` (subject ->
    label, e.g. native language) each group gets its own ceiling.
    """
    subjects = sorted(runs)
    tasks = [t for t in runs[subjects[0]] if all(t in runs[s] for s in subjects)]
    if not tasks:
        raise ValueError(f"subjects {subjects} share no task: no inter-subject ceiling")
    data = {s: load_subject({t: runs[s][t] for t in tasks}) for s in subjects}
    reference = data[subjects[0]]
    for s in subjects[1:]:
        if (data[s].times.shape != reference.times.shape
                or not np.allclose(data[s].times, reference.times)):
            raise InputError(runs[s][tasks[0]], f"{s}'s volume times differ from "
                             f"{subjects[0]}'s: the runs are not aligned for a ceiling")
    common = reference.vertices
    for s in subjects[1:]:
        common = np.intersect1d(common, data[s].vertices)
    stack = np.stack([data[s].responses[:, np.searchsorted(data[s].vertices, common)]
                      for s in subjects])
    labels = None if groups is None else [groups[s] for s in subjects]
    if method == "inter_subject":
        ceiling = noise_ceiling(stack, "inter_subject", groups=labels, seed=seed)
    else:  # subjects as repeated recordings: one ceiling for a single recording
        ceiling = np.tile(noise_ceiling(stack, "split_half", target_repeats=1, seed=seed),
                          (len(subjects), 1))
    return pd.DataFrame({"subject": np.repeat(subjects, len(common)),
                         "vertex": np.tile(common, len(subjects)).astype(np.int32),
                         "ceiling": ceiling.ravel(), "method": method})
