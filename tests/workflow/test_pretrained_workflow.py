"""A published checkpoint scored end to end by the real snakemake: a Hugging Face model
directory imported, its features extracted and every listener scored on it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from brainlike.features.store import feature_info
from brainlike.io.schemas import read_table
from brainlike.models import checkpoint
from tests.unit.test_pretrained import save_tiny
from tests.workflow.conftest import copy_workflow, job_counts, small_config, snakemake

pytestmark = pytest.mark.workflow

MODEL = "tiny-hubert"
#: What the small run built that a new model needs: the data and Snakemake's records of it.
REUSED = ["data", ".snakemake", "config", "Snakefile", "rules", "workflow_scripts", "envs",
          "report"]


def test_a_hugging_face_directory_is_scored_end_to_end(small_run: Path, tmp_path: Path) -> None:
    # The small run's data (simulated, acquired, converted) is reused, not rebuilt.
    workdir = tmp_path / "wf"
    for name in REUSED:
        src = small_run / name
        if src.is_dir():
            shutil.copytree(src, workdir / name, symlinks=True)
        else:
            shutil.copy2(src, workdir / name)
    save_tiny("hubert", workdir / "published" / MODEL, normalize=True)
    config = small_config(workdir)
    config["models"][MODEL] = {"family": "pretrained",
                               "pretrained": {"path": f"published/{MODEL}"}}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    target = f"results/brainscores/narratives-sim/{MODEL}.parquet"

    counts = job_counts(snakemake(workdir, "-n", target))
    planned = [counts.get(k) for k in ("import_pretrained", "features", "brain_scores", "total")]
    assert planned == [1, 1, 1, 3], counts  # nothing of the small run's is redone
    snakemake(workdir, "--cores", "2", target)

    model, extra = checkpoint.load(workdir / "models" / MODEL / "model.pt")
    names = [f"conv{i}" for i in range(1, 8)] + ["transformer0", "transformer1", "transformer2"]
    assert model.layer_names == names and model.config.normalize
    assert extra["pretrained"]["source"] == f"published/{MODEL}"
    heldout = json.loads((workdir / "models" / MODEL / "heldout.json").read_text())
    assert heldout["pretrained"]["normalize_from"] == "preprocessor_config.json"
    info = feature_info(workdir / "features" / "narratives-sim" / MODEL / "en1.parquet")
    assert list(info["layers"]) == names
    scores = read_table(workdir / target, "brainscores/1").to_pandas()
    assert set(scores["subject"]) == {"sub-001", "sub-002", "sub-003", "sub-005"}
    assert set(scores["layer"]) == set(names)
    assert scores["r"].notna().all()


def test_paper_scale_downloads_and_imports_each_published_model(tmp_path: Path) -> None:
    workdir = copy_workflow(tmp_path)
    proc = snakemake(workdir, "-n", "--configfile", "config/presets/paper-scale.yaml")
    counts = job_counts(proc)
    assert counts["fetch_pretrained"] == 3 and counts["import_pretrained"] == 3
    # the published models are never trained here: 2 speech checkpoints and the 9 vision ones (three seeds of the CPC)
    assert counts["train_model"] == 2 + 9
    assert "data/pretrained/wav2vec2-xlsr-53-published" in proc.stdout + proc.stderr
