"""The brain-score figures from a summary/1 table: files written, best layers, group rows only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from brainlike.figures.brainscores import (
    best_layer_figure,
    best_layers,
    layer_profiles,
    models_by_roi,
)
from brainlike.scores.summary import COLUMNS

ROIS = ("early_auditory", "mid_temporal", "high_language", "control")
MODELS = {"m1": ["conv1", "t1", "t2", "t3"], "m2": ["c1", "c2", "c3"],
          "spectrogram": ["spectrogram"]}
# the planted best layer per model and ROI (index into the model's layers)
BEST = {("m1", "early_auditory"): 0, ("m1", "mid_temporal"): 2, ("m1", "high_language"): 3,
        ("m1", "control"): 1, ("m2", "early_auditory"): 1, ("m2", "mid_temporal"): 1,
        ("m2", "high_language"): 2, ("m2", "control"): 0}


def _summary() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for model, layers in MODELS.items():
        for index, layer in enumerate(layers):
            for roi in ROIS:
                best = BEST.get((model, roi), 0)
                score = 0.6 - 0.15 * abs(index - best) + 0.01 * rng.standard_normal()
                if roi == "control":
                    score *= 0.1
                base = dict(dataset="ds", model=model, layer=layer, layer_index=index, roi=roi,
                            n_vertices=50, mean_r=score * 0.5, ceiling=0.5, p_value=np.nan,
                            p_fdr=np.nan)
                rows.append({**base, "subject": "group", "normalised_r": score,
                             "significant": roi != "control", "ci_low": score - 0.05,
                             "ci_high": score + 0.05})
                # a subject row that would win everywhere if subject rows were read
                rows.append({**base, "subject": "sub-01", "normalised_r": 2.0 - 0.1 * index,
                             "p_value": 0.01, "p_fdr": 0.02, "significant": True,
                             "ci_low": np.nan, "ci_high": np.nan})
    frame = pd.DataFrame(rows)[COLUMNS]
    return frame.sort_values(["model", "subject", "layer_index", "roi"], ignore_index=True)


def _is_svg(path) -> None:
    assert path.exists() and path.stat().st_size > 500
    head = path.read_text()[:2000]
    assert head.startswith("<?xml") or "<svg" in head
    assert "</svg>" in path.read_text()


def test_best_layers_picks_the_argmax_of_group_rows():
    best = best_layers(_summary(), ["m1", "m2"])
    assert list(best.columns) == ["model", "roi", "layer", "layer_index", "normalised_r"]
    assert len(best) == 2 * len(ROIS)
    got = {(m, r): i for m, r, i in zip(best["model"], best["roi"], best["layer_index"])}
    assert got == BEST
    for _, row in best.iterrows():
        assert row["layer"] == MODELS[row["model"]][row["layer_index"]]
        assert row["normalised_r"] < 1  # a group score, not the subject rows' 2.0


def test_best_layers_skips_missing_scores_and_other_models():
    summary = _summary()
    # m1's planted best layer for early_auditory loses its score: the next best wins
    hole = ((summary["model"] == "m1") & (summary["roi"] == "early_auditory")
            & (summary["layer"] == "conv1") & (summary["subject"] == "group"))
    summary.loc[hole, "normalised_r"] = np.nan
    best = best_layers(summary, ["m1"])
    assert set(best["model"]) == {"m1"}
    row = best[best["roi"] == "early_auditory"].iloc[0]
    assert row["layer"] == "t1" and row["layer_index"] == 1


def test_figures_render_svg(tmp_path):
    summary = _summary()
    profiles = tmp_path / "profiles.svg"
    layer_profiles(summary, ["m1", "m2"], profiles)
    _is_svg(profiles)
    best = tmp_path / "best_layer.svg"
    best_layer_figure(summary, ["m1", "m2"], best)
    _is_svg(best)
    by_roi = tmp_path / "models_by_roi.svg"
    models_by_roi(summary, by_roi)
    _is_svg(by_roi)
    # the panels name the models and the ROIs (matplotlib keeps text as SVG comments)
    text = profiles.read_text()
    assert "m1" in text and "m2" in text
    assert all(roi in by_roi.read_text() for roi in ROIS)
    assert "spectrogram" in by_roi.read_text()  # the baseline is one of the bars
    # one model alone also works, and nothing but the figures was left behind
    single = tmp_path / "single.svg"
    layer_profiles(summary, ["m2"], single)
    _is_svg(single)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "best_layer.svg", "models_by_roi.svg", "profiles.svg", "single.svg"]


def test_figures_other_format(tmp_path):
    path = tmp_path / "profiles.png"
    layer_profiles(_summary(), ["m1"], path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_summary_without_group_rows_raises(tmp_path):
    subjects = _summary()
    subjects = subjects[subjects["subject"] != "group"]
    with pytest.raises(ValueError, match="no group rows"):
        best_layers(subjects, ["m1"])
    with pytest.raises(ValueError, match="no group rows"):
        layer_profiles(subjects, ["m1"], tmp_path / "a.svg")
    with pytest.raises(ValueError, match="no group rows"):
        best_layer_figure(subjects, ["m1"], tmp_path / "b.svg")
    with pytest.raises(ValueError, match="no group rows"):
        models_by_roi(subjects, tmp_path / "c.svg")
    assert not list(tmp_path.iterdir())
