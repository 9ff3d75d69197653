"""The vision figures: RSA and ridge score per layer and area, pathway specialisation, and
the cue-conflict shape bias.

They read ``results/brainscores/<dataset>/<model>.rois.parquet`` (area scores),
``results/summary/<dataset>.parquet`` (headline), ``...specialisation.parquet`` and
``results/shape_bias.parquet`` (:mod:`brainlike.scores.vision_summary`,
:mod:`brainlike.probes.shape_bias_summary`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on workstations' batch nodes or CI
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from brainlike.figures.brainscores import save_figure
# plotting order: primary visual cortex, the ventral area, then the dorsal ones
from brainlike.plan.viewing import AREAS as AREA_ORDER

__all__ = ["AREA_ORDER", "area_profiles", "shape_bias_figure", "specialisation_figure"]

_PROFILE_ROWS = (("rsa_normalised", "RSA (tau / RDM ceiling)"),
                 ("ridge_normalised", "ridge (r / ceiling)"))


def _areas(frame: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(frame["area"]))
    return [a for a in AREA_ORDER if a in present] + [a for a in present if a not in AREA_ORDER]


def _label(model: str, pathway: str, n_pathways: int) -> str:
    if n_pathways == 1:
        return model
    return f"{model} pathway {pathway}" if pathway else f"{model} shared"


def _lines(rois: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(label, rows) per model and pathway, layers in the table's (the model's) order."""
    out = []
    for model in dict.fromkeys(rois["model"]):
        mine = rois[rois["model"] == model]
        pathways = list(dict.fromkeys(mine["pathway"]))
        for pathway in pathways:
            out.append((_label(model, pathway, len(pathways)), mine[mine["pathway"] == pathway]))
    return out


def area_profiles(rois: pd.DataFrame, summary: pd.DataFrame, path: str | Path) -> None:
    """One column per area: normalised RSA (top) and ridge score (bottom) of every layer, a
    line per model (and pathway) over relative depth (0 = its first layer, 1 = its last);
    one-layer models (baselines) as dotted horizontal lines; the ridge panel marks each
    model's best layer with its bootstrap interval over cells from the headline table."""
    areas = _areas(rois)
    lines = _lines(rois)
    colours = {label: f"C{i % 10}" for i, (label, _) in enumerate(lines)}
    fig, axes = plt.subplots(2, len(areas), figsize=(3.2 * len(areas), 5.6), squeeze=False,
                             sharey="row")
    for col, area in enumerate(areas):
        for row, (metric, ylabel) in enumerate(_PROFILE_ROWS):
            ax = axes[row][col]
            for label, frame in lines:
                part = frame[frame["area"] == area]
                if len(part) == 1:
                    ax.axhline(part[metric].iloc[0], color=colours[label], ls=":", lw=1.2,
                               label=label)
                    continue
                x = np.linspace(0.0, 1.0, len(part))
                ax.plot(x, part[metric], marker="o", ms=3, color=colours[label], label=label)
            if metric == "ridge_normalised":
                _ridge_intervals(ax, summary[summary["area"] == area], rois, colours)
            ax.axhline(0, color="grey", lw=0.5)
            ax.set_xlim(-0.05, 1.05)
            if row == 0:
                ax.set_title(area, fontsize=9)
            else:
                ax.set_xlabel("relative layer depth", fontsize=8)
            if col == 0:
                ax.set_ylabel(ylabel, fontsize=8)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, frameon=False, loc="upper left",
               bbox_to_anchor=(1.0, 0.95))
    fig.tight_layout()
    save_figure(fig, path)


