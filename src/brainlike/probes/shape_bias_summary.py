"""Every vision model's cue-conflict shape bias in one table (``results/shape_bias.parquet``).

Each model's per-layer table (``brainlike.probes.cue_conflict.SHAPE_BIAS``) is kept whole;
``best`` marks the layer whose read-out classifies the non-conflict images best (its
cross-validated ``train_accuracy``, first layer on ties): a bias read out by a probe that
cannot tell the classes apart says nothing, so that layer's bias is the model's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from brainlike.plan.roster import RosterEntry

__all__ = ["SHAPE_BIAS_COLUMNS", "shape_bias_summary"]

SHAPE_BIAS_COLUMNS = ["model", "layer", "shape_bias", "n_shape", "n_texture", "n_other",
                      "train_accuracy"]


def shape_bias_summary(tables: Sequence[pd.DataFrame],
                       roster: Mapping[str, RosterEntry]) -> pd.DataFrame:
    """Per-model tables (``SHAPE_BIAS_COLUMNS``) -> one table: their rows in order, plus
    layer_index (position in its model's table), role and control (from the roster; "" for a
    model outside it) and best (bool, one per model)."""
    parts = []
    for table in tables:
        missing = [c for c in SHAPE_BIAS_COLUMNS if c not in table.columns]
        if missing or table.empty:
            raise ValueError(f"a shape-bias table must have rows and columns "
                             f"{SHAPE_BIAS_COLUMNS}; missing {missing}, {len(table)} rows")
        part = table[SHAPE_BIAS_COLUMNS].reset_index(drop=True).copy()
        part["layer_index"] = np.arange(len(part), dtype=np.int16)
        accuracy = part["train_accuracy"].to_numpy(np.float64)
        best = np.zeros(len(part), bool)
        if np.isfinite(accuracy).any():
            best[int(np.nanargmax(accuracy))] = True
        part["best"] = best
        parts.append(part)
    if not parts:
        raise ValueError("no shape-bias tables")
    out = pd.concat(parts, ignore_index=True)
    twice = out.loc[out.duplicated(["model", "layer"]), "model"]
    if len(twice):
        raise ValueError(f"model {twice.iloc[0]!r} appears in more than one table or twice "
                         "per layer")
    out["role"] = [roster[m].role if m in roster else "" for m in out["model"]]
    out["control"] = [roster[m].control if m in roster else "" for m in out["model"]]
    return out
