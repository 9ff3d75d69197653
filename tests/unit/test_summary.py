"""Tidy summaries: ROI means per subject, ceiling normalisation, FDR, group rows, summary/1."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy.stats import false_discovery_control

from brainlike.io.schemas import read_table, write_table
from brainlike.scores.stats import fdr_bh
from brainlike.scores.summary import COLUMNS, add_fdr, group_rows, subject_rows, summarise

FLOOR, Q = 0.2, 0.05
LAYERS = {"l0": 0, "l1": 1}
# vertex -> ROI; 99 is in the vertex table but was never scored
ROI_OF = {1: "a", 2: "a", 3: "a", 4: "b", 5: "b", 6: "b", 7: "c", 8: "c", 99: "a"}
# 3 is under the floor, 6 has no ceiling at all, c's vertices are all under the floor
CEILING = {1: 0.5, 2: 0.8, 3: 0.1, 4: 0.4, 5: 0.6, 7: 0.2, 8: 0.05, 99: 0.9}
P_VALUES = {("l0", "a"): 0.001, ("l0", "b"): 0.04, ("l0", "c"): np.nan,
            ("l1", "a"): 0.03, ("l1", "b"): 0.5, ("l1", "c"): 0.02}


def _vertices() -> pd.DataFrame:
    return pd.DataFrame({"vertex": list(ROI_OF), "roi_name": list(ROI_OF.values()),
                         "hemi": "L"})


def _ceilings() -> pd.DataFrame:
    return pd.DataFrame({"vertex": list(CEILING), "ceiling": list(CEILING.values()),
                         "subject": "sub-01"})


def _rois(p_values: dict = P_VALUES) -> pd.DataFrame:
    return pd.DataFrame([{"layer": layer, "roi": roi, "p_value": p}
                         for (layer, roi), p in p_values.items()])


def _scores(rng: np.random.Generator, scale: float = 1.0, n_folds: int = 3) -> pd.DataFrame:
    rows = []
    for layer, index in LAYERS.items():
        for vertex in range(1, 9):
            base = scale * 0.05 * vertex * (1 + index)
            for fold in range(n_folds):
                rows.append({"layer": layer, "layer_index": index, "vertex": vertex,
                             "fold": fold, "r": base + 0.02 * rng.standard_normal()})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ subject_rows

def test_subject_rows_averages_folds_then_vertices_and_normalises():
    scores = _scores(np.random.default_rng(0))
    out = subject_rows(scores, _rois(), _ceilings(), _vertices(), FLOOR)
    assert len(out) == len(LAYERS) * 3
    out = out.set_index(["layer", "roi"])
    fold_mean = scores.groupby(["layer", "vertex"])["r"].mean()
    for layer in LAYERS:
        r = fold_mean.loc[layer]
        row = out.loc[(layer, "a")]
        assert row["n_vertices"] == 3  # 99 was never scored
        assert row["mean_r"] == pytest.approx(r.loc[[1, 2, 3]].mean())
        # vertex 3 (ceiling 0.1) is under the floor: out of normalised_r, in the raw mean
        assert row["normalised_r"] == pytest.approx((r[1] / 0.5 + r[2] / 0.8) / 2)
        assert row["ceiling"] == pytest.approx((0.5 + 0.8 + 0.1) / 3)
        row = out.loc[(layer, "b")]
        assert row["n_vertices"] == 3
        assert row["mean_r"] == pytest.approx(r.loc[[4, 5, 6]].mean())
        # vertex 6 has no ceiling: excluded from normalised_r and from the ceiling mean
        assert row["normalised_r"] == pytest.approx((r[4] / 0.4 + r[5] / 0.6) / 2)
        assert row["ceiling"] == pytest.approx(0.5)
        row = out.loc[(layer, "c")]
        assert row["mean_r"] == pytest.approx(r.loc[[7, 8]].mean())
        assert np.isnan(row["normalised_r"])  # 0.2 is not above the floor, 0.05 is under
        assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
    assert out.loc[("l1", "a"), "layer_index"] == 1


def test_add_fdr_over_a_family_of_layers_and_rois():
    out = subject_rows(_scores(np.random.default_rng(1)), _rois(), _ceilings(), _vertices(),
                       FLOOR)
    out = add_fdr(out.assign(model="m"), Q, family=("model",)).set_index(["layer", "roi"])
    keys = list(P_VALUES)
    p = np.array([P_VALUES[k] for k in keys])
    rejected, adjusted = fdr_bh(p, alpha=Q)
    np.testing.assert_allclose(out.loc[keys, "p_value"], p)
    np.testing.assert_allclose(out.loc[keys, "p_fdr"], adjusted)
    np.testing.assert_array_equal(out.loc[keys, "significant"].to_numpy(bool), rejected)
    # m = 5 tested ROIs: the NaN one does not count
    finite = ~np.isnan(p)
    np.testing.assert_allclose(adjusted[finite], false_discovery_control(p[finite]))
    assert out.loc[("l0", "a"), "p_fdr"] == pytest.approx(0.005)
    assert bool(out.loc[("l0", "a"), "significant"])
    assert not bool(out.loc[("l1", "b"), "significant"])
    # untested: NaN p and p_fdr, never significant
    assert np.isnan(out.loc[("l0", "c"), "p_value"]) and np.isnan(out.loc[("l0", "c"), "p_fdr"])
    assert not bool(out.loc[("l0", "c"), "significant"])
    assert out["significant"].dtype == bool


def test_default_fdr_family_is_model_by_roi():
    """Strong effects in one ROI must not lower the bar for another ROI."""
    rows = pd.DataFrame({"model": "m", "roi": ["a"] * 4 + ["noise"],
                         "p_value": [0.001, 0.001, 0.001, 0.001, 0.02]})
    assert add_fdr(rows, 0.05, family=("model",))["significant"].all()  # pooled: rejected
    by_roi = add_fdr(rows, 0.05)
    assert by_roi["significant"].tolist() == [True, True, True, True, True]  # m = 1, p < q
    rows.loc[4, "p_value"] = 0.06
    assert add_fdr(rows, 0.05, family=("model",))["significant"].tolist()[-1] is False
    rows = pd.concat([rows, pd.DataFrame({"model": "m", "roi": ["noise"] * 3,
                                          "p_value": [0.5, 0.7, 0.9]})], ignore_index=True)
    rows.loc[4, "p_value"] = 0.02
    pooled = add_fdr(rows, 0.05, family=("model",))
    separate = add_fdr(rows, 0.05)
    assert bool(pooled.loc[4, "significant"])  # 0.02 <= 0.05 * 5 / 8 among pooled tests
    assert not bool(separate.loc[4, "significant"])  # 0.02 > 0.05 * 1 / 4 among noise tests


def test_subject_rows_without_any_test():
    rois = _rois({k: np.nan for k in P_VALUES})
    out = add_fdr(subject_rows(_scores(np.random.default_rng(2)), rois, _ceilings(),
                               _vertices(), FLOOR).assign(model="m"), Q)
    assert out["p_value"].isna().all() and out["p_fdr"].isna().all()
    assert not out["significant"].any()
    # an ROI absent from the ROI table is untested too
    out = add_fdr(subject_rows(_scores(np.random.default_rng(2)),
                               _rois()[lambda d: d["roi"] != "b"], _ceilings(), _vertices(),
                               FLOOR).assign(model="m"), Q)
    b = out[out["roi"] == "b"]
    assert len(b) == 2 and b["p_value"].isna().all() and not b["significant"].any()


def test_subject_rows_floor_moves_vertices_in_and_out():
    scores = _scores(np.random.default_rng(3))
    low = subject_rows(scores, _rois(), _ceilings(), _vertices(), 0.01).set_index(
        ["layer", "roi"])
    r = scores.groupby(["layer", "vertex"])["r"].mean().loc["l0"]
    assert low.loc[("l0", "c"), "normalised_r"] == pytest.approx((r[7] / 0.2 + r[8] / 0.05) / 2)
    high = subject_rows(scores, _rois(), _ceilings(), _vertices(), 0.9)
    assert high["normalised_r"].isna().all()


# ---------------------------------------------------------------------- group_rows, summarise

def _subject_frames(n_subjects: int = 3) -> list[pd.DataFrame]:
    frames = []
    for model, gain in (("m1", 1.0), ("m2", 0.6)):
        for s in range(n_subjects):
            rng = np.random.default_rng(10 * s + int(gain * 10))
            frame = subject_rows(_scores(rng, scale=gain * (1 + 0.2 * s)), _rois(), _ceilings(),
                                 _vertices(), FLOOR)
            frames.append(frame.assign(model=model, subject=f"sub-{s + 1:02d}"))
    return frames


def _corrected(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return add_fdr(pd.concat(frames, ignore_index=True), Q).assign(dataset="ds")


def test_group_rows_mean_and_interval_over_subjects():
    subjects = _corrected(_subject_frames(3))
    group = group_rows(subjects)
    assert len(group) == 2 * len(LAYERS) * 3  # model x layer x ROI
    assert (group["subject"] == "group").all()
    assert not group.duplicated(["model", "layer", "roi"]).any()
    assert group["p_value"].isna().all() and group["p_fdr"].isna().all()
    for _, row in group.iterrows():
        part = subjects[(subjects["model"] == row["model"]) & (subjects["layer"] == row["layer"])
                        & (subjects["roi"] == row["roi"])]
        assert len(part) == 3
        assert row["mean_r"] == pytest.approx(part["mean_r"].mean())
        assert row["ceiling"] == pytest.approx(part["ceiling"].mean())
        assert row["significant"] == (part["significant"].mean() > 0.5)
        if part["normalised_r"].notna().sum() >= 2:
            assert row["normalised_r"] == pytest.approx(part["normalised_r"].mean())
            assert row["ci_low"] <= row["normalised_r"] <= row["ci_high"]
            assert row["ci_low"] < row["ci_high"]  # subjects differ
        else:
            assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
    # ROI c is never normalised: no group score, no interval
    c = group[group["roi"] == "c"]
    assert c["normalised_r"].isna().all() and c["ci_low"].isna().all()
    # reproducible
    pd.testing.assert_frame_equal(group, group_rows(subjects))


def test_group_rows_single_subject_has_no_interval():
    subjects = _corrected(_subject_frames(1))
    group = group_rows(subjects)
    assert len(group) == 2 * len(LAYERS) * 3
    a = group[group["roi"] == "a"]
    assert a["normalised_r"].notna().all()
    assert a["ci_low"].isna().all() and a["ci_high"].isna().all()


def test_summarise_columns_order_and_summary_schema(tmp_path):
    frames = _subject_frames(3)
    table = summarise("ds", frames)
    assert list(table.columns) == COLUMNS
    assert (table["dataset"] == "ds").all()
    assert len(table) == sum(len(f) for f in frames) + 2 * len(LAYERS) * 3
    assert (table["subject"] == "group").sum() == 2 * len(LAYERS) * 3
    expected = table.sort_values(["model", "subject", "layer_index", "roi"], ignore_index=True)
    pd.testing.assert_frame_equal(table, expected)
    subjects = table[table["subject"] != "group"]
    assert subjects["ci_low"].isna().all() and subjects["ci_high"].isna().all()

    path = tmp_path / "summary.parquet"
    write_table(pa.Table.from_pandas(table, preserve_index=False), path, "summary/1")
    back = read_table(path, "summary/1").to_pandas()
    assert list(back.columns) == COLUMNS and len(back) == len(table)
    assert back["significant"].dtype == bool
    np.testing.assert_array_equal(back["layer_index"], table["layer_index"])
    np.testing.assert_array_equal(back["n_vertices"], table["n_vertices"])
    np.testing.assert_allclose(back["normalised_r"], table["normalised_r"].astype(float))
    np.testing.assert_array_equal(back["subject"], table["subject"])
