"""profiles/slurm on a real SLURM controller: jobs go through sbatch, with the resources the
profile asks for, and give what a local run gives.

The cluster (slurmctld, slurmd, slurmdbd + MariaDB for sacct, munge; two fake GPUs) is
started by scripts/slurm-test-cluster.sh, as root, and stopped after the module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from brainlike.features import baselines
from brainlike.features.vision_baselines import VISION_BASELINES
from tests.workflow.conftest import REPO, SNAKEMAKE, copy_workflow, small_config, snakemake

pytestmark = pytest.mark.workflow

CLUSTER = REPO / "scripts" / "slurm-test-cluster.sh"
PROFILE = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
TRAINED = "wav2vec2-en"
TARGETS = [f"results/brainscores/narratives-sim/{TRAINED}.parquet",
           "results/brainscores/narratives-sim/spectrogram.parquet"]
#: What the retraining and rescoring read from the small run: its data and Snakemake's records.
REUSED = ["data", ".snakemake", "config", "config.yaml", "Snakefile", "rules",
          "workflow_scripts", "envs", "report"]
#: The profile's GPU rules; every other rule must not ask for a GPU.
GPU_RULES = {"train_model", "features", "brain_scores", "phone_probe", "forecast_features",
             "forecast_scores", "vision_features", "shape_bias"}
BASELINES = set(baselines.BASELINES) | set(VISION_BASELINES)


def wants_gpu(rule: str, model: str | None) -> bool:
    """Baselines' features need no GPU; an untrained model is not trained (is saved)."""
    if rule in ("features", "vision_features"):
        return model not in BASELINES
    if rule == "train_model":
        return not (model or "").endswith("-random")
    return rule in GPU_RULES


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    if os.geteuid() != 0:
        pytest.skip("a real SLURM cluster is started as root; this user is not root")
    if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        pytest.skip("no slurmctld and no apt-get to install it")
    state = tmp_path_factory.mktemp("slurm")
    started = subprocess.run(["bash", str(CLUSTER), "start", str(state)], capture_output=True,
                             text=True, timeout=900)
    try:
        assert started.returncode == 0, started.stderr[-3000:]
        yield {**os.environ, "SLURM_CONF": str(state / "slurm.conf")}
    finally:
        subprocess.run(["bash", str(CLUSTER), "stop", str(state)], capture_output=True,
                       timeout=120)


def _sacct(env: dict) -> pd.DataFrame:
    out = subprocess.run(["sacct", "-X", "-n", "-P", "-S", "now-1hour",
                          "-o", "JobID,JobName,State,AllocTRES,AllocCPUS,Comment"],
                         env=env, capture_output=True, text=True, check=True).stdout
    rows = [line.split("|") for line in out.splitlines() if line.strip()]
    return pd.DataFrame(rows, columns=["id", "name", "state", "tres", "cpus", "comment"])


