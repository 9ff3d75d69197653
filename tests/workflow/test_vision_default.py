"""The default vision world at full size, and its known answers.

The viewing dataset plants each area's tuning (docs/simulated-world.md), so these check the
instrument: split-half ceilings track the planted reliability, each model-free baseline wins
the area its regressors drive (oriented energy VISp, the shape label VISl; in the dorsal-like
areas motion energy wins among the baselines computed from the image, once the observer's
self-motion is compensated as the dorsal cells do, and the relative-motion label, their
planted answer, above all), and learning shows where the world plants what needs
learning — the backbone trained to name the object's shape beats its untrained copy in the
ventral-like area, and the same backbone trained to name the object's motion relative to the
background beats it in the dorsal-like areas (intervals over cells apart). Scored here: the
baselines and those three models; every vision model goes through every rule in the small run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.workflow import conftest

pytestmark = pytest.mark.workflow

DATASET = "allen-sim"
SHAPE, MOTION, UNTRAINED = conftest.SHAPE, conftest.MOTION, conftest.VISION_UNTRAINED
VENTRAL, DORSAL = ("VISl",), ("VISal", "VISrl", "VISam", "VISpm")


@pytest.fixture(scope="module")
def vision_run(default_world: Path) -> Path:
    """The full-size default world (``conftest.default_world``: speech and vision in one
    run); the speech side's tests are in test_default_config."""
    return default_world


def _area_scores(run: Path) -> pd.DataFrame:
    """Model x area: the mean normalised ridge score of the model's best layer there."""
    summary = pd.read_parquet(run / f"results/summary/{DATASET}.parquet")
    return summary.pivot(index="model", columns="area", values="ridge_normalised")


def test_split_half_ceilings_track_the_planted_reliability(vision_run: Path) -> None:
    ceilings = pd.read_parquet(vision_run / f"results/ceilings/{DATASET}.parquet")
    cells = ceilings[ceilings["kind"] == "cell"].set_index("name")["reliability"]
    truth = pd.read_parquet(vision_run / f"data/parquet/{DATASET}/groundtruth.parquet")
    truth = truth.set_index("cell")["reliability"]
    joined = pd.concat([cells.rename("estimated"), truth.rename("planted")], axis=1,
                       join="inner")
    assert len(joined) == len(truth)
    assert np.corrcoef(joined["estimated"], joined["planted"])[0, 1] >= 0.9


def test_each_baseline_wins_the_area_its_regressors_drive(vision_run: Path) -> None:
    scores = _area_scores(vision_run)
    summary = pd.read_parquet(vision_run / f"results/summary/{DATASET}.parquet")
    baselines = sorted(set(summary.loc[summary["role"] == "baseline", "model"]))
    assert scores["VISp"].idxmax() in ("oriented_energy", "pixels"), scores["VISp"]
    for area in VENTRAL:
        assert scores[area].idxmax() == "shape_label", scores[area]
    for area in DORSAL:
        assert scores[area].idxmax() == "motion_label", scores[area]
        image = scores.loc[baselines, area].drop("motion_label")  # computed from the image
        assert image.idxmax() == "motion_energy", image
    # What makes motion energy dorsal-like: its self-motion-compensated layer beats the
    # screen's in every dorsal-like area.
    rois = vision_run / f"results/brainscores/{DATASET}/motion_energy.rois.parquet"
    layers = pd.read_parquet(rois)
    layers = layers.pivot(index="area", columns="layer", values="ridge_normalised")
    assert (layers.loc[list(DORSAL), "relative"] > layers.loc[list(DORSAL), "energy"]).all(), \
        layers


def test_the_instrument_sees_the_shape_and_motion_a_backbone_learned(vision_run: Path) -> None:
    summary = pd.read_parquet(vision_run / f"results/summary/{DATASET}.parquet")
    row = summary.set_index(["model", "area"])
    for area in VENTRAL:
        trained, untrained = row.loc[(SHAPE, area)], row.loc[(UNTRAINED, area)]
        assert trained["ridge_low"] > untrained["ridge_high"], (trained, untrained)
    dorsal_trained = np.mean([row.loc[(MOTION, a), "ridge_normalised"] for a in DORSAL])
    dorsal_untrained = np.mean([row.loc[(UNTRAINED, a), "ridge_normalised"] for a in DORSAL])
    apart = [row.loc[(MOTION, a), "ridge_low"] > row.loc[(UNTRAINED, a), "ridge_high"]
             for a in DORSAL]
    assert dorsal_trained > dorsal_untrained and sum(apart) >= 3, (apart, dorsal_trained,
                                                                   dorsal_untrained)
