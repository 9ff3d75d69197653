"""The phone-probe figure: held-out phone accuracy of every layer, a line per model."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from brainlike.figures.brainscores import plt, save_figure


def probe_table(probes: pd.DataFrame) -> pd.DataFrame:
    """Mean over folds: model, layer, layer_index, accuracy, sem, chance."""
    grouped = probes.groupby(["model", "layer_index", "layer"], sort=True)
    table = grouped.agg(accuracy=("accuracy", "mean"), sem=("accuracy", "sem"),
                        chance=("chance", "mean")).reset_index()
    return table


def probe_profiles(probes: pd.DataFrame, path: str | Path) -> None:
    """One panel per layer layout (models of one family share theirs), a line per model."""
    table = probe_table(probes)
    layouts: dict[tuple[str, ...], list[str]] = {}
    for model, rows in table.groupby("model", sort=False):
        layouts.setdefault(tuple(rows.sort_values("layer_index")["layer"]), []).append(model)
    fig, axes = plt.subplots(1, len(layouts), figsize=(5.5 * len(layouts), 4), squeeze=False,
                             sharey=True)
    for ax, (layers, models) in zip(axes[0], layouts.items()):
        for model in models:
            rows = table[table["model"] == model].sort_values("layer_index")
            ax.errorbar(rows["layer_index"], rows["accuracy"], yerr=rows["sem"], marker="o",
                        capsize=2, label=model)
        ax.axhline(table["chance"].mean(), color="grey", ls=":", label="chance (majority phone)")
        ax.set_xticks(range(len(layers)), layers, rotation=45, ha="right")
        ax.legend(fontsize=7, frameon=False)
    axes[0][0].set_ylabel("held-out phone accuracy (frames)")
    fig.suptitle("Layer-wise phone probe on the listening stories")
    save_figure(fig, path)