def test_the_profile_runs_training_and_scoring_through_sbatch(small_run: Path, cluster,
                                                              tmp_path: Path) -> None:
    workdir = tmp_path / "wf"
    for name in REUSED:
        src = small_run / name
        if src.is_dir():
            shutil.copytree(src, workdir / name, symlinks=True)
        elif src.exists():
            shutil.copy2(src, workdir / name)
    shutil.copytree(REPO / "profiles", workdir / "profiles", dirs_exist_ok=True)
    local = {t: pd.read_parquet(small_run / t) for t in TARGETS}
    local_model = torch.load(small_run / "models" / TRAINED / "model.pt", weights_only=True)

    proc = subprocess.run(
        [SNAKEMAKE, "--profile", "profiles/slurm", *TARGETS, "--forcerun", "train_model",
         "features", "brain_scores", "--slurm-init-seconds-before-status-checks", "1"],
        cwd=workdir, env=cluster, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-4000:]

    jobs = _sacct(cluster)
    # the plugin names each SLURM job after the run; the rule and wildcards are its comment
    rules = {c.removeprefix("rule_").partition("_wildcards_")[0] for c in jobs["comment"]}
    assert {"train_model", "features", "brain_scores"} <= rules, jobs
    assert (jobs["state"] == "COMPLETED").all(), jobs
    for _, job in jobs.iterrows():
        rule, _, wildcards = job["comment"].removeprefix("rule_").partition("_wildcards_")
        model = wildcards.split("_")[-1] if wildcards else None
        assert ("gres/gpu=1" in job["tres"]) == wants_gpu(rule, model), job.to_dict()
        # as many cores as the job has threads
        assert int(job["cpus"]) == PROFILE["set-threads"].get(rule, 1), job.to_dict()
    trained = jobs[jobs["comment"] == f"rule_train_model_wildcards_{TRAINED}"]
    assert len(trained) == 1 and "gres/gpu=1" in trained["tres"].iloc[0]

    # The baseline's scores are computed the same way under SLURM: identical numbers. The
    # trained model ran with the profile's threads (4, not 1): its sums round apart, and Adam
    # carries that through six steps (seen: up to 1e-3 in a weight).
    cluster_base = pd.read_parquet(workdir / TARGETS[1])
    pd.testing.assert_frame_equal(cluster_base, local[TARGETS[1]])
    cluster_model = torch.load(workdir / "models" / TRAINED / "model.pt", weights_only=True)
    for key, value in local_model["state_dict"].items():
        np.testing.assert_allclose(cluster_model["state_dict"][key].float().numpy(),
                                   value.float().numpy(), atol=5e-3, err_msg=key)
    # per-fold, per-vertex r of a slightly different model moves (alphas re-chosen): the same
    # rows, and the same pattern
    scores, theirs = pd.read_parquet(workdir / TARGETS[0]), local[TARGETS[0]]
    keys = ["subject", "layer", "vertex", "fold"]
    pd.testing.assert_frame_equal(scores[keys], theirs[keys])
    assert np.corrcoef(scores["r"], theirs["r"])[0, 1] > 0.98


@pytest.mark.parametrize("preset,expected", [
    ("narratives", {"train_model", "features", "brain_scores", "responses_parquet"}),
    ("allen2p", {"train_model", "vision_features", "vision_scores", "shape_bias"})])
def test_gpu_rules_ask_for_a_gpu_and_cpu_rules_do_not(tmp_path: Path, preset: str,
                                                     expected: set[str]) -> None:
    """A dry run of a real preset through the profile: each job's resources."""
    workdir = copy_workflow(tmp_path)
    proc = snakemake(workdir, "-n", "--profile", "profiles/slurm", "--configfile",
                     "config.yaml", f"config/presets/{preset}.yaml")
    seen = set()
    for block in (proc.stdout + proc.stderr).split("\n\n"):
        lines = [line.strip() for line in block.splitlines()]
        head = next((line for line in lines if line.startswith(("rule ", "localrule "))), None)
        res = next((line for line in lines if line.startswith("resources:")), None)
        if head is None or res is None:
            continue
        rule = head.split()[1].rstrip(":")
        wild = next((line for line in lines if line.startswith("wildcards:")), "")
        model = dict(kv.split("=", 1) for kv in wild.removeprefix("wildcards: ").split(", ")
                     if "=" in kv).get("model")
        resources = dict(kv.split("=", 1) for kv in res.removeprefix("resources: ").split(", "))
        seen.add(rule)
        assert (int(resources.get("gpu", 0)) == 1) == wants_gpu(rule, model), (rule, resources)
        if rule in GPU_RULES:
            assert resources["slurm_partition"] == "gpu", (rule, resources)
            # threads and the cores SLURM grants agree
            assert int(resources["cpus_per_gpu"]) == PROFILE["set-threads"][rule], rule
        else:
            assert "cpus_per_gpu" not in resources, (rule, resources)
        assert "cpus_per_task" not in resources, (rule, resources)  # threads decide
    assert expected <= seen
