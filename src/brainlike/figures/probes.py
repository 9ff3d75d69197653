"""The phone-probe figure: held-out phone accuracy of every layer, a line per model."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from brainlike.figures.brainscores import _save, plt


def probe_table(probes: pd.DataFrame) -> pd.DataFrame:
    """Mean over folds: model, layer, layer_index, accuracy, sem, chance."""
    grouped = probes.groupby(["model", "layer_index", "layer"], sort=True)
    table = grouped.agg(accuracy=("accuracy", "mean"), sem=("accuracy", "sem"),
                        chance=("chance", "mean")).reset_index()
    return table


def probe_profiles(probes: pd.DataFrame, path: str | Path) -> None:
    table = probe_table(probes)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for model, rows in table.groupby("model", sort=False):
        rows = rows.sort_values("layer_index")
        ax.errorbar(rows["layer_index"], rows["accuracy"], yerr=rows["sem"], marker="o",
                    capsize=2, label=model)
    ax.axhline(table["chance"].mean(), color="grey", ls=":", label="chance (majority phone)")
    widest = table.loc[table.groupby("model")["layer_index"].transform("max").idxmax(), "model"]
    names = table[table["model"] == widest].sort_values("layer_index")
    ax.set_xticks(names["layer_index"], names["layer"], rotation=45, ha="right")
    ax.set_ylabel("held-out phone accuracy (frames)")
    ax.set_title("Layer-wise phone probe on the listening stories")
    ax.legend(fontsize=7, frameon=False)
    _save(fig, path)