def _ridge_intervals(ax, summary: pd.DataFrame, rois: pd.DataFrame,
                     colours: dict[str, str]) -> None:
    """Error bars at each model's best ridge layer (headline rows of one area)."""
    for row in summary.itertuples():
        if not row.ridge_layer or not np.isfinite(row.ridge_low):
            continue
        mine = rois[(rois["model"] == row.model) & (rois["pathway"] == row.ridge_pathway)]
        layers = list(dict.fromkeys(mine["layer"]))
        x = layers.index(row.ridge_layer) / max(len(layers) - 1, 1) if len(layers) > 1 else 1.0
        label = _label(row.model, row.ridge_pathway,
                       rois.loc[rois["model"] == row.model, "pathway"].nunique())
        ax.errorbar([x], [row.ridge_normalised],
                    yerr=[[row.ridge_normalised - row.ridge_low],
                          [row.ridge_high - row.ridge_normalised]],
                    color=colours.get(label, "k"), capsize=2, lw=1)


def specialisation_figure(table: pd.DataFrame, path: str | Path) -> None:
    """Dorsal-minus-ventral best-layer score per model and pathway: ridge (filled, with its
    bootstrap interval over cells and seeds) and RSA (open, no interval); a two-pathway
    model's mean |index| over its seeds (ridge, with its interval) is written beside it."""
    keys = list(dict.fromkeys(zip(table["model"], table["pathway"])))
    fig, ax = plt.subplots(figsize=(5.0, 1.2 + 0.4 * max(len(keys), 1)))
    if not keys:
        ax.text(0.5, 0.5, "no model with pathways\n(or no dorsal and ventral areas)",
                ha="center", va="center", transform=ax.transAxes, fontsize=9)
        ax.set_axis_off()
        save_figure(fig, path)
        return
    y = {key: i for i, key in enumerate(keys)}
    for method, marker, fill in (("ridge", "o", "C0"), ("rsa", "s", "none")):
        part = table[table["method"] == method]
        if part.empty:
            continue
        ys = np.array([y[k] for k in zip(part["model"], part["pathway"])], dtype=float)
        ys += 0.15 if method == "rsa" else -0.15
        value = part["value"].to_numpy(np.float64)
        low = part["value_low"].to_numpy(np.float64)
        high = part["value_high"].to_numpy(np.float64)
        has = np.isfinite(low) & np.isfinite(high)
        ax.errorbar(value[has], ys[has], xerr=[value[has] - low[has], high[has] - value[has]],
                    fmt="none", ecolor="C0", capsize=2, lw=1)
        ax.plot(value, ys, marker, mfc=fill, mec="C0", ls="none", label=method)
    ridge = table[table["method"] == "ridge"].drop_duplicates("model").set_index("model")
    for model, row in ridge.iterrows():
        if np.isfinite(row["index_magnitude"]):
            first = min(i for (m, _), i in y.items() if m == model)
            ax.annotate(f"|index| {row['index_magnitude']:.2f} [{row['magnitude_low']:.2f}, "
                        f"{row['magnitude_high']:.2f}]", (1.0, first),
                        xycoords=("axes fraction", "data"), xytext=(4, 0),
                        textcoords="offset points", fontsize=7, va="center")
    seeds = dict(zip(table["model"], table["n_seeds"]))
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_yticks(range(len(keys)), [
        f"{m}{f' ({seeds[m]:.0f} seeds)' if seeds.get(m, 1) > 1 else ''} · {p}"
        for m, p in keys], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("dorsal − ventral best-layer score (normalised)")
    ax.legend(fontsize=7, frameon=False)
    save_figure(fig, path)


def shape_bias_figure(table: pd.DataFrame, path: str | Path) -> None:
    """Each model's shape bias at its best layer (by the read-out's training accuracy), the
    layer named on the bar; the dashed line is no preference (as many shape as texture
    decisions)."""
    best = table[table["best"]]
    fig, ax = plt.subplots(figsize=(1.5 + 0.7 * max(len(best), 1), 3.4))
    x = np.arange(len(best))
    ax.bar(x, best["shape_bias"], color="C2")
    for i, row in enumerate(best.itertuples()):
        ax.text(i, 0.02, row.layer, rotation=90, ha="center", va="bottom", fontsize=7)
    ax.axhline(0.5, color="grey", ls="--", lw=0.8)
    ax.set_xticks(x, best["model"], rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("shape bias (shape / (shape + texture))")
    save_figure(fig, path)
