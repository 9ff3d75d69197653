"""A training job killed mid-way and re-run by snakemake ends with an uninterrupted run's weights.

The loop-level proof is tests/unit/test_training_loop.py; this one goes through the real
``snakemake``: the rule's checkpoint path, the job's process, snakemake's own bookkeeping.

Re-running after a hard kill (SIGKILL of snakemake itself, a lost node, a power cut) needs
``snakemake --unlock`` first: the dead process leaves its lock in ``.snakemake/locks`` and the
next run stops with ``LockException``. ``--rerun-incomplete`` is not needed: the job's outputs
are written atomically, so none exists to be marked incomplete, and the checkpoint directory
is not an output, so snakemake leaves it in place for the re-run to resume from.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from brainlike.io.schemas import read_table
from brainlike.models import checkpoint
from tests.workflow.conftest import SNAKEMAKE, copy_workflow, small_config, snakemake

pytestmark = pytest.mark.workflow

MODEL = "hubert-en"
TARGET = f"models/{MODEL}/model.pt"
STEPS = 80
TIMING = {"samples_per_s", "audio_s_per_s", "data_wait_fraction"}  # wall-clock, not results


def _state_step(path: Path) -> int | None:
    return torch.load(path, weights_only=True)["step"] if path.exists() else None


def _kill_mid_training(workdir: Path, timeout_s: float = 300.0) -> int:
    """Start the training job, SIGKILL snakemake's whole process group once a checkpoint
    exists; return the step the checkpoint holds after the kill."""
    state = workdir / "models" / MODEL / "checkpoints" / "state.pt"
    proc = subprocess.Popen([SNAKEMAKE, "--cores", "2", TARGET], cwd=workdir,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout_s
        while (_state_step(state) or 0) < 10:
            assert proc.poll() is None, "the training job finished before it could be killed"
            assert time.monotonic() < deadline, "no training checkpoint appeared"
            time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):  # already gone if it finished
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 30
    while True:  # the job's own process (snakemake's child) must be gone too
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the training job outlived snakemake's kill"
        time.sleep(0.1)
    return _state_step(state)


def _training_log(model_dir: Path) -> pd.DataFrame:
    log = read_table(model_dir / "training_log.parquet", "traininglog/1").to_pandas()
    return log[~log["term"].isin(TIMING)].reset_index(drop=True)


def test_killed_training_job_rerun_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    (tmp_path / "wf").mkdir()
    workdir = copy_workflow(tmp_path / "wf")
    config = small_config(workdir)
    config["models"][MODEL]["training"].update(steps=STEPS, batch_size=2, crop_seconds=1.0,
                                               log_every=10, checkpoint_every=10)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    model_dir = workdir / "models" / MODEL

    # Uninterrupted (also builds the corpus), then moved aside so the next run starts afresh.
    snakemake(workdir, "--cores", "2", TARGET)
    reference = Path(shutil.move(model_dir, tmp_path / "uninterrupted"))

    killed_at = _kill_mid_training(workdir)
    assert 10 <= killed_at < STEPS
    assert not (model_dir / "model.pt").exists()  # no half-written output

    snakemake(workdir, "--unlock")
    snakemake(workdir, "--cores", "2", TARGET)
    log = (workdir / "logs" / "train" / f"{MODEL}.log").read_text()
    assert f"resuming from models/{MODEL}/checkpoints/state.pt at step {killed_at}" in log

    resumed, _ = checkpoint.load(model_dir / "model.pt")
    uninterrupted, _ = checkpoint.load(reference / "model.pt")
    expected = uninterrupted.state_dict()
    assert resumed.state_dict().keys() == expected.keys()
    for name, tensor in resumed.state_dict().items():
        assert torch.equal(tensor, expected[name]), name
    rows = _training_log(model_dir)
    assert sorted(set(rows["step"])) == list(range(10, STEPS + 1, 10))
    pd.testing.assert_frame_equal(rows, _training_log(reference), check_exact=True)
    assert json.loads((model_dir / "heldout.json").read_text()) == \
        json.loads((reference / "heldout.json").read_text())
