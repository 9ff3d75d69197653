"""Run the real snakemake on a copy of the workflow in a temporary directory."""

from __future__ import annotations

import copy
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW_FILES = ["Snakefile", "rules", "workflow_scripts", "envs", "report", "profiles",
                  "config.yaml", "config"]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def copy_workflow(dest: Path) -> Path:
    for name in WORKFLOW_FILES:
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / name)
    return dest


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([SNAKEMAKE, *args], cwd=workdir, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stderr[-4000:]}")
    return proc


def job_counts(proc: subprocess.CompletedProcess) -> dict[str, int]:
    """Rule name -> planned jobs, from the job-stats table of a dry run."""
    counts = {}
    for line in (proc.stdout + proc.stderr).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return counts


def shrink_training(config: dict, steps: int) -> None:
    """A few real optimiser steps per trained model: the pipeline's shape, not its learning.
    A language model's untrained control (``steps: 0``) stays untrained."""
    for spec in config["models"].values():
        if spec.get("training"):
            spec["training"].update(steps=steps if spec["training"].get("steps") != 0 else 0,
                                    batch_size=2, crop_seconds=2.0,
                                    warmup_steps=2, log_every=2, checkpoint_every=3,
                                    heldout_chapters=1,
                                    targets={**spec["training"].get("targets", {}),
                                             "fit_batches": 3, "clusters": 20})


