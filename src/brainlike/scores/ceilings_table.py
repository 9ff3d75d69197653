"""A dataset's noise ceilings: every subject's vertices, from the runs all subjects share."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from brainlike.errors import InputError
from brainlike.scores.ceiling import noise_ceiling
from brainlike.scores.design import SubjectData, load_subject

log = logging.getLogger(__name__)


def dataset_ceilings(runs: dict[str, dict[str, str | Path]], method: str = "inter_subject",
                     groups: dict[str, str] | None = None, seed: int = 0) -> pd.DataFrame:
    """runs: subject -> task -> responses/1 file. Returns subject, vertex, ceiling, method.

    Only tasks every subject heard, in the same version (story), and vertices every subject
    kept enter the estimate: the inter-subject ceiling compares subjects volume by volume. With ``groups`` (subject ->
    label, e.g. native language) each group gets its own ceiling.
    """
    subjects = sorted(runs)
    if groups is not None and _groups_heard_apart(runs, groups):
        # Le Petit Prince: each language's listeners heard only their own sections, so each
        # group's ceiling comes from the runs its own members share.
        return pd.concat([dataset_ceilings({s: runs[s] for s in subjects if groups[s] == g},
                                           method, None, seed)
                          for g in dict.fromkeys(groups[s] for s in subjects)],
                         ignore_index=True)
    tasks = [t for t in runs[subjects[0]] if all(t in runs[s] for s in subjects)]
    if not tasks:
        raise ValueError(f"subjects {subjects} share no task: no inter-subject ceiling")
    data = {s: load_subject({t: runs[s][t] for t in tasks}) for s in subjects}
    data = _same_stories(data, tasks)
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


def _same_stories(data: dict[str, SubjectData], tasks: list[str]) -> dict[str, SubjectData]:
    """Only the volumes of tasks whose story every subject shares (milkyway has versions)."""
    stories = {t: {str(d.stories[d.tasks == t][0]) for d in data.values()} for t in tasks}
    shared = [t for t in tasks if len(stories[t]) == 1]
    if not shared:
        raise ValueError(f"subjects {sorted(data)} heard different versions of every shared "
                         f"task ({stories}): no inter-subject ceiling")
    if len(shared) == len(tasks):
        return data
    log.warning("tasks %s left out of the ceiling: the subjects heard different versions",
                sorted(set(tasks) - set(shared)))
    out = {}
    for s, d in data.items():
        keep = np.isin(d.tasks, shared)
        out[s] = SubjectData(responses=d.responses[keep], vertices=d.vertices, tasks=d.tasks[keep],
                             stories=d.stories[keep], times=d.times[keep])
    return out


def _groups_heard_apart(runs: dict[str, dict[str, str | Path]], groups: dict[str, str]) -> bool:
    """Whether some groups share no run with each other (then no all-subject stack exists)."""
    heard: dict[str, set[str]] = {}
    for subject, tasks in runs.items():
        if subject not in groups:
            raise ValueError(f"{subject} has no ceiling group (participants.tsv)")
        heard.setdefault(groups[subject], set()).update(tasks)
    return len(set.intersection(*heard.values())) == 0
