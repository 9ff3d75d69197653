"""The real snakemake on a small config: DataLad acquisition to validated Parquet, and every
configured model (shortly trained) through every rule to the figures and the report."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from brainlike.io.schemas import check_schema, read_metadata, read_table
from brainlike.models.configs import VIDEO_FAMILIES
from tests.workflow.conftest import REPO, copy_workflow, job_counts, small_config, snakemake

pytestmark = pytest.mark.workflow

RUNS = [(s, t) for s in ("sub-001", "sub-002", "sub-003", "sub-005") for t in ("en1", "fr1", "zh1")
        if (s, t) != ("sub-005", "zh1")]


def test_all_parquet_targets_are_built_and_valid(small_run: Path) -> None:
    base = small_run / "data" / "parquet" / "narratives-sim"
    vertices = read_table(base / "vertices.parquet", "vertices/1").to_pandas()
    assert len(vertices) == 2 * 642
    assert set(vertices["roi_name"]) >= {"early_auditory", "mid_temporal", "high_language",
                                         "control"}
    for task in ("en1", "fr1", "zh1"):
        stim = read_table(base / "stimuli" / f"{task}.parquet", "utterance/1")
        assert stim.column("sample_rate")[0].as_py() == 16000
        assert len(stim.column("words")[0]) > 20
    for subject, task in RUNS:
        path = base / "responses" / subject / f"task-{task}.parquet"
        check_schema(path, "responses/1")
        run = read_metadata(path, "brainlike.run")
        table = pq.read_table(path)
        assert table.num_rows == run["volumes_in_scan"] - 4  # trim.start_trs = 4
        assert table.column("time")[0].as_py() == pytest.approx(0.0)  # lead-in trimmed away
    assert not (base / "responses" / "sub-005" / "task-zh1.parquet").exists()  # excluded
    assert not (base / "responses" / "sub-004").exists()  # not selected
    truth = read_table(base / "groundtruth.parquet", "groundtruth/1").to_pandas()
    assert set(truth["subject"]) == {"sub-001", "sub-002", "sub-003", "sub-005"}
    for collection in ("en", "fr", "zh", "nonspeech"):
        index = json.loads((small_run / "data" / "corpora" / "speech-sim" / collection /
                            "index.json").read_text())
        assert index["seconds"] > 0 and index["shards"]


def test_clone_is_clean_from_the_configured_source_with_only_selected_content(
        small_run: Path) -> None:
    clone = small_run / "data" / "raw" / "narratives-sim"
    status = subprocess.run(["datalad", "status"], cwd=clone, capture_output=True, text=True)
    assert status.returncode == 0 and "clean" in status.stdout
    origin = subprocess.run(["git", "remote", "get-url", "origin"], cwd=clone, check=True,
                            capture_output=True, text=True).stdout.strip()
    assert Path(origin) == (small_run / "data" / "sources" / "narratives-sim").resolve()
    func = clone / "derivatives" / "afni-nosmooth"
    got = func / "sub-001" / "func" / "sub-001_task-en1_space-fsaverage6_hemi-L_desc-clean.func.gii"
    skipped = func / "sub-004" / "func" / "sub-004_task-en1_space-fsaverage6_hemi-L_desc-clean.func.gii"
    excluded = func / "sub-005" / "func" / "sub-005_task-zh1_space-fsaverage6_hemi-R_desc-clean.func.gii"
    assert got.exists()
    assert skipped.is_symlink() and not skipped.exists()  # in the tree, content not fetched
    assert excluded.is_symlink() and not excluded.exists()
    manifest = json.loads((small_run / "data" / "raw" / "narratives-sim.manifest.json").read_text())
    assert all(f["present"] for f in manifest["files"])
    assert any(f["path"] == str(got.relative_to(clone)) and f["annex_key"]
               for f in manifest["files"])


def test_rebuilding_one_target_reruns_only_its_job(small_run: Path) -> None:
    target = "data/parquet/narratives-sim/responses/sub-002"
    other = small_run / "data/parquet/narratives-sim/responses/sub-001/task-fr1.parquet"
    before = other.stat().st_mtime_ns
    proc = snakemake(small_run, "--cores", "1", target, "--forcerun", "responses_parquet")
    assert "1 of 1 steps (100%) done" in proc.stderr
    assert "rule responses_parquet" in proc.stderr and "rule acquire" not in proc.stderr
    assert other.stat().st_mtime_ns == before
    # A listener's runs are one directory (no checksum to prove them unchanged): what reads
    # them is planned again, nothing upstream of them and nothing that does not read them.
    counts = job_counts(snakemake(small_run, "--cores", "1", "-n", "--quiet", "rules"))
    assert counts.get("brain_scores") and counts.get("noise_ceilings"), counts
    assert set(counts) <= {"brain_scores", "noise_ceilings", "summary", "brain_score_figures",
                           "comparison_figures", "forecast_scores", "forecast_gains",
                           "forecast_figure", "provenance", "all", "total"}, counts


def test_report_has_the_figures(small_run: Path) -> None:
    snakemake(small_run, "--report", "results/report.html")
    html = (small_run / "results" / "report.html").read_text(errors="replace")
    for name in ("layer_profiles.svg", "best_layer.svg", "models_by_roi.svg",
                 "ssl_vs_controls.svg", "native_language.svg", "training_curves.svg",
                 "phone_probe.svg", "forecast.svg"):
        assert name in html


def test_every_configured_model_is_scored_for_every_listener(small_run: Path) -> None:
    config = yaml.safe_load((small_run / "config.yaml").read_text())
    summary = read_table(small_run / "results/summary/narratives-sim.parquet",
                         "summary/1").to_pandas()
    heard = {m for m in config["targets"]["models"]  # the vision models watch the movie
             if config["models"][m]["family"] not in VIDEO_FAMILIES}
    scored = heard | set(config["baselines"])
    assert set(summary["model"]) == scored
    listeners = summary[summary["subject"] != "group"].groupby("model")["subject"].nunique()
    assert (listeners == 4).all(), listeners


def test_every_result_names_its_config_code_dataset_commits_and_checkpoints(
        small_run: Path) -> None:
    import hashlib
    import re

    from brainlike.plan import Plan

    plan = Plan.from_config(yaml.safe_load((small_run / "config.yaml").read_text()))
    table = json.loads((small_run / "results" / "provenance.json").read_text())
    assert set(table) == set(plan.result_files())
    manifests = {p.name: json.loads(p.read_text())
                 for p in (small_run / "data" / "raw").glob("*.manifest.json")}
    for result, rec in table.items():
        assert (small_run / (result + ".provenance.json")).exists()
        assert rec["config_sha256"] == plan.config_sha256
        assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", rec["code_commit"]), rec["code_commit"]
        for ds in rec["datasets"]:
            assert ds["commit"] == manifests[Path(ds["manifest"]).name]["commit"]
            assert re.fullmatch(r"[0-9a-f]{40}", ds["commit"])
    scores = table["results/brainscores/narratives-sim/wav2vec2-en.parquet"]
    assert {Path(d["manifest"]).name for d in scores["datasets"]} == {
        "narratives-sim.manifest.json", "speech-sim.manifest.json"}
    (ckpt,) = scores["checkpoints"]
    digest = hashlib.sha256((small_run / ckpt["path"]).read_bytes()).hexdigest()
    assert ckpt["model"] == "wav2vec2-en" and ckpt["sha256"] == digest


def test_probe_summary_judges_each_trained_model_against_its_own_random_init(
        small_run: Path) -> None:
    summary = read_table(small_run / "results/probes/narratives-sim.summary.parquet",
                         "probesummary/1").to_pandas().set_index("model")
    config = yaml.safe_load((small_run / "config.yaml").read_text())
    speech = {m for m in config["targets"]["models"]
              if config["models"][m]["family"] not in {"causal_lm", *VIDEO_FAMILIES}}
    assert set(summary.index) == speech  # a language model hears no phones
    assert summary.loc["hubert-en", "control"] == "logmel-small-random"  # same width
    assert summary.loc["wav2vec2-en", "control"] == "logmel-small-split-random"
    assert summary.loc["supervised-en", "control"] == "logmel-random"  # tiny, as it
    assert summary.loc["logmel-random", "control"] == ""
    probes = read_table(small_run / "results/probes/narratives-sim/hubert-en.parquet",
                        "probe/1").to_pandas()
    means = probes.groupby("layer")["accuracy"].mean()
    assert summary.loc["hubert-en", "best_layer"] == means.idxmax()
    assert summary.loc["hubert-en", "accuracy"] == pytest.approx(means.max())


@pytest.mark.parametrize("mutate, key", [
    (lambda c: c["listening"]["narratives-sim"].update(subjectz=["sub-001"]), "subjectz"),
    (lambda c: c["listening"]["narratives-sim"].update(tr="fast"), "fast"),
    (lambda c: c.update(sead=1), "sead"),
    # a preset the schema knows but this family does not have
    (lambda c: c["models"]["waveform-random"].update(preset="small"), "waveform-random"),
])
def test_config_typos_fail_validation_naming_the_key(tmp_path: Path, mutate, key: str) -> None:
    workdir = copy_workflow(tmp_path)
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    mutate(config)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake(workdir, "-n", check=False)
    assert proc.returncode != 0
    assert key in proc.stderr + proc.stdout
    assert not (workdir / "data").exists()


def test_narratives_preset_plans(tmp_path: Path) -> None:
    workdir = copy_workflow(tmp_path)
    proc = snakemake(workdir, "-n", "--configfile", "config/presets/narratives.yaml")
    out = proc.stdout + proc.stderr
    assert "acquire" in out and "responses_parquet" in out
    assert "simulate_listening" not in out  # the preset builds only the real dataset
    assert "name=destrieux-fsaverage6" in out  # its atlas is acquired like a dataset


def test_lint_is_clean(tmp_path: Path) -> None:
    proc = snakemake(copy_workflow(tmp_path), "--lint", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_unreachable_source_fails_naming_the_url(tmp_path: Path) -> None:
    workdir = copy_workflow(tmp_path)
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    ds = config["listening"]["narratives-sim"]
    ds.update(source="http://127.0.0.1:9/offline-dataset", simulate=None)
    config["targets"] = {"listening": ["narratives-sim"], "corpora": []}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake(workdir, "--cores", "1", "data/raw/narratives-sim.manifest.json",
                     check=False)
    assert proc.returncode != 0
    log = (workdir / "logs" / "acquire" / "narratives-sim.log").read_text()
    assert "http://127.0.0.1:9/offline-dataset" in log
    assert not (workdir / "data" / "raw" / "narratives-sim").exists()
    assert not (workdir / "data" / "raw" / "narratives-sim.manifest.json").exists()


def test_one_brain_score_file_plans_only_what_it_needs(tmp_path: Path) -> None:
    workdir = copy_workflow(tmp_path)
    (workdir / "config.yaml").write_text(yaml.safe_dump(small_config(workdir)))
    target = "results/brainscores/narratives-sim/semantic.parquet"
    proc = snakemake(workdir, "-n", target)
    counts = job_counts(proc)
    assert counts.get("brain_scores") == 1
    assert counts.get("responses_parquet") == 4  # every listener, one job each
    assert counts.get("features") == 1  # the semantic baseline, every story
    for absent in ("train_model", "noise_ceilings", "summary", "corpus_parquet",
                   "simulate_corpus"):
        assert absent not in counts, counts


def test_a_changed_setting_reruns_the_jobs_that_read_it(small_run: Path, tmp_path: Path) -> None:
    import shutil

    workdir = tmp_path / "wf"
    for name in ("data", ".snakemake", "config", "config.yaml", "Snakefile", "rules",
                 "workflow_scripts", "envs", "report", "models", "features", "results"):
        src = small_run / name
        (shutil.copytree(src, workdir / name, symlinks=True) if src.is_dir()
         else shutil.copy2(src, workdir / name))
    target = "results/brainscores/narratives-sim/spectrogram.parquet"
    snakemake(workdir, "--cores", "2", target)  # up to date (another test rebuilt a listener)
    assert "total" not in job_counts(snakemake(workdir, "-n", target))
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    config["scores"]["permutations"] = 150
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    counts = job_counts(snakemake(workdir, "-n", target))
    assert counts.get("brain_scores") == 1 and "features" not in counts, counts
    config["features"]["scaling"] = "minmax"
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    counts = job_counts(snakemake(workdir, "-n", target))
    assert counts.get("features") == 1 and counts.get("brain_scores") == 1, counts


def test_a_language_model_trains_on_the_transcripts_with_its_controls(small_run: Path) -> None:
    models = small_run / "models"
    checks = json.loads((models / "lm-en" / "heldout.json").read_text())
    assert checks["trained"] and checks["objective"] == "next_word"
    held = checks["checks"]
    assert held["loss"] > 0 and held["unigram_loss"] > 0 and held["n_words"] > 0
    assert held["learned"] == float(held["loss"] < held["unigram_loss"])
    log = read_table(models / "lm-en" / "training_log.parquet", "traininglog/1").to_pandas()
    assert log[log["term"] == "loss"]["step"].max() == 6
    assert "heldout_loss" in set(log["term"])
    control = json.loads((models / "lm-en-random" / "heldout.json").read_text())
    assert not control["trained"] and control["checks"]["loss"] > 0  # same check, untrained
    assert read_table(models / "lm-en-random" / "training_log.parquet",
                      "traininglog/1").num_rows == 0
    assert not (models / "lm-en-shuffled").exists()  # it reads lm-en's checkpoint
    assert not (small_run / "results/probes/narratives-sim/lm-en.parquet").exists()
    summary = read_table(small_run / "results/summary/narratives-sim.parquet",
                         "summary/1").to_pandas()
    for model in ("lm-en", "lm-en-random", "lm-en-shuffled"):
        layers = set(summary.loc[summary["model"] == model, "layer"])
        assert layers == {"embedding", "block1", "block2"}, model


def test_forecast_gains_cover_every_model_window_layer_and_roi(small_run: Path) -> None:
    gains = pd.read_parquet(small_run / "results/forecast/narratives-sim.parquet")
    rois = set(read_table(small_run / "data/parquet/narratives-sim/vertices.parquet",
                          "vertices/1").column("roi_name").to_pylist())
    expected = {"lm-en": ("words", {"block2"}, {1.0, 2.0}),  # its last layer
                "wav2vec2-en": ("seconds", {"transformer4"}, {0.1})}  # its last layer
    assert set(gains["model"]) == set(expected)
    for model, (unit, layers, aheads) in expected.items():
        rows = gains[gains["model"] == model]
        assert set(rows["unit"]) == {unit} and set(rows["ahead"]) == aheads
        assert set(rows["roi"]) == rois
        assert set(rows["layer"]) == layers
        people = rows[rows["subject"] != "group"]
        assert people["subject"].nunique() == 4
        per_set = len(set(rows["layer"])) * len(aheads) * len(rois)
        assert len(people) == 4 * per_set and (rows["subject"] == "group").sum() == per_set
        scored = read_table(small_run / f"results/forecast/narratives-sim/{model}.parquet",
                            "brainscores/1").column("layer").unique().to_pylist()
        assert len(scored) == len(set(rows["layer"])) * (1 + len(aheads))  # alone + windows
    assert (small_run / "results/figures/narratives-sim/forecast.svg").exists()
