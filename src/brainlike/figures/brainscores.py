"""The brain-score figures: layer profiles per ROI, the best layer per ROI, models per ROI.

All read the group rows (subject ``group``) of ``results/summary/<dataset>.parquet``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on workstations' batch nodes or CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from brainlike.io.atomic import atomic_path  # noqa: E402

#: Plotting order: up the planted hierarchy, then the noise-only control.
ROI_ORDER = ("early_auditory", "mid_temporal", "high_language", "control")
METRIC = "normalised_r"


def group_rows(summary: pd.DataFrame) -> pd.DataFrame:
    group = summary[summary["subject"] == "group"]
    if group.empty:
        raise ValueError("the summary has no group rows")
    return group


def roi_order(frame: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(frame["roi"]))
    return [r for r in ROI_ORDER if r in present] + [r for r in present if r not in ROI_ORDER
                                                     and r != "other"]


def save_figure(fig: plt.Figure, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=Path(path).suffix.lstrip(".") or "svg", bbox_inches="tight")
    plt.close(fig)


def layer_profiles(summary: pd.DataFrame, models: list[str], path: str | Path) -> None:
    """One panel per model: ceiling-normalised score of every layer, a line per ROI."""
    group = group_rows(summary)
    rois = roi_order(group)
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 3.4), squeeze=False,
                             sharey=True)
    for ax, model in zip(axes[0], models):
        frame = group[group["model"] == model].sort_values("layer_index")
        layers = list(dict.fromkeys(frame["layer"]))
        x = np.arange(len(layers))
        for roi in rois:
            part = frame[frame["roi"] == roi].set_index("layer").reindex(layers)
            ax.plot(x, part[METRIC], marker="o", ms=3, label=roi)
            ax.fill_between(x, part["ci_low"], part["ci_high"], alpha=0.15)
        ax.set_xticks(x, layers, rotation=60, ha="right", fontsize=7)
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title(model, fontsize=9)
    axes[0][0].set_ylabel("brain score (r / noise ceiling)")
    axes[0][-1].legend(fontsize=7, frameon=False)
    save_figure(fig, path)


def best_layers(summary: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Per model and ROI: the layer with the highest group score (the hierarchy test)."""
    group = group_rows(summary)
    group = group[group["model"].isin(models) & group[METRIC].notna()]
    best = group.loc[group.groupby(["model", "roi"])[METRIC].idxmax()]
    return best[["model", "roi", "layer", "layer_index", METRIC]].reset_index(drop=True)


def best_layer_figure(summary: pd.DataFrame, models: list[str], path: str | Path) -> None:
    """Relative depth (0 = first layer, 1 = last) of each ROI's best layer, per model."""
    best = best_layers(summary, models)
    depth = group_rows(summary).groupby("model")["layer_index"].max()
    rois = roi_order(best)
    fig, ax = plt.subplots(figsize=(1.2 + 1.1 * len(rois), 3.2))
    for i, model in enumerate(models):
        part = best[best["model"] == model].set_index("roi").reindex(rois)
        ax.plot(np.arange(len(rois)) + 0.05 * i, part["layer_index"] / max(depth[model], 1),
                marker="o", label=model)
    ax.set_xticks(np.arange(len(rois)), rois, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("relative depth of best layer")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=7, frameon=False)
    save_figure(fig, path)


def models_by_roi(summary: pd.DataFrame, path: str | Path) -> None:
    """Each model's best layer score per ROI (baselines have one layer): who explains what."""
    group = group_rows(summary)
    best = group.groupby(["model", "roi"])[METRIC].max().unstack("roi")
    rois = [r for r in roi_order(group) if r in best.columns]
    models = list(best.index)
    width = 0.8 / len(models)
    fig, ax = plt.subplots(figsize=(1.5 + 1.4 * len(rois), 3.4))
    for i, model in enumerate(models):
        ax.bar(np.arange(len(rois)) + i * width, best.loc[model, rois], width, label=model)
    ax.set_xticks(np.arange(len(rois)) + 0.4 - width / 2, rois, rotation=20, ha="right",
                  fontsize=8)
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_ylabel("best-layer brain score (r / ceiling)")
    ax.legend(fontsize=7, frameon=False)
    save_figure(fig, path)