def small_config(workdir: Path) -> dict:
    """The default config shrunk to a few minutes of stories and corpus audio."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    ds = config["listening"]["narratives-sim"]
    ds["simulate"].update(stories_per_language=1, story_minutes=0.5, subjects_per_language=2)
    ds["subjects"] = ["sub-001", "sub-002", "sub-003", "sub-005"]  # sub-004/006 left out
    ds["tasks"] = ["en1", "fr1", "zh1"]
    ds["exclude"] = [{"subject": "sub-005", "task": "zh1", "reason": "test exclusion"}]
    corpus = config["corpora"]["speech-sim"]
    corpus["simulate"].update(hours={"en": 0.05, "fr": 0.02, "zh": 0.02, "nonspeech": 0.02},
                              chapter_minutes=0.5, speakers=2)
    corpus["shard_minutes"] = 1.0
    shrink_training(config, steps=6)
    config["probe"]["stories"] = ["en1"]
    # One language model with its two controls is scored (the others stay trainable), and
    # the forecast windows of one text and one speech model, two distances and one offset.
    config["targets"]["models"] = [m for m in config["targets"]["models"]
                                   if not m.startswith(("lm-fr", "lm-zh"))]
    config["forecast"].update(models=["lm-en", "wav2vec2-en"], distances=[1, 2],
                              offsets_s=[0.1])
    # Two listeners per language are too few for per-language ceilings (each needs 3).
    config["scores"].update(ceiling_group=None, permutations=200, block_trs=5)
    # Vision: one short session per area, a few cells, few clips.
    config["viewing"]["allen-sim"]["simulate"].update(sessions_per_area=1, cells_per_session=6,
                                                      movie_seconds=8.0, repeats=4)
    config["video_corpora"]["movies-sim"].update(heldout_clips=4)
    config["video_corpora"]["movies-sim"]["simulate"].update(clips=16)
    config["vision"].update(bootstrap=50, rdm_splits=4, cue_conflict=5)
    return config


#: What the full-size default world tests score: the speech phone model against its untrained
#: copy, and the vision backbone trained to name the object's shape or its motion against
#: its untrained copy (their learning is what the known-answer tests check).
SPEECH_LEARNER, SPEECH_UNTRAINED = "supervised-en", "logmel-random"
SHAPE, MOTION, VISION_UNTRAINED = "shape-cpc", "motion-cpc", "cpc-one-random"
#: Optimiser steps of every other speech model in the default world: its pipeline, not its
#: learning (``make run`` and the training tests measure that).
FEW_STEPS = 10
#: The motion classifier's steps there: fewer than its default schedule, since its margin
#: over the untrained copy in the dorsal-like areas is wide (docs/vision.md) and the suite's
#: time is not.
MOTION_STEPS = 400
SPEECH_TARGETS = ("data", "results/summary/narratives-sim.parquet",
                  *(f"results/probes/narratives-sim/{m}.parquet"
                    for m in (SPEECH_UNTRAINED, SPEECH_LEARNER)))
VISION_TARGETS = ("results/summary/allen-sim.parquet",
                  "data/parquet/allen-sim/groundtruth.parquet")


def default_checkpoints(config: dict) -> list[str]:
    """Every speech model with a checkpoint of its own (a shuffled-context entry reads
    another's; the vision models other than the learners train in the small run)."""
    from brainlike.models.configs import VIDEO_FAMILIES

    return [f"models/{name}/model.pt" for name, spec in config["models"].items()
            if "of" not in spec and spec["family"] not in VIDEO_FAMILIES]


def _default_world_run(workdir: Path) -> list[str]:
    """The default config at full size, speech and vision in one run: the learners train
    their default schedule (the motion classifier ``MOTION_STEPS``), every other speech model
    ``FEW_STEPS``. Returns the snakemake arguments."""
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    assert config["models"][SPEECH_UNTRAINED]["training"] is None
    learners = (SPEECH_LEARNER, SHAPE, MOTION)
    schedules = {m: copy.deepcopy(config["models"][m]["training"]) for m in learners}
    config["targets"]["models"] = [SPEECH_UNTRAINED, SPEECH_LEARNER, SHAPE, MOTION,
                                   VISION_UNTRAINED]
    shrink_training(config, steps=FEW_STEPS)
    schedules[MOTION]["steps"] = MOTION_STEPS
    for name, training in schedules.items():
        config["models"][name]["training"] = training
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    # The two longest trainings start first (snakemake ranks prioritised targets alike, so
    # naming a third would let it start before them); the rest fills around them.
    return ["--cores", "2", "--prioritize",
            *(f"models/{m}/model.pt" for m in (SHAPE, SPEECH_LEARNER)),
            "--", *SPEECH_TARGETS, *VISION_TARGETS, *default_checkpoints(config)]


def _small_run(workdir: Path) -> list[str]:
    (workdir / "config.yaml").write_text(yaml.safe_dump(small_config(workdir)))
    return ["--cores", "2"]


#: The session's two big workflow runs: fixture name -> (temporary directory stem, set-up,
#: niceness). The default world holds the suite's longest chain (a corpus, then the shape
#: classifier's training, then its scores); the small run is many short jobs that can fill
#: whatever CPU the chain and the other tests leave, so it yields to them.
RUNS = {"default_world": ("default", _default_world_run, 0),
        "small_run": ("wf", _small_run, 10)}


class BigRuns:
    """The big runs, started together in the background when the first is needed: each has
    long single-threaded stretches (a training, a simulation), so together they keep both
    cores busy where one after the other they would leave one idle."""

    def __init__(self, needed: list[str], factory: pytest.TempPathFactory) -> None:
        self.procs: dict[str, tuple[Path, subprocess.Popen, list[str]]] = {}
        for name in needed:
            stem, prepare, niceness = RUNS[name]
            workdir = copy_workflow(factory.mktemp(stem))
            args = prepare(workdir)
            # the child keeps its own copy of the log's descriptor
            with (workdir / "snakemake.out").open("w") as log:
                proc = subprocess.Popen([SNAKEMAKE, *args], cwd=workdir, stdout=log,
                                        stderr=subprocess.STDOUT, text=True,
                                        preexec_fn=functools.partial(os.nice, niceness))
            self.procs[name] = (workdir, proc, args)

    def wait(self, name: str) -> Path:
        workdir, proc, args = self.procs[name]
        if proc.wait() != 0:
            tail = (workdir / "snakemake.out").read_text(errors="replace")[-4000:]
            raise AssertionError(f"snakemake {' '.join(args)} failed:\n{tail}")
        return workdir

    def stop(self) -> None:
        for _, proc, _ in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait()
