"""The probe's verdict per model: which layer is most phonetic, and did training put it there?

A trained model passes when its most phonetic layer (mean accuracy over folds) is deeper than
the first layer and beats the same layer of its untrained control (the seeded random
initialisation of the same family and preset). Means alone hide how thin a margin is, so
every comparison also counts the folds that agree: the folds are contiguous stretches of
the stories, and a margin that flips sign between them is not a result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _per_fold(probes: pd.DataFrame, model: str) -> tuple[pd.DataFrame, dict[int, str]]:
    """(layer_index x fold) accuracy of one model, and its layer names by index."""
    rows = probes[probes["model"] == model]
    if rows.empty:
        raise ValueError(f"no probe rows for model {model!r}")
    return (rows.pivot_table(index="layer_index", columns="fold", values="accuracy"),
            dict(zip(rows["layer_index"].astype(int), rows["layer"])))


def _compare(a: pd.Series, b: pd.Series) -> tuple[float, int]:
    """(mean of a - b over the folds both have, folds where a > b)."""
    diff = (a - b).dropna()
    return float(diff.mean()), int((diff > 0).sum())


def probe_summary(probes: pd.DataFrame, controls: dict[str, str]) -> pd.DataFrame:
    """One row per model of ``probes`` (probe/1 rows): see the probesummary/1 schema.
    ``controls``: model -> its untrained control ("" for none), the plan roster's choice."""
    out = []
    for model in sorted(probes["model"].unique()):
        folds, names = _per_fold(probes, model)
        means = folds.mean(axis=1)
        best = int(means.idxmax())
        first = int(means.index.min())
        over_first, folds_first = _compare(folds.loc[best], folds.loc[first])
        control = controls.get(model, "")
        row = {"model": model, "control": control, "best_layer": names[best],
               "best_index": best, "accuracy": float(means[best]),
               "first_layer": names[first], "first_accuracy": float(means[first]),
               "over_first": over_first, "folds_over_first": folds_first,
               "control_accuracy": np.nan, "over_control": np.nan, "folds_over_control": 0,
               "n_folds": int(folds.shape[1])}
        if control:
            theirs, their_names = _per_fold(probes, control)
            if their_names.get(best) != names[best]:
                raise ValueError(f"{control!r} has no layer {names[best]!r} at index {best}: "
                                 f"not a control of {model!r}")
            row["control_accuracy"] = float(theirs.loc[best].mean())
            row["over_control"], row["folds_over_control"] = _compare(folds.loc[best],
                                                                      theirs.loc[best])
        row["deeper"] = best != first
        row["beats_control"] = bool(control) and row["over_control"] > 0
        row["passes"] = row["deeper"] and row["beats_control"]
        out.append(row)
    return pd.DataFrame(out)
