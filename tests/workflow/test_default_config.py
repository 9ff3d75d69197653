"""The untouched default config, end to end up to the Parquet targets (about 3 min on 2 cores)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from brainlike.io.schemas import read_metadata, read_table
from tests.workflow.conftest import copy_workflow, snakemake

pytestmark = pytest.mark.workflow


def test_default_config_builds_every_parquet_target(tmp_path: Path) -> None:
    workdir = copy_workflow(tmp_path)
    snakemake(workdir, "--cores", "2")
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
