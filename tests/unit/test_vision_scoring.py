"""Vision scoring end to end on a planted viewing dataset: Parquet sessions in, ceilings, model
scores, the headline, pathway specialisation and the figures out.

Two sessions, one area each: VISl cells read a ventral latent, VISal cells a dorsal one. The
"truth" model holds both latents (a layer each), "rand" holds noise, a two-pathway "twopath"
model holds noisy copies (the dorsal latent in pathway 1, the ventral in pathway 2), and a
one-layer baseline holds noise.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from brainlike.errors import InputError
from brainlike.features.store import write_features
from brainlike.figures.vision import (
    area_profiles,
    shape_bias_figure,
    specialisation_figure,
)
from brainlike.plan.roster import RosterEntry
from brainlike.plan.specs import VisionSpec
from brainlike.probes.shape_bias_summary import shape_bias_summary
from brainlike.scores.vision_ceilings import (
    rdm_ceilings_of,
    read_ceilings,
    vision_ceilings,
)
from brainlike.scores.vision_data import load_responses, write_parquet
from brainlike.scores.vision_model_scores import (
    layer_pathway,
    read_model_features,
    score_model,
)
from brainlike.scores.vision_summary import headline, pathway_specialisation

BINS, BIN_FRAMES, REPEATS, CELLS, LATENT = 90, 3, 6, 8, 5
ALPHAS = np.logspace(-1, 4, 6)
SPEC = VisionSpec.from_config({"bin_frames": BIN_FRAMES, "bootstrap": 200, "rdm_splits": 5,
                               "n_folds": 4})
SESSIONS = {"ses-1": ("sub-1", "VISl"), "ses-2": ("sub-2", "VISal")}
FAMILIES = {"truth": "toy", "rand": "toy", "twopath": "cpc", "base": ""}
ROSTER = {
    "truth": RosterEntry("truth", "self-supervised", "toy", None, "rand", ""),
    "rand": RosterEntry("rand", "random", None, None, "", ""),
    "twopath": RosterEntry("twopath", "self-supervised", "cpc", None, "", ""),
}


def _latents(seed: int = 0) -> dict[str, np.ndarray]:
    """Per area, a smooth (BINS, LATENT) latent: slow enough that neighbouring bins agree."""
    rng = np.random.default_rng(seed)
    out = {}
    for area in ("VISl", "VISal"):
        raw = rng.standard_normal((BINS + 4, LATENT))
        out[area] = np.stack([raw[i:i + BINS] for i in range(5)]).mean(0) * 2.0
    return out


def _write_sessions(root: Path, latents: dict[str, np.ndarray], repeats: dict[str, int],
                    seed: int = 1) -> tuple[Path, Path]:
    """cells.parquet and sessions/<session>.parquet: dF/F = latent @ weights per bin (held over
    its frames) plus independent noise per repeat and frame."""
    rng = np.random.default_rng(seed)
    rows, sessions = [], root / "sessions"
    sessions.mkdir(parents=True, exist_ok=True)
    for session, (subject, area) in SESSIONS.items():
        names = [f"{session}/{i}" for i in range(CELLS)]
        rows += [{"cell": n, "session": session, "subject": subject, "area": area,
                  "depth_um": 175.0, "cre_line": "Cux2-CreERT2", "roi": i}
                 for i, n in enumerate(names)]
        signal = latents[area] @ rng.standard_normal((LATENT, CELLS))
        frames = np.repeat(signal, BIN_FRAMES, axis=0)  # (frames, cells)
        n = repeats[session]
        dff = frames[None] + 1.5 * rng.standard_normal((n, *frames.shape))
        r, f, c = np.meshgrid(np.arange(n), np.arange(len(frames)), np.arange(CELLS),
                              indexing="ij")
        pq.write_table(pa.table({
            "cell": pa.array(np.asarray(names)[c.ravel()], pa.string()),
            "repeat": pa.array(r.ravel(), pa.int16()), "frame": pa.array(f.ravel(), pa.int32()),
            "dff": pa.array(dff.ravel(), pa.float32())}), sessions / f"{session}.parquet")
    cells = root / "cells.parquet"
    pq.write_table(pa.Table.from_pylist(rows), cells)
    return cells, sessions


def _models(latents: dict[str, np.ndarray], seed: int = 2) -> dict[str, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)

    def noise(d: int = LATENT) -> np.ndarray:
        return rng.standard_normal((BINS, d)).astype(np.float32)

    def noisy(x: np.ndarray) -> np.ndarray:
        return (x + 0.8 * rng.standard_normal(x.shape)).astype(np.float32)

    return {
        "truth": {"l0": latents["VISl"].astype(np.float32),
                  "l1": latents["VISal"].astype(np.float32)},
        "rand": {"l0": noise(), "l1": noise()},
        "twopath": {"stem": noise(), "p1.res0": noisy(latents["VISal"]), "p1.res1": noise(),
                    "p2.res0": noisy(latents["VISl"]), "p2.res1": noise()},
        "base": {"base": noise(8)},
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("viewing")
    latents = _latents()
    cells_path, sessions = _write_sessions(root, latents, {"ses-1": REPEATS, "ses-2": REPEATS})
    cells, responses = load_responses(cells_path, sessions, BIN_FRAMES)
    table = vision_ceilings(cells, responses, SPEC.rdm_splits, seed=0)
    write_parquet(table, root / "ceilings.parquet")
    ceilings = read_ceilings(root / "ceilings.parquet")
    scores, rois = [], []
    for model, layers in _models(latents).items():
        write_features(root / "features" / model / "movie.parquet", layers, 0.1,
                       {"model": model})
        s, r = score_model(model, read_model_features(root / "features" / model), cells,
                           responses, rdm_ceilings_of(ceilings), SPEC, ALPHAS, seed=0)
        scores.append(s)
        rois.append(r)
    scores, rois = pd.concat(scores, ignore_index=True), pd.concat(rois, ignore_index=True)
    summary = headline(scores, rois, ceilings, cells, FAMILIES, ROSTER, SPEC, seed=0)
    special = pathway_specialisation(scores, rois, FAMILIES, SPEC, seed=0)
    return {"root": root, "cells": cells, "responses": responses, "ceilings": ceilings,
            "scores": scores, "rois": rois, "summary": summary, "special": special,
            "paths": (cells_path, sessions), "latents": latents}


def test_responses_are_concatenated_and_binned(world: dict) -> None:
    cells, responses = world["cells"], world["responses"]
    assert responses.shape == (REPEATS, BINS, 2 * CELLS) and responses.dtype == np.float32
    assert cells["cell"].tolist() == [f"ses-{s}/{i}" for s in (1, 2) for i in range(CELLS)]
    assert list(cells["area"].unique()) == ["VISl", "VISal"]
    # Bin 4 of repeat 2 of the second session's cell 3: the mean of its frames 12..14.
    long = pq.read_table(world["paths"][1] / "ses-2.parquet").to_pandas()
    mine = long[(long["cell"] == "ses-2/3") & (long["repeat"] == 2)
                & long["frame"].between(12, 14)]
    assert responses[2, 4, CELLS + 3] == pytest.approx(mine["dff"].mean(), rel=1e-5)


def test_sessions_with_more_repeats_are_cut_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cells_path, sessions = _write_sessions(tmp_path, _latents(), {"ses-1": 4, "ses-2": 3})
    with caplog.at_level(logging.WARNING):
        _, responses = load_responses(cells_path, sessions, BIN_FRAMES)
    assert responses.shape == (3, BINS, 2 * CELLS)
    assert "differ in repeats" in caplog.text


def test_bad_sessions_name_their_file(tmp_path: Path) -> None:
    cells_path, sessions = _write_sessions(tmp_path, _latents(), {"ses-1": 2, "ses-2": 2})
    table = pq.read_table(sessions / "ses-2.parquet").to_pandas()
    table.loc[7, "dff"] = np.nan
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), sessions / "ses-2.parquet")
    with pytest.raises(InputError, match=r"ses-2\.parquet.*NaN"):
        load_responses(cells_path, sessions, BIN_FRAMES)
    (sessions / "ses-2.parquet").unlink()
    with pytest.raises(InputError, match=r"ses-2\.parquet: missing"):
        load_responses(cells_path, sessions, BIN_FRAMES)


def test_ceilings_table(world: dict) -> None:
    table = world["ceilings"]
    cell_rows, area_rows = table[table["kind"] == "cell"], table[table["kind"] == "area"]
    assert cell_rows["name"].tolist() == world["cells"]["cell"].tolist()
    assert set(area_rows["name"]) == {"VISl", "VISal"}
    # Planted signal of variance ~LATENT * 0.8 against noise of 2.25 / 3 per bin: reliable.
    assert cell_rows["ceiling"].min() > 0.5
    assert ((cell_rows["reliability"] > 0) & (cell_rows["reliability"] < 1)).all()
    assert (area_rows["ceiling"] > 0.2).all() and area_rows["reliability"].isna().all()
    # The ceiling the per-cell scores divide by is the table's.
    truth = world["scores"].query("model == 'truth' and layer == 'l0'")
    np.testing.assert_allclose(truth["ceiling"], cell_rows["ceiling"], rtol=1e-6)


def test_true_features_beat_noise_in_their_area(world: dict) -> None:
    rois = world["rois"].set_index(["model", "layer", "area"])
    for layer, area, other in (("l0", "VISl", "VISal"), ("l1", "VISal", "VISl")):
        for metric in ("rsa_normalised", "ridge_normalised", "cka"):
            truth = rois.loc[("truth", layer, area), metric]
            assert truth > rois.loc[("rand", layer, area), metric] + 0.2, metric
            assert truth > rois.loc[("truth", layer, other), metric], metric
        assert rois.loc[("truth", layer, area), "ridge_normalised"] > 0.7
    assert rois.loc[("truth", "l0", "VISl"), "n_cells"] == CELLS
    scores = world["scores"]
    assert list(scores.columns) == ["model", "layer", "pathway", "cell", "area", "r",
                                    "ceiling", "normalised"]
    assert len(scores) == (2 + 2 + 5 + 1) * 2 * CELLS


def test_pathways_come_from_layer_names(world: dict) -> None:
    assert layer_pathway("p2.res1") == "2" and layer_pathway("stem") == ""
    assert layer_pathway("l0") == "" and layer_pathway("oriented_energy") == ""
    two = world["rois"][world["rois"]["model"] == "twopath"]
    assert dict(zip(two["layer"], two["pathway"])) == {
        "stem": "", "p1.res0": "1", "p1.res1": "1", "p2.res0": "2", "p2.res1": "2"}


def test_headline_picks_the_true_model(world: dict) -> None:
    summary = world["summary"].set_index(["area", "model"])
    for area, layer in (("VISl", "l0"), ("VISal", "l1")):
        rows = world["summary"][world["summary"]["area"] == area]
        for flag in ("best_rsa", "best_ridge"):
            assert rows.loc[rows[flag], "model"].tolist() == ["truth"]
        truth = summary.loc[(area, "truth")]
        assert truth["rsa_layer"] == layer and truth["ridge_layer"] == layer
        assert truth["ridge_low"] < truth["ridge_normalised"] < truth["ridge_high"]
        assert truth["role"] == "self-supervised" and truth["control"] == "rand"
        assert truth["control_ridge_normalised"] == summary.loc[(area, "rand"),
                                                                "ridge_normalised"]
        assert summary.loc[(area, "base"), "role"] == "baseline"
        assert np.isnan(summary.loc[(area, "rand"), "control_rsa_normalised"])
        assert truth["n_cells"] == CELLS and truth["n_reliable"] == CELLS
        assert summary.loc[(area, "twopath"), "ridge_pathway"] == \
            ("2" if area == "VISl" else "1")


def test_planted_pathways_specialise_with_the_right_sign(world: dict) -> None:
    special = world["special"]
    assert set(special["model"]) == {"twopath"}  # truth has no pathway layers
    for method in ("ridge", "rsa"):
        rows = special[special["method"] == method].set_index("pathway")
        assert rows.loc["1", "value"] > 0 > rows.loc["2", "value"]
        assert rows.loc["1", "specialisation_index"] > 0
        assert rows.loc["1", "dorsal_areas"] == "VISal" and rows.loc["1", "ventral_areas"] == "VISl"
    ridge = special[special["method"] == "ridge"].set_index("pathway")
    assert ridge.loc["1", "index_low"] > 0 and ridge.loc["1", "value_low"] > 0
    assert ridge.loc["2", "value_high"] < 0
    assert special.loc[special["method"] == "rsa", "value_low"].isna().all()


def test_seeds_of_a_model_are_pooled_in_its_specialisation(world: dict) -> None:
    # A second seed that specialised the other pathway: pooled under the first's name.
    def second(frame: pd.DataFrame) -> pd.DataFrame:
        twin = frame[frame["model"] == "twopath"].copy()
        twin["model"] = "twopath-s1"
        twin["pathway"] = twin["pathway"].map({"1": "2", "2": "1"}).fillna(twin["pathway"])
        twin["layer"] = twin["layer"].str.replace(r"^p([12])\.", lambda m: f"p{3 - int(m[1])}.",
                                                  regex=True)
        return pd.concat([frame, twin], ignore_index=True)

    seeds = {"twopath": ("twopath", 0), "twopath-s1": ("twopath", 1)}
    special = pathway_specialisation(second(world["scores"]), second(world["rois"]),
                                     {**FAMILIES, "twopath-s1": FAMILIES["twopath"]}, SPEC,
                                     seed=0, seeds=seeds)
    assert set(special["model"]) == {"twopath"} and set(special["n_seeds"]) == {2}
    one = world["special"].set_index(["method", "pathway"])
    for method in ("ridge", "rsa"):
        rows = special[special["method"] == method].set_index("pathway")
        # opposite seeds cancel in the index of the averaged scores, not in its size
        assert abs(rows.loc["1", "specialisation_index"]) < 1e-9
        assert rows.loc["1", "index_magnitude"] == pytest.approx(
            abs(one.loc[(method, "1"), "specialisation_index"]))
    ridge = special[special["method"] == "ridge"].iloc[0]
    assert 0 < ridge["magnitude_low"] <= ridge["index_magnitude"] <= ridge["magnitude_high"]


def test_figures_and_shape_bias_table_are_written(world: dict, tmp_path: Path) -> None:
    area_profiles(world["rois"], world["summary"], tmp_path / "profiles.svg")
    specialisation_figure(world["special"], tmp_path / "special.svg")
    specialisation_figure(world["special"].iloc[:0], tmp_path / "empty.svg")
    tables = [pd.DataFrame({"model": m, "layer": ["a", "b", "c"], "shape_bias": [0.2, 0.7, 0.4],
                            "n_shape": 7, "n_texture": 3, "n_other": 1,
                            "train_accuracy": acc})
              for m, acc in (("truth", [0.5, 0.9, 0.8]), ("rand", [0.3, 0.2, 0.6]))]
    table = shape_bias_summary(tables, ROSTER)
    best = table[table["best"]].set_index("model")
    assert best.loc["truth", "layer"] == "b" and best.loc["rand", "layer"] == "c"
    assert best.loc["rand", "role"] == "random" and len(table) == 6
    shape_bias_figure(table, tmp_path / "shape_bias.svg")
    for name in ("profiles", "special", "empty", "shape_bias"):
        text = (tmp_path / f"{name}.svg").read_text()
        assert "<svg" in text
    assert "truth" in (tmp_path / "profiles.svg").read_text()
    with pytest.raises(ValueError, match="more than one table"):
        shape_bias_summary(tables + tables[:1], ROSTER)


def test_features_must_match_the_responses_bins(world: dict) -> None:
    with pytest.raises(ValueError, match="bins=90"):
        score_model("bad", {"x": np.zeros((BINS - 1, 3), np.float32)}, world["cells"],
                    world["responses"], rdm_ceilings_of(world["ceilings"]), SPEC, ALPHAS, 0)


def test_bins_without_variation_are_left_out_of_rsa(world: dict,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """A one-hot label layer is all zeros while nothing is on screen: those bins have no
    correlation distance, so RSA drops them instead of failing."""
    latent = world["latents"]["VISl"]
    label = np.zeros((BINS, 4), np.float32)
    on = np.arange(BINS) % 3 != 0
    label[on, np.argmax(latent[on, :4], axis=1)] = 1.0
    with caplog.at_level(logging.WARNING):
        _, rois = score_model("label", {"label": label}, world["cells"], world["responses"],
                              rdm_ceilings_of(world["ceilings"]), SPEC, ALPHAS, 0)
    assert "30 of 90 bins" in caplog.text
    assert np.isfinite(rois["rsa_tau"]).all() and np.isfinite(rois["cka"]).all()
