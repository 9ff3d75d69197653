"""The default config's data and scoring at full size, and the known answers.

The embedded dataset plants its truth, so these check the method: the estimated noise
ceilings track the planted ones, each baseline wins the ROI its level drives, the noise-only
control ROI scores at chance, and the instrument sees learning where the world plants it
(the supervised phone model, trained for its full default schedule, against its untrained
copy). Scored here: the baselines, that pair, and nothing else. Every other model trains on
the default corpora (a few steps) and goes through every rule in ``test_workflow``'s small
run; the whole default pipeline (``make run``, its time in the README) trains every model for
its full schedule, which CI leaves to it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from scipy.stats import binom

from brainlike.io.schemas import read_metadata, read_table
from brainlike.models import checkpoint
from brainlike.models.configs import VIDEO_FAMILIES
from tests.workflow.conftest import (
    FEW_STEPS,
    REPO,
    SPEECH_LEARNER,
    SPEECH_TARGETS,
    SPEECH_UNTRAINED,
    copy_workflow,
    default_checkpoints,
    job_counts,
    snakemake,
)

pytestmark = pytest.mark.workflow


LEARNER, UNTRAINED = SPEECH_LEARNER, SPEECH_UNTRAINED
SCORED = (UNTRAINED, LEARNER)
TARGETS = SPEECH_TARGETS


@pytest.fixture(scope="module")
def default_run(default_world: Path) -> Path:
    """The full-size default world (``conftest.default_world``: speech and vision in one
    run); the vision side's tests are in test_vision_default."""
    return default_world


def _trains(spec: dict) -> bool:
    return bool(spec.get("training")) and spec["training"].get("steps", 1) > 0


def test_every_default_model_trains_on_the_default_corpora(default_run: Path) -> None:
    config = yaml.safe_load((default_run / "config.yaml").read_text())
    for name, spec in config["models"].items():
        if "of" in spec or spec["family"] in VIDEO_FAMILIES:
            continue
        model, _ = checkpoint.load(default_run / "models" / name / "model.pt")
        first = "embedding" if spec["family"] == "causal_lm" else "conv1"
        assert model.layer_names[0] == first, name
        heldout = json.loads((default_run / "models" / name / "heldout.json").read_text())
        assert heldout["trained"] == _trains(spec), name
        log = pq.read_table(default_run / "models" / name / "training_log.parquet").to_pandas()
        if _trains(spec):
            assert heldout["objective"] == spec["training"]["objective"]
            loss = log[log["term"] == "loss"]
            steps = spec["training"]["steps"] if name == LEARNER else FEW_STEPS
            assert loss["step"].max() == steps and np.isfinite(loss["value"]).all(), name
        else:
            assert log.empty, name


def test_default_config_plans_every_model_through_every_rule(tmp_path: Path) -> None:
    proc = snakemake(copy_workflow(tmp_path), "-n", "--quiet", "rules")
    counts = job_counts(proc)
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    every = {name: config["models"][name] for name in config["targets"]["models"]}
    assert counts["train_model"] == sum("of" not in spec for spec in every.values())
    models = {n: spec for n, spec in every.items() if spec["family"] not in VIDEO_FAMILIES}
    vision = len(every) - len(models) + len(config["vision"]["baselines"])
    assert counts["vision_features"] == counts["vision_scores"] == vision
    baselines = len(config["baselines"])
    assert sum(_trains(spec) for spec in models.values()) == 11
    assert counts["features"] == len(models) + baselines  # each writes all 6 stories
    assert counts["brain_scores"] == len(models) + baselines  # each scores all 9 listeners
    assert counts["responses_parquet"] == 9  # a job per listener
    speech = [n for n, spec in models.items() if spec["family"] != "causal_lm"]
    assert counts["phone_probe"] == len(speech)
    assert counts["forecast_scores"] == len(config["forecast"]["models"])


