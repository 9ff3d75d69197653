"""The comparison figures: roles from the plan's roster, group-chosen best layers, the native table
and its means against a hand computation, SVG output and the text-only fallbacks."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from brainlike.figures.comparisons import (
    best_rows,
    controls_figure,
    model_roles,
    native_figure,
    native_means,
    native_table,
    subject_languages,
    training_curves,
)
from brainlike.plan.datasets import ListeningDataset
from brainlike.plan.roster import roster
from brainlike.plan.specs import ModelSpec
from brainlike.scores.summary import COLUMNS

CONFIG = {
    "random": {"family": "logmel", "preset": "tiny", "training": None},
    "ssl-en": {"family": "logmel", "preset": "tiny",
               "training": {"objective": "hubert", "corpus": "c", "collections": ["en"]}},
    "ssl2-en": {"family": "logmel", "preset": "tiny",
                "training": {"objective": "wav2vec2", "corpus": "c", "collections": ["en"]}},
    "ssl-fr": {"family": "logmel", "preset": "tiny",
               "training": {"objective": "wav2vec2", "corpus": "c", "collections": ["fr"]}},
    "sup-en": {"family": "logmel", "preset": "tiny",
               "training": {"objective": "supervised", "corpus": "c", "collections": ["en"]}},
    "ssl-ns": {"family": "logmel", "preset": "tiny",
               "training": {"objective": "wav2vec2", "corpus": "c",
                            "collections": ["nonspeech"]}},
}
ROSTER = roster({n: ModelSpec.from_config(n, d) for n, d in CONFIG.items()}, list(CONFIG))
ROIS = ("early_auditory", "high_language")
LAYERS = ("conv1", "t1", "t2")
SUBJECTS = {"sub-1": "en", "sub-2": "en", "sub-3": "fr"}
# group-level planted best layer per model and ROI
BEST = {"early_auditory": 0, "high_language": 2}


def _subject_score(model: str, subject: str, roi: str, index: int) -> float:
    """Distinct, hand-checkable scores: layer 1 is every subject's best (it must NOT be
    picked), layer BEST[roi] carries 0.1 * subject number + 0.5 if native (+ 0.2 for
    ssl2-en, so that averaging rows and averaging subjects differ)."""
    if index == 1:
        return 5.0
    native = model.endswith(SUBJECTS[subject])
    base = 0.1 * int(subject[-1]) + (0.5 if native else 0.0)
    base += 0.2 if model == "ssl2-en" else 0.0
    return base if index == BEST[roi] else base - 1.0


def _summary(models=("random", "ssl-en", "ssl2-en", "ssl-fr", "sup-en", "ssl-ns", "spectrogram")):
    rows = []
    for m_i, model in enumerate(models):
        layers = ("spectrogram",) if model == "spectrogram" else LAYERS
        for index, layer in enumerate(layers):
            for roi in ROIS:
                group = 0.2 + 0.05 * m_i - 0.1 * abs(index - BEST[roi])
                base = dict(dataset="ds", model=model, layer=layer, layer_index=index, roi=roi,
                            n_vertices=10, mean_r=0.1, ceiling=0.5, p_value=np.nan,
                            p_fdr=np.nan, significant=True)
                rows.append({**base, "subject": "group", "normalised_r": group,
                             "ci_low": group - 0.02, "ci_high": group + 0.03})
                for subject in SUBJECTS:
                    rows.append({**base, "subject": subject, "ci_low": np.nan,
                                 "ci_high": np.nan,
                                 "normalised_r": _subject_score(model, subject, roi, index)})
    return pd.DataFrame(rows)[COLUMNS]


def _is_svg(path) -> str:
    assert path.exists() and path.stat().st_size > 500
    root = ET.parse(path).getroot()  # raises on malformed XML
    assert root.tag.endswith("svg")
    return path.read_text()


def test_model_roles_from_the_roster():
    roles = model_roles(ROSTER).set_index("model")
    assert list(roles.index) == list(CONFIG)
    assert roles.loc["random", "role"] == "random"
    assert pd.isna(roles.loc["random", "language"]) and pd.isna(roles.loc["random", "objective"])
    assert roles.loc["ssl-en", ["role", "objective", "language"]].tolist() == [
        "self-supervised", "hubert", "en"]
    assert roles.loc["ssl-fr", ["role", "language"]].tolist() == ["self-supervised", "fr"]
    assert roles.loc["sup-en", ["role", "objective"]].tolist() == ["supervised", "supervised"]
    assert roles.loc["ssl-ns", ["role", "language"]].tolist() == ["non-speech", "nonspeech"]


def test_best_rows_are_group_argmax_with_their_ci():
    summary = _summary()
    best = best_rows(summary)
    assert (best["subject"] == "group").all()
    assert len(best) == 7 * len(ROIS)
    for _, row in best.iterrows():
        expected = 0 if row["model"] == "spectrogram" else BEST[row["roi"]]
        assert row["layer_index"] == expected
        assert row["ci_low"] == pytest.approx(row["normalised_r"] - 0.02)
        assert row["ci_high"] == pytest.approx(row["normalised_r"] + 0.03)
    # a missing score at the planted layer hands the choice to the next best layer
    hole = ((summary["model"] == "ssl-en") & (summary["roi"] == "high_language")
            & (summary["layer"] == "t2") & (summary["subject"] == "group"))
    summary.loc[hole, "normalised_r"] = np.nan
    best = best_rows(summary).set_index(["model", "roi"])
    assert best.loc[("ssl-en", "high_language"), "layer"] == "t1"


def test_native_table_uses_the_group_best_layer_and_marks_native():
    table = native_table(_summary(), model_roles(ROSTER), SUBJECTS)
    # only the self-supervised speech models, every subject, both ROIs
    assert set(table["model"]) == {"ssl-en", "ssl2-en", "ssl-fr"}
    assert len(table) == 3 * len(SUBJECTS) * len(ROIS)
    # the group argmax, not the subjects' layer 1 (which scores 5.0 everywhere)
    for roi, layer in (("early_auditory", "conv1"), ("high_language", "t2")):
        assert set(table.loc[table["roi"] == roi, "layer"]) == {layer}
    assert (table["normalised_r"] < 1).all()
    expected = {(s, m): SUBJECTS[s] == m[-2:] for s in SUBJECTS
                for m in ("ssl-en", "ssl2-en", "ssl-fr")}
    got = {(s, m): n for s, m, n in zip(table["subject"], table["model"], table["native"])}
    assert got == expected
    assert table["native"].dtype == bool


def test_native_means_match_a_hand_computation():
    means = native_means(native_table(_summary(), model_roles(ROSTER), SUBJECTS))
    for roi in ROIS:
        part = means[means["roi"] == roi].set_index("native")
        # each subject's mean first, then the mean over subjects (a mean over rows would
        # give 0.76 and 0.275)
        # native: sub-1 (en) mean(0.6, 0.8), sub-2 (en) mean(0.7, 0.9), sub-3 (fr) 0.8
        # non-native: sub-1 0.1, sub-2 0.2, sub-3 (fr) mean(0.3, 0.5)
        assert part.loc[True, "normalised_r"] == pytest.approx((0.7 + 0.8 + 0.8) / 3)
        assert part.loc[False, "normalised_r"] == pytest.approx((0.1 + 0.2 + 0.4) / 3)
        assert part.loc[True, "n_subjects"] == 3 and part.loc[False, "n_subjects"] == 3


def test_figures_write_svg(tmp_path):
    summary, roles = _summary(), model_roles(ROSTER)
    controls = tmp_path / "controls.svg"
    controls_figure(summary, roles, controls)
    text = _is_svg(controls)
    assert all(name in text for name in ("ssl-en", "sup-en", "random", "spectrogram", *ROIS))
    assert "baseline" in text
    # the legend names only the roles on show
    controls_figure(summary[summary["model"] != "ssl-ns"], roles, controls)
    assert "non-speech" not in _is_svg(controls) and "random" in _is_svg(controls)
    native = tmp_path / "native.svg"
    table = native_figure(summary, roles, SUBJECTS, native)
    assert "non-native" in _is_svg(native)
    assert len(table) == 18
    logs = {
        "random": pd.DataFrame(columns=["step", "term", "value"]),
        "ssl-en": pd.DataFrame({"step": [1, 2, 1, 2],
                                "term": ["loss"] * 2 + ["masked_accuracy"] * 2,
                                "value": [3.0, 2.0, 0.1, 0.2]}),
        "sup-en": pd.DataFrame({"step": [1, 2, 1, 2, 1], "term": ["loss"] * 2 + ["accuracy"] * 2
                                + ["lr"], "value": [4.0, 3.0, 0.2, 0.3, 1e-3]}),
    }
    curves = tmp_path / "curves.svg"
    training_curves(logs, curves)
    text = _is_svg(curves)
    assert "masked_accuracy" in text and "sup-en" in text
    assert "random" not in text and "<!-- lr -->" not in text
    # only the figures: no temporary file left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "controls.svg", "curves.svg", "native.svg"]


def test_text_only_fallbacks(tmp_path):
    summary = _summary()
    roles = model_roles(ROSTER)
    # only English subjects and one English model: every pair is native
    only_en = roles[roles["model"] != "ssl-fr"]
    path = tmp_path / "native.svg"
    table = native_figure(summary, only_en, {"sub-1": "en", "sub-2": "en"}, path)
    assert table["native"].all() and len(table) == 8
    assert "No native vs non-native contrast" in _is_svg(path)
    # no languages at all (a real dataset without the column)
    table = native_figure(summary, roles, {}, path)
    assert table.empty and list(table.columns)[-2:] == ["native", "normalised_r"]
    assert table["subject_language"].dtype == table["model_language"].dtype  # same Parquet type
    assert "No native" in _is_svg(path)
    curves = tmp_path / "curves.svg"
    training_curves({"random": pd.DataFrame(columns=["step", "term", "value"])}, curves)
    assert "untrained" in _is_svg(curves)


def test_subject_languages(tmp_path):
    tsv = tmp_path / "participants.tsv"
    tsv.write_text("participant_id\tnative_language\ttask\nsub-1\ten\ta\nsub-2\tfr\ta\n"
                   "sub-3\tn/a\ta\n")
    narratives = ListeningDataset.from_config("d", {"source": "s", "subjects": ["sub-1"],
                                                    "tasks": ["a"]})
    assert subject_languages(narratives, tmp_path) == {"sub-1": "en", "sub-2": "fr"}
    assert subject_languages(narratives, tmp_path, column="age") == {}
    # Le Petit Prince has no language column: the layout reads it from the subject ids
    tsv.write_text("\ufeffparticipant_id\tage\nsub-FR001\t22\nsub-CN002\t30\n", encoding="utf-8")
    lpp = ListeningDataset.from_config("d", {"source": "s", "subjects": ["sub-FR001"],
                                             "tasks": ["lppFR"], "layout": "lpp"})
    assert subject_languages(lpp, tmp_path) == {"sub-FR001": "fr", "sub-CN002": "zh"}
