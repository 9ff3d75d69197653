"""Pathway specialisation on planted per-cell scores: against a direct pandas computation of
the definition, its sign, and bootstrap intervals that exclude 0 only when there is a pattern."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from brainlike.scores.specialisation import (
    SHARED,
    bootstrap_specialisation,
    specialisation,
)

DORSAL = ("VISal", "VISpm")
VENTRAL = ("VISl",)
LAYERS = ("early", "late")


def _cells(dorsal_gap: float, seeds: int, n_cells: int = 30, seed: int = 0) -> pd.DataFrame:
    """Per-cell normalised scores of a two-pathway model "two" (pathway "1" dorsal-like by
    ``dorsal_gap``, "2" ventral-like by as much; the late layer fits best) and a one-pathway
    model "one" (no pathway), noisy per cell and seed, a few cells below the floor (NaN)."""
    rng = np.random.default_rng(seed)
    rows = []
    for area in DORSAL + VENTRAL:
        sign = 1.0 if area in DORSAL else -1.0
        cell_effect = 0.1 * rng.standard_normal(n_cells)  # shared by every model: paired
        for model, pathways in (("two", ("1", "2")), ("one", (None,))):
            for s in range(seeds):
                for pathway in pathways:
                    for depth, layer in enumerate(LAYERS):
                        planted = {"1": sign, "2": -sign, None: 0.0}[pathway] * dorsal_gap / 2
                        value = (0.4 + 0.1 * depth + planted + cell_effect
                                 + 0.15 * rng.standard_normal(n_cells))
                        value[:2] = np.nan
                        for cell in range(n_cells):
                            rows.append({"cell": f"{area}/{cell}", "area": area, "model": model,
                                         "seed": s, "pathway": pathway, "layer": layer,
                                         "normalised": value[cell]})
    return pd.DataFrame(rows)


def _direct(cells: pd.DataFrame) -> pd.Series:
    """The module docstring's definition with pandas: (model, pathway) -> value."""
    table = cells.assign(pathway=cells["pathway"].fillna(SHARED))
    area = table.groupby(["model", "seed", "pathway", "layer", "area"])["normalised"].mean()
    area = area.groupby(["model", "pathway", "layer", "area"]).mean()
    best = area.groupby(["model", "pathway", "area"]).max().unstack("area")
    return best[list(DORSAL)].mean(axis=1) - best[list(VENTRAL)].mean(axis=1)


def test_matches_the_definition() -> None:
    cells = _cells(0.3, seeds=2)
    table = specialisation(cells, DORSAL, VENTRAL)
    assert list(table.columns) == ["model", "pathway", "n_seeds", "dorsal", "ventral", "value",
                                   "specialisation_index", "index_magnitude"]
    assert set(table["n_seeds"]) == {2}
    expected = _direct(cells)
    got = table.set_index(["model", "pathway"])["value"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)
    two = table[table["model"] == "two"].set_index("pathway")
    assert two["specialisation_index"].iloc[0] == pytest.approx(
        two.loc["1", "value"] - two.loc["2", "value"])
    assert table.loc[table["model"] == "one", "pathway"].tolist() == [SHARED]
    assert table.loc[table["model"] == "one", "specialisation_index"].isna().all()
    # Without a cell column each row is an area score: the cell means give the same values.
    means = (cells.assign(pathway=cells["pathway"].fillna(SHARED))
             .groupby(["model", "seed", "pathway", "layer", "area"], as_index=False)
             ["normalised"].mean())
    pd.testing.assert_frame_equal(specialisation(means, DORSAL, VENTRAL), table)


def test_planted_pattern_is_found_and_swapping_pathways_flips_it() -> None:
    cells = _cells(0.3, seeds=3)
    result = bootstrap_specialisation(cells, DORSAL, VENTRAL, n_bootstrap=500, seed=1)
    two = result[result["model"] == "two"].iloc[0]
    assert two["specialisation_index"] == pytest.approx(0.6, abs=0.1)
    assert 0 < two["index_low"] < two["specialisation_index"] < two["index_high"]
    pd.testing.assert_frame_equal(result[list(specialisation(cells, DORSAL, VENTRAL))],
                                  specialisation(cells, DORSAL, VENTRAL))
    swapped = cells.assign(pathway=cells["pathway"].map({"1": "2", "2": "1"}))
    flipped = bootstrap_specialisation(swapped, DORSAL, VENTRAL, n_bootstrap=500, seed=1)
    two_f = flipped[flipped["model"] == "two"].iloc[0]
    assert two_f["specialisation_index"] == pytest.approx(-two["specialisation_index"])
    assert two_f["index_high"] < 0


def test_seeds_that_specialise_opposite_pathways_pool_by_the_size_of_their_index() -> None:
    # A symmetric network: seed 0 makes pathway 1 the dorsal one, seed 1 pathway 2.
    cells = _cells(0.3, seeds=2)
    flip = (cells["seed"] == 1) & cells["pathway"].notna()
    cells.loc[flip, "pathway"] = cells.loc[flip, "pathway"].map({"1": "2", "2": "1"})
    result = bootstrap_specialisation(cells, DORSAL, VENTRAL, n_bootstrap=300, seed=2)
    two = result[result["model"] == "two"].iloc[0]
    # The seed-averaged scores cancel; each seed's |index| does not.
    assert abs(two["specialisation_index"]) < 0.15
    assert two["index_magnitude"] == pytest.approx(0.6, abs=0.1)
    assert 0.3 < two["magnitude_low"] < two["index_magnitude"] < two["magnitude_high"]
    per_seed = [specialisation(cells[cells["seed"] == s], DORSAL, VENTRAL)
                .set_index("model").loc["two", "specialisation_index"].iloc[0] for s in (0, 1)]
    assert two["index_magnitude"] == pytest.approx(np.mean(np.abs(per_seed)))
    assert np.sign(per_seed[0]) == -np.sign(per_seed[1])


def test_no_pattern_interval_covers_zero() -> None:
    result = bootstrap_specialisation(_cells(0.0, seeds=1), DORSAL, VENTRAL, n_bootstrap=500)
    two = result[result["model"] == "two"].iloc[0]
    assert two["index_low"] < 0 < two["index_high"]
    assert two["index_high"] - two["index_low"] < 0.3
    one = result[result["model"] == "one"].iloc[0]
    assert one["value_low"] < one["value"] < one["value_high"]


def test_rejects_bad_input() -> None:
    cells = _cells(0.3, seeds=1, n_cells=5)
    with pytest.raises(ValueError, match="VISam"):
        specialisation(cells, ("VISam",), VENTRAL)
    with pytest.raises(ValueError, match="both dorsal and ventral"):
        specialisation(cells, DORSAL, ("VISal",))
    with pytest.raises(ValueError, match="repeat"):
        specialisation(pd.concat([cells, cells.iloc[:1]]), DORSAL, VENTRAL)
    with pytest.raises(ValueError, match="cell column"):
        bootstrap_specialisation(cells.drop(columns="cell"), DORSAL, VENTRAL)
    missing = cells[~((cells["layer"] == "late") & (cells["pathway"] == "1"))]
    two_seeds = pd.concat([cells, missing.assign(seed=1)])
    with pytest.raises(ValueError, match="every seed needs every layer"):
        specialisation(two_seeds, DORSAL, VENTRAL)