def test_default_config_builds_every_parquet_target(default_run: Path) -> None:
    workdir = default_run
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    dry = snakemake(workdir, "-n", *TARGETS, *default_checkpoints(config))
    assert "Nothing to be done" in dry.stdout + dry.stderr
    base = workdir / "data" / "parquet" / "narratives-sim"
    truth = read_table(base / "groundtruth.parquet", "groundtruth/1").to_pandas()
    subjects = sorted(truth["subject"].unique())
    assert len(subjects) == 9
    for subject in subjects:
        runs = sorted((base / "responses" / subject).glob("task-*.parquet"))
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
    scores = _group_scores(default_run).loc[["spectrogram", "articulatory", "semantic"]]
    print(f"\n{scores.round(3)}")
    for roi, winner in (("early_auditory", "spectrogram"), ("mid_temporal", "articulatory"),
                        ("high_language", "semantic")):
        column = scores[roi]
        assert column.idxmax() == winner, scores
        # by a clear margin: the first world's word baseline won its ROI at .066
        assert column[winner] > 0.2 and column[winner] > 2 * column.drop(winner).max(), scores


def _best(default_run: Path, model: str, roi: str) -> pd.Series:
    summary = read_table(default_run / "results/summary/narratives-sim.parquet",
                         "summary/1").to_pandas()
    group = summary[(summary["subject"] == "group") & (summary["model"] == model)
                    & (summary["roi"] == roi)]
    return group.loc[group["normalised_r"].idxmax()]


def test_the_instrument_sees_a_model_that_learned_the_planted_features(default_run: Path) -> None:
    """The mid ROI follows speaker-invariant phonetic features: the phone model trained on
    other talkers in other rooms must explain it better than its untrained copy, with group
    bootstrap intervals apart, and not at its first convolution."""
    untrained, learner = (_best(default_run, m, "mid_temporal") for m in SCORED)
    print(f"\nmid temporal: {LEARNER} {learner['layer']} {learner['normalised_r']:.3f} "
          f"[{learner['ci_low']:.3f}, {learner['ci_high']:.3f}]; {UNTRAINED} "
          f"{untrained['layer']} {untrained['normalised_r']:.3f} "
          f"[{untrained['ci_low']:.3f}, {untrained['ci_high']:.3f}]")
    assert learner["ci_low"] > untrained["ci_high"]
    assert learner["layer_index"] > 0, learner["layer"]


def test_the_world_leaves_room_for_a_learned_phone_invariance(default_run: Path) -> None:
    """Talkers, noise and rooms keep an untrained network's phone read-out well below the
    trained phone model's (on one clean voice the two were .05 apart)."""
    accuracy = {}
    for model in SCORED:
        probe = pq.read_table(default_run / f"results/probes/narratives-sim/{model}.parquet")
        accuracy[model] = probe.to_pandas().groupby("layer")["accuracy"].mean().max()
    print(f"\nphone probe, best layer: {accuracy}")
    assert accuracy[LEARNER] > accuracy[UNTRAINED] + 0.15, accuracy


def test_noise_only_roi_scores_at_chance(default_run: Path) -> None:
    summary = read_table(default_run / "results/summary/narratives-sim.parquet",
                         "summary/1").to_pandas()
    control = summary[(summary["subject"] != "group") & (summary["roi"] == "control")]
    config = yaml.safe_load((default_run / "config.yaml").read_text())
    layers = 2 * 6  # the two scored models, 6 layers each
    assert len(control) == 9 * (layers + len(config["baselines"]))
    # At most the 99.9th percentile of Binomial(n, 0.05) false positives at 0.05.
    assert (control["p_value"] <= 0.05).sum() <= binom.ppf(0.999, len(control), 0.05)
    assert not control["significant"].any()  # none after FDR
    # The test has power where there is signal. It judges the ROI-mean response, and the
    # planted vertex weights have random signs, so a listener's mean can cancel most of the
    # signal its vertices carry (vertex-wise r stays high): judge those whose mean kept it.
    signal = summary[(summary["subject"] != "group") & (summary["roi"] == "early_auditory")
                     & (summary["model"] == "spectrogram")].set_index("subject")
    rois = pd.read_parquet(default_run / "results/brainscores/narratives-sim/spectrogram.rois.parquet")
    kept = rois[(rois["roi"] == "early_auditory") & (rois["roi_r"] > 0.15)]["subject"]
    assert len(kept) >= 7
    assert signal.loc[kept, "significant"].all(), signal.loc[kept]
