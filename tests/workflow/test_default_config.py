"""The default config end to end (training shortened), and the known answers.

The embedded dataset plants its truth, so these check the method, not the models: the
estimated noise ceilings track the planted ones, each baseline wins the ROI its level drives,
and the noise-only control ROI scores at chance.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from brainlike.io.schemas import read_metadata, read_table
from tests.workflow.conftest import copy_workflow, shrink_training, snakemake

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = copy_workflow(tmp_path_factory.mktemp("default"))
    # Everything as configured except training length: learning is measured by `make run`
    # and the training tests; here the whole default pipeline has to fit in CI.
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    shrink_training(config, steps=20)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    snakemake(workdir, "--cores", "2")
    return workdir


def test_default_config_builds_every_parquet_target(default_run: Path) -> None:
    workdir = default_run
    assert "Nothing to be done" in snakemake(workdir, "-n").stdout + snakemake(workdir, "-n").stderr
    base = workdir / "data" / "parquet" / "narratives-sim"
    truth = read_table(base / "groundtruth.parquet", "groundtruth/1").to_pandas()
    subjects = sorted(truth["subject"].unique())
    assert len(subjects) == 9
    for subject in subjects:
        runs = sorted((base / "responses").glob(f"{subject}_task-*.parquet"))
        assert len(runs) == 6
        volumes = sum(pq.read_metadata(r).num_rows for r in runs)
        assert volumes >= 800, f"{subject} has {volumes} volumes, the power floor is 800"
    run = read_metadata(runs[0], "brainlike.run")
    assert run["dropped_vertices"] == {"nonfinite": [], "constant": []}
    for name in ("narratives-sim", "speech-sim"):
        status = subprocess.run(["datalad", "status"], cwd=workdir / "data" / "raw" / name,
                                capture_output=True, text=True)
        assert status.returncode == 0 and "clean" in status.stdout
    minutes = {}
    for collection in ("en", "fr", "zh", "nonspeech"):
        shards = sorted((workdir / "data/corpora/speech-sim" / collection).glob("shard-*.parquet"))
        minutes[collection] = sum(
            pq.read_table(s, columns=["n_samples"]).column("n_samples").to_numpy().sum()
            for s in shards) / 16000 / 60
    assert all(m >= 55 for m in minutes.values()), minutes
    assert np.isfinite(truth["snr"]).all()


def test_report_has_the_figures(default_run: Path) -> None:
    snakemake(default_run, "--report", "results/report.html")
    html = (default_run / "results" / "report.html").read_text(errors="replace")
    for name in ("layer_profiles.svg", "best_layer.svg", "models_by_roi.svg"):
        assert name in html


def test_estimated_noise_ceilings_track_the_planted_ones(default_run: Path) -> None:
    base = default_run / "data" / "parquet" / "narratives-sim"
    truth = read_table(base / "groundtruth.parquet", "groundtruth/1").to_pandas()
    ceilings = read_table(default_run / "results/ceilings/narratives-sim.parquet",
                          "ceilings/1").to_pandas()
    merged = ceilings.merge(truth, on=["subject", "vertex"])
    for subject, frame in merged.groupby("subject"):
        r = np.corrcoef(frame["ceiling"], frame["ceiling_r"])[0, 1]
        assert r >= 0.9, f"{subject}: ceiling vs planted r = {r:.3f}"


def _group_scores(default_run: Path) -> pd.DataFrame:
    summary = read_table(default_run / "results/summary/narratives-sim.parquet",
                         "summary/1").to_pandas()
    return summary[summary["subject"] == "group"].pivot_table(
        index="model", columns="roi", values="normalised_r", aggfunc="max")


def test_each_baseline_wins_the_roi_its_level_drives(default_run: Path) -> None:
    scores = _group_scores(default_run).loc[["spectrogram", "phonemes", "words"]]
    assert scores["early_auditory"].idxmax() == "spectrogram", scores
    assert scores["mid_temporal"].idxmax() == "phonemes", scores
    assert scores["high_language"].idxmax() == "words", scores


def test_noise_only_roi_scores_at_chance(default_run: Path) -> None:
    summary = read_table(default_run / "results/summary/narratives-sim.parquet",
                         "summary/1").to_pandas()
    control = summary[(summary["subject"] != "group") & (summary["roi"] == "control")]
    assert len(control) >= 100  # 9 subjects x (layers of 5 models + 3 baselines)
    assert (control["p_value"] <= 0.05).mean() <= 0.05 + 0.03  # binomial slack, ~400 tests
    assert not control["significant"].any()  # none after FDR
    signal = summary[(summary["subject"] != "group") & (summary["roi"] == "early_auditory")
                     & (summary["model"] == "spectrogram")]
    assert signal["significant"].all()  # the test has power where there is signal


def test_probe_summary_judges_each_trained_model_against_its_own_random_init(
        default_run: Path) -> None:
    summary = read_table(default_run / "results/probes/narratives-sim/summary.parquet",
                         "probesummary/1").to_pandas().set_index("model")
    config = yaml.safe_load((default_run / "config.yaml").read_text())
    assert set(summary.index) == set(config["targets"]["models"])
    assert summary.loc["hubert-en", "control"] == "logmel-small-random"  # same width
    assert summary.loc["wav2vec2-en", "control"] == "logmel-random"
    assert summary.loc["logmel-random", "control"] == ""
    probes = read_table(default_run / "results/probes/narratives-sim/hubert-en.parquet",
                        "probe/1").to_pandas()
    means = probes.groupby("layer")["accuracy"].mean()
    assert summary.loc["hubert-en", "best_layer"] == means.idxmax()
    assert summary.loc["hubert-en", "accuracy"] == pytest.approx(means.max())
