"""Pathway specialisation: does one pathway of a model match dorsal areas better than ventral
ones, and the other the reverse (Bakhtiari et al. 2021)?

Definition. Input scores are per (model, seed, pathway, layer, area), optionally per cell.

1. Area score: the mean over the area's cells of the score (NaN cells, e.g. below the
   ceiling floor, skipped), then the mean over the model's seeds.
2. Best layer: per (model, pathway, area), the maximum area score over the pathway's layers
   (chosen per area: each area may prefer another depth).
3. Pathway value: the best-layer score averaged over the dorsal areas minus that averaged
   over the ventral areas (areas weigh equally, whatever their cell counts).
4. Index of a two-pathway model: value of its first pathway minus value of its second, in
   sorted order of the pathway names; positive when the first is the more dorsal one. In a
   symmetric architecture which pathway specialises is a matter of the seed, so there it is
   ``|index|`` that measures specialisation: ``index_magnitude`` is the mean over seeds of
   each seed's ``|index|`` (steps 2-4 per seed), whereas ``specialisation_index`` is the
   index of the seed-averaged scores (which seeds specialising opposite pathways cancel).
   Models without exactly two pathways get NaN.

Layers without a pathway (shared stem layers, or a one-pathway model) are grouped under the
pathway ``SHARED``: they get a value but never enter an index.

Intervals (:func:`bootstrap_specialisation`): percentile bootstrap, resampling cells with
replacement within each area (one draw of cells serves every model, layer and pathway, so
comparisons stay paired) and, for a model with several seeds, its seeds with replacement;
the statistic is recomputed from step 1 on each draw (the maximum in step 2 makes it
non-linear in the cells, which is why ``stats.bootstrap_ci``, a bootstrap of a mean, does not
fit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SHARED", "bootstrap_specialisation", "specialisation"]

SHARED = "shared"
_KEYS = ["model", "seed", "pathway", "layer"]


@dataclass
class _Layout:
    """Scores as one matrix per area: values[a] is (units, C) over the C columns of ``keys``
    (model, seed, pathway, layer), NaN where a unit has no finite score."""

    areas: list[str]
    keys: pd.DataFrame
    values: list[np.ndarray]


def _layout(scores: pd.DataFrame, areas: list[str], score: str) -> _Layout:
    missing = {"model", "pathway", "layer", "area", score} - set(scores.columns)
    if missing:
        raise ValueError(f"scores lack columns {sorted(missing)}; found {list(scores.columns)}")
    table = scores.copy()
    if "seed" not in table:
        table["seed"] = 0
    table["pathway"] = table["pathway"].where(table["pathway"].notna(), SHARED).astype(str)
    table["unit"] = table.get("cell", 0)
    absent = sorted(set(areas) - set(table["area"]))
    if absent:
        raise ValueError(f"no scores for areas {absent}; found {sorted(set(table['area']))}")
    table = table[table["area"].isin(areas)]
    duplicated = table.duplicated(["area", "unit", *_KEYS])
    if duplicated.any():
        what = "(cell, area, model, seed, pathway, layer)" if "cell" in scores else \
            "(area, model, seed, pathway, layer) (pass a cell column for per-cell scores)"
        raise ValueError(f"{int(duplicated.sum())} rows repeat a {what}")
    wide = table.pivot(index=["area", "unit"], columns=_KEYS, values=score)
    wide = wide.sort_index(axis=1)
    return _Layout(areas=areas, keys=wide.columns.to_frame(index=False),
                   values=[wide.loc[area].to_numpy(np.float64) for area in areas])


def _area_means(layout: _Layout, weights: list[np.ndarray]) -> np.ndarray:
    """(B, A, C) weighted means over units; weights[a]: (B, units of area a)."""
    out = []
    for values, w in zip(layout.values, weights):
        finite = np.isfinite(values)
        total = w @ np.where(finite, values, 0.0)
        count = w @ finite.astype(np.float64)
        out.append(np.divide(total, count, out=np.full_like(total, np.nan), where=count > 0))
    return np.stack(out, axis=1)


def _pathway_values(layout: _Layout, means: np.ndarray, seed_weights: dict[str, np.ndarray],
                    n_dorsal: int) -> dict[tuple[str, str], np.ndarray]:
    """{(model, pathway): (B, 3) dorsal, ventral, value} from (B, A, C) area means.

    seed_weights[model]: (B, n_seeds) weights over the model's seeds (sorted), rows sum to 1.
    """
    out = {}
    keys = layout.keys
    for (model, pathway), group in keys.groupby(["model", "pathway"], sort=True):
        seeds = sorted(keys.loc[keys["model"] == model, "seed"].unique())
        by_layer = group.pivot(index="layer", columns="seed", values="column")
        if by_layer.isna().any().any() or list(by_layer.columns) != seeds:
            raise ValueError(f"model {model!r} pathway {pathway!r}: every seed needs every "
                             f"layer, found layer x seed {by_layer.notna().to_dict()}")
        cols = by_layer.to_numpy(np.int64)  # (layers, seeds)
        per_seed = means[:, :, cols]  # (B, A, layers, seeds)
        area_scores = np.einsum("balk,bk->bal", per_seed, seed_weights[model])
        best = area_scores.max(axis=2)  # (B, A)
        dorsal, ventral = best[:, :n_dorsal].mean(axis=1), best[:, n_dorsal:].mean(axis=1)
        out[(model, pathway)] = np.stack([dorsal, ventral, dorsal - ventral], axis=1)
    return out


def _magnitudes(layout: _Layout, means: np.ndarray, seed_weights: dict[str, np.ndarray],
                n_dorsal: int) -> dict[str, np.ndarray]:
    """{two-pathway model: (B,) |index| of each seed, averaged over its seeds with
    seed_weights}: in a symmetric architecture each seed may specialise either pathway, so
    seeds pool by the size of their index, not its sign."""
    keys = layout.keys
    out = {}
    for model, group in keys[keys["pathway"] != SHARED].groupby("model", sort=True):
        pathways = sorted(group["pathway"].unique())
        if len(pathways) != 2:
            continue
        value = []
        for pathway in pathways:
            cols = group[group["pathway"] == pathway].pivot(
                index="layer", columns="seed", values="column").to_numpy(np.int64)
            best = means[:, :, cols].max(axis=2)  # (B, A, seeds)
            value.append(best[:, :n_dorsal].mean(axis=1) - best[:, n_dorsal:].mean(axis=1))
        out[model] = np.einsum("bk,bk->b", np.abs(value[0] - value[1]), seed_weights[model])
    return out


def _index(values: dict[tuple[str, str], np.ndarray], model: str) -> np.ndarray | None:
    """(B,) first-minus-second pathway value of a two-pathway model, else None."""
    pathways = sorted(p for m, p in values if m == model and p != SHARED)
    if len(pathways) != 2:
        return None
    return values[(model, pathways[0])][:, 2] - values[(model, pathways[1])][:, 2]


def _prepare(scores: pd.DataFrame, dorsal: Sequence[str], ventral: Sequence[str],
             score: str) -> _Layout:
    dorsal, ventral = list(dorsal), list(ventral)
    if not dorsal or not ventral:
        raise ValueError(f"need dorsal and ventral areas, found {dorsal} and {ventral}")
    if set(dorsal) & set(ventral):
        raise ValueError(f"areas {sorted(set(dorsal) & set(ventral))} are both dorsal and "
                         "ventral")
    layout = _layout(scores, dorsal + ventral, score)
    layout.keys["column"] = np.arange(len(layout.keys))
    return layout


def _seed_counts(layout: _Layout) -> dict[str, int]:
    return {m: int(k) for m, k in layout.keys.groupby("model")["seed"].nunique().items()}


def _uniform_seeds(layout: _Layout, n: int) -> dict[str, np.ndarray]:
    counts = layout.keys.groupby("model")["seed"].nunique()
    return {model: np.full((n, k), 1.0 / k) for model, k in counts.items()}


def _table(values: dict[tuple[str, str], np.ndarray], magnitudes: dict[str, np.ndarray],
           seeds: dict[str, int], at: int = 0) -> pd.DataFrame:
    rows = []
    for (model, pathway), v in values.items():
        index = _index(values, model)
        rows.append({"model": model, "pathway": pathway, "n_seeds": seeds[model],
                     "dorsal": v[at, 0], "ventral": v[at, 1], "value": v[at, 2],
                     "specialisation_index": np.nan if index is None else index[at],
                     "index_magnitude": magnitudes[model][at] if model in magnitudes
                     else np.nan})
    return pd.DataFrame(rows)


def specialisation(scores: pd.DataFrame, dorsal: Sequence[str], ventral: Sequence[str],
                   score: str = "normalised") -> pd.DataFrame:
    """Pathway values and specialisation indices (see the module docstring).

    scores: columns model, pathway (None/NaN for shared layers), layer, area and ``score``;
    optional seed (else one seed) and cell (else each row is its area's score, so a
    per-(model, seed, pathway, layer, area) table such as RSA's works as is). Areas outside
    dorsal and ventral are ignored.
    Returns one row per (model, pathway), sorted: model, pathway, n_seeds, dorsal, ventral
    (mean best-layer scores), value = dorsal - ventral, specialisation_index (the model's
    index, repeated on each of its rows; NaN unless it has two pathways), index_magnitude
    (mean over seeds of |index|; NaN likewise).
    """
    layout = _prepare(scores, dorsal, ventral, score)
    means = _area_means(layout, [np.ones((1, len(v))) for v in layout.values])
    if np.isnan(means).any():
        _, a, c = np.nonzero(np.isnan(means))
        key = layout.keys.iloc[c[0]]
        raise ValueError(f"area {layout.areas[a[0]]!r} has no finite {score} for model "
                         f"{key['model']!r} seed {key['seed']!r} layer {key['layer']!r}")
    weights = _uniform_seeds(layout, 1)
    return _table(_pathway_values(layout, means, weights, len(dorsal)),
                  _magnitudes(layout, means, weights, len(dorsal)), _seed_counts(layout))


def bootstrap_specialisation(cells: pd.DataFrame, dorsal: Sequence[str],
                             ventral: Sequence[str], *, score: str = "normalised",
                             n_bootstrap: int = 1000, confidence: float = 0.95,
                             seed: int = 0) -> pd.DataFrame:
    """Percentile bootstrap intervals of :func:`specialisation`, resampling cells within areas
    and seeds within models.

    cells: per-cell scores with columns cell, area, model, seed (optional), pathway, layer
    and ``score`` (e.g. ``cell_scores``' normalised, NaN below the ceiling floor); the same
    cell ids are shared by every model. Returns the rows of :func:`specialisation` (the
    estimates, from all cells and seeds) plus value_low, value_high, index_low, index_high,
    magnitude_low, magnitude_high.
    Draws where an area keeps no finite score are left out of the percentiles.
    """
    if "cell" not in cells:
        raise ValueError(f"cells need a cell column to resample, found {list(cells.columns)}")
    if n_bootstrap < 1 or not 0 < confidence < 1:
        raise ValueError(f"need n_bootstrap >= 1 and confidence in (0, 1), found "
                         f"{n_bootstrap} and {confidence}")
    estimate = specialisation(cells, dorsal, ventral, score)
    layout = _prepare(cells, dorsal, ventral, score)
    rng = np.random.default_rng(seed)
    # Multinomial counts (as stats.bootstrap_ci): resampled means become one product.
    weights = [rng.multinomial(len(v), np.full(len(v), 1.0 / len(v)), size=n_bootstrap)
               .astype(np.float64) for v in layout.values]
    seeds = {}
    for model, k in sorted(layout.keys.groupby("model")["seed"].nunique().items()):
        seeds[model] = rng.multinomial(k, np.full(k, 1.0 / k), size=n_bootstrap) / k
    means = _area_means(layout, weights)
    values = _pathway_values(layout, means, seeds, len(dorsal))
    magnitudes = _magnitudes(layout, means, seeds, len(dorsal))
    tail = 50.0 * (1.0 - confidence)
    bounds = []
    for model, pathway in zip(estimate["model"], estimate["pathway"]):
        index = _index(values, model)
        low, high = np.nanpercentile(values[(model, pathway)][:, 2], [tail, 100.0 - tail])
        ilow, ihigh = ((np.nan, np.nan) if index is None
                       else np.nanpercentile(index, [tail, 100.0 - tail]))
        mlow, mhigh = ((np.nan, np.nan) if model not in magnitudes
                       else np.nanpercentile(magnitudes[model], [tail, 100.0 - tail]))
        bounds.append({"value_low": low, "value_high": high, "index_low": ilow,
                       "index_high": ihigh, "magnitude_low": mlow, "magnitude_high": mhigh})
    return pd.concat([estimate, pd.DataFrame(bounds)], axis=1)
