"""The vision side of the small run: the viewing dataset through DataLad and NWB to Parquet,
every vision model and baseline scored on every cell and area, the headline tables, the
figures and the cue-conflict table, in the same run and report as speech."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from brainlike.plan import Plan

pytestmark = pytest.mark.workflow

DATASET = "allen-sim"


def _plan(run: Path) -> Plan:
    return Plan.from_config(yaml.safe_load((run / "config.yaml").read_text()))


def test_viewing_dataset_is_acquired_and_converted(small_run: Path) -> None:
    plan = _plan(small_run)
    ds = plan.viewing[DATASET]
    manifest = json.loads((small_run / f"data/raw/{DATASET}.manifest.json").read_text())
    assert manifest  # acquired through the same DataLad rule as speech
    nwb = sorted((small_run / "data/raw" / DATASET).glob("sub-*/*.nwb"))
    assert [p.relative_to(small_run / "data/raw" / DATASET).as_posix() for p in nwb] == \
        sorted(ds.nwb(s) for s in ds.sessions)
    cells = pd.read_parquet(small_run / f"data/parquet/{DATASET}/cells.parquet")
    assert set(cells["area"]) == set(ds.simulate.areas)
    sessions = sorted((small_run / f"data/parquet/{DATASET}/sessions").glob("*.parquet"))
    assert len(sessions) == len(ds.sessions)
    long = pd.read_parquet(sessions[0])
    assert long["repeat"].nunique() == ds.simulate.repeats
    assert long["frame"].nunique() == round(ds.simulate.movie_seconds * 30)


def test_every_vision_model_and_baseline_is_scored_on_every_cell_and_area(
        small_run: Path) -> None:
    plan = _plan(small_run)
    cells = pd.read_parquet(small_run / f"data/parquet/{DATASET}/cells.parquet")
    for model in plan.vision_scored:
        scores = pd.read_parquet(small_run / f"results/brainscores/{DATASET}/{model}.parquet")
        assert set(scores["cell"]) == set(cells["cell"]), model
        areas = pd.read_parquet(small_run / f"results/brainscores/{DATASET}/{model}.rois.parquet")
        assert set(areas["area"]) == set(cells["area"]), model
        assert areas["rsa_tau"].notna().all(), model
    summary = pd.read_parquet(small_run / f"results/summary/{DATASET}.parquet")
    assert set(plan.vision_scored) <= set(summary["model"])
    special = pd.read_parquet(small_run / f"results/summary/{DATASET}.specialisation.parquet")
    assert {"cpc", "shape-cpc", "motion-cpc"} <= set(special["model"])


def test_speech_and_vision_share_the_report(small_run: Path) -> None:
    html = (small_run / "results" / "report.html")
    if not html.exists():  # the report test builds it; do not depend on test order
        from tests.workflow.conftest import snakemake
        snakemake(small_run, "--report", "results/report.html")
    text = html.read_text(errors="replace")
    for name in ("area_profiles.svg", "specialisation.svg", "shape_bias.svg",
                 "layer_profiles.svg"):
        assert name in text, name
    table = pd.read_parquet(small_run / "results/shape_bias.parquet")
    assert set(_plan(small_run).vision_models) <= set(table["model"])
