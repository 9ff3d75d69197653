"""The forecast figure: the gain of a window ahead against its distance, per ROI.

Reads the group rows of ``results/forecast/<dataset>.parquet``
(:mod:`brainlike.scores.forecast_gains`). One column of panels per ROI; the language
models' curves (words ahead) in the top row, the speech models' (seconds ahead) in the
bottom row. A model's curve in a ROI is that of its layer with the best group score alone in
that ROI: the layer is chosen on the score without any window, so the choice cannot favour
a large gain.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from matplotlib.ticker import MaxNLocator

from brainlike.figures.brainscores import plt, roi_order, save_figure
from brainlike.figures.comparisons import _text_figure

XLABELS = {"words": "window (words ahead)", "seconds": "window (seconds ahead)"}


def best_layer_curves(gains: pd.DataFrame) -> pd.DataFrame:
    """The group rows of each model's best layer (score alone) per ROI, sorted by distance."""
    group = gains[gains["subject"] == "group"]
    best = (group.groupby(["model", "roi", "layer"], sort=False)["score"].mean()
            .dropna().reset_index())
    if best.empty:
        return group.iloc[0:0]
    chosen = best.loc[best.groupby(["model", "roi"])["score"].idxmax(),
                      ["model", "roi", "layer"]]
    return group.merge(chosen, on=["model", "roi", "layer"]).sort_values(
        ["model", "roi", "ahead"], ignore_index=True)


def forecast_figure(gains: pd.DataFrame, path: str | Path) -> None:
    """Gain (ceiling-normalised r with the window minus without) against distance ahead,
    with the 95 % bootstrap interval over listeners, a line per model."""
    curves = best_layer_curves(gains)
    if curves.empty:
        _text_figure("No forecast gains: no ROI has a ceiling-normalised score (every "
                     "vertex's ceiling is under scores.ceiling_floor).", path)
        return
    rois = roi_order(curves)
    units = [u for u in XLABELS if u in set(curves["unit"])]
    fig, axes = plt.subplots(len(units), len(rois), figsize=(0.8 + 2.8 * len(rois),
                                                             0.6 + 2.6 * len(units)),
                             squeeze=False, sharey=True, layout="constrained")
    for row, unit in zip(axes, units):
        part = curves[curves["unit"] == unit]
        models = list(dict.fromkeys(part["model"]))
        for ax, roi in zip(row, rois):
            drawn = False
            for i, model in enumerate(models):
                line = part[(part["model"] == model) & (part["roi"] == roi)]
                if line.empty:
                    continue
                drawn = True
                x = line["ahead"].to_numpy(float)
                ax.plot(x, line["gain"], marker="o", ms=3, color=f"C{i}",
                        label=f"{model} ({line['layer'].iloc[0]})")
                ax.fill_between(x, line["ci_low"].to_numpy(float),
                                line["ci_high"].to_numpy(float), color=f"C{i}", alpha=0.15)
            ax.axhline(0, color="grey", lw=0.5)
            if unit == "seconds":
                ax.set_xscale("log")
            else:
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(roi, fontsize=9)
            ax.set_xlabel(XLABELS[unit], fontsize=8)
            if drawn:
                ax.legend(fontsize=6, frameon=False)
        row[0].set_ylabel("forecast gain (r / ceiling)")
    fig.suptitle("Forecast windows: the gain of the stimulus ahead", fontsize=10)
    save_figure(fig, path)
