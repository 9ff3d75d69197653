"""The real presets: each plans, and each meets the files and columns of its real layout.

A preset's dataset cannot be downloaded here, so it runs against a copy of its published
layout (names written from the dataset's own conventions), published as a local DataLad
dataset and acquired through the same rules.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from brainlike.io.schemas import read_metadata, read_table
from brainlike.io.schemas import read_metadata, read_table
from brainlike.plan import Plan
from brainlike.simulate.publish import make_dataset
from tests.unit import real_layout as rl
from tests.workflow.conftest import REPO, copy_workflow, job_counts, snakemake

PRESETS = sorted((REPO / "config" / "presets").glob("*.yaml"))


def _merged(*files: Path) -> dict:
    """Config files merged as snakemake merges --configfile (nested keys updated)."""
    def update(base: dict, new: dict) -> dict:
        for k, v in new.items():
            base[k] = update(base.get(k, {}), v) if isinstance(v, dict) and isinstance(
                base.get(k), dict) else v
        return base
    out: dict = {}
    for f in files:
        update(out, yaml.safe_load(f.read_text()))
    return out


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_each_preset_plans_with_a_dry_run(preset: Path, tmp_path: Path) -> None:
    workdir = copy_workflow(tmp_path)
    proc = snakemake(workdir, "-n", "--quiet", "rules", "--configfile", "config.yaml",
                     str(preset.relative_to(REPO)))
    assert job_counts(proc).get("total", 0) > 0


@pytest.fixture(scope="module")
def narratives(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A workflow copy and a DataLad copy of Narratives for the preset's listeners."""
    base = tmp_path_factory.mktemp("narratives")
    preset = REPO / "config" / "presets" / "narratives.yaml"
    ds = yaml.safe_load(preset.read_text())["listening"]["narratives"]
    source = base / "source"
    source.mkdir()
    rl.write_narratives_copy(source, ds["subjects"], ds["tasks"])
    make_dataset(source, "Narratives layout copy")
    atlas_name = yaml.safe_load(preset.read_text())["listening"]["narratives"]["atlas"]
    atlas = yaml.safe_load(preset.read_text())["atlases"][atlas_name]
    atlas_source = base / "atlas"
    atlas_source.mkdir()
    rl.write_destrieux_copy(atlas_source, atlas["files"])
    make_dataset(atlas_source, "TemplateFlow layout copy")
    (base / "wf").mkdir()
    workdir = copy_workflow(base / "wf")
    (workdir / "local.yaml").write_text(yaml.safe_dump(
        {"listening": {"narratives": {"source": str(source)}},
         "atlases": {atlas_name: {"source": str(atlas_source)}}}))
    return workdir, source


def _narratives(workdir: Path, *args: str, check: bool = True):
    return snakemake(workdir, "--cores", "2", *args, "--configfile", "config.yaml",
                     "config/presets/narratives.yaml", "local.yaml", check=check)


def test_narratives_preset_needs_only_what_the_real_layout_has(narratives) -> None:
    workdir, source = narratives
    config = _merged(REPO / "config.yaml", REPO / "config" / "presets" / "narratives.yaml",
                     workdir / "local.yaml")
    plan = Plan.from_config(config)
    missing = [p for p in plan.listening["narratives"].files_to_get()
               if not (source / p).exists()]
    assert missing == []
    columns = open(source / "participants.tsv").readline().rstrip("\n").split("\t")
    assert set(plan.participant_columns("narratives")) <= set(columns)


def test_narratives_preset_preprocesses_a_listener_and_reacquires_a_new_commit(
        narratives) -> None:
    workdir, source = narratives
    target = "data/parquet/narratives/responses/sub-002"
    _narratives(workdir, target)
    assert (workdir / target / "task-pieman.parquet").exists()
    vertices = read_table(workdir / "data/parquet/narratives/vertices.parquet", "vertices/1")
    assert set(vertices.column("roi_name").to_pylist()) == {
        "early_auditory", "mid_temporal", "high_language", "control", "other"}
    vertices = read_table(workdir / "data/parquet/narratives/vertices.parquet", "vertices/1")
    assert set(vertices.column("roi_name").to_pylist()) == {
        "early_auditory", "mid_temporal", "high_language", "control", "other"}
    manifest = workdir / "data/raw/narratives.manifest.json"
    first = json.loads(manifest.read_text())["commit"]
    assert first == subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, text=True,
                                   capture_output=True, check=True).stdout.strip()
    assert "acquire" not in job_counts(_narratives(workdir, "-n", target))
    (source / "CHANGES").write_text("1.0.1 a new release\n")
    subprocess.run(["datalad", "save", "-m", "new release"], cwd=source, check=True,
                   capture_output=True)
    assert job_counts(_narratives(workdir, "-n", target)).get("acquire") == 1
    _narratives(workdir, target)
    assert json.loads(manifest.read_text())["commit"] != first


def test_a_ceiling_group_the_participants_lack_fails_at_acquisition(narratives,
                                                                      tmp_path: Path) -> None:
    workdir, _ = narratives
    (workdir / "group.yaml").write_text(yaml.safe_dump(
        {"scores": {"ceiling_group": "native_language"}}))
    proc = snakemake(workdir, "--cores", "1", "data/raw/narratives.manifest.json",
                     "--forcerun", "acquire", "--configfile", "config.yaml",
                     "config/presets/narratives.yaml", "local.yaml", "group.yaml", check=False)
    assert proc.returncode != 0
    log = (workdir / "logs/acquire/narratives.log").read_text()
    assert "participants.tsv: no column 'native_language' (read by scores.ceiling_group)" in log
    assert not (workdir / "data/raw/narratives.manifest.json").exists()


@pytest.fixture(scope="module")
def lpp_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """A DataLad copy of Le Petit Prince (French and Mandarin, 3 listeners each, 2 sections)
    and a workflow copy whose local.yaml points the LPP preset at it."""
    from brainlike.simulate.lpp import ATLAS, LppSimulation, build_lpp_dataset, subjects

    base = tmp_path_factory.mktemp("lpp")
    source = base / "source"
    sim = LppSimulation(languages=("FR", "CN"), subjects_per_language=3, sections=2,
                        section_seconds=40.0)
    build_lpp_dataset(source, seed=3, sim=sim)
    make_dataset(source, "Le Petit Prince layout copy")
    (base / "wf").mkdir()
    workdir = copy_workflow(base / "wf")
    listeners = subjects(sim)
    (workdir / "local.yaml").write_text(yaml.safe_dump(
        {"listening": {"lpp": {"source": str(source), "subjects": listeners,
                               "sections": [1, 2], "rois": ATLAS}},
         # two 40 s sections: circular-shift blocks to match
         "scores": {"block_trs": 8}}))
    return workdir, source, listeners


def _lpp(workdir: Path, *args: str, check: bool = True):
    return snakemake(workdir, "--cores", "2", *args, "--configfile", "config.yaml",
                     "config/presets/lpp.yaml", "local.yaml", check=check)


def test_lpp_preset_needs_only_what_the_real_layout_has(lpp_copy) -> None:
    workdir, source, _ = lpp_copy
    config = _merged(REPO / "config.yaml", REPO / "config" / "presets" / "lpp.yaml",
                     workdir / "local.yaml")
    plan = Plan.from_config(config)
    missing = [p for p in plan.listening["lpp"].files_to_get() if not (source / p).exists()]
    assert missing == []
    header = (source / "participants.tsv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert set(plan.participant_columns("lpp")) <= set(header.split("\t"))
    assert "native_language" not in header  # the real file has none: the layout supplies it


def test_lpp_preset_scores_a_baseline_and_ceilings_per_language(lpp_copy) -> None:
    workdir, _, listeners = lpp_copy
    _lpp(workdir, "results/brainscores/lpp/spectrogram.parquet", "results/ceilings/lpp.parquet")
    run = workdir / "data/parquet/lpp/responses" / listeners[0] / "task-lppFR_section2.parquet"
    info = read_metadata(run, "brainlike.run")
    assert info["story"] == "lppFR_section2" and info["run_label"] >= 1
    assert not (workdir / "data/parquet/lpp/responses" / listeners[0] /
                "task-lppCN_section1.parquet").exists()  # a French listener heard French only
    vertices = read_table(workdir / "data/parquet/lpp/vertices.parquet", "vertices/1").to_pandas()
    assert set(vertices["roi_name"]) == {"auditory", "other"}
    ceilings = read_table(workdir / "results/ceilings/lpp.parquet", "ceilings/1").to_pandas()
    assert sorted(ceilings["subject"].unique()) == sorted(listeners)
    by_roi = ceilings.merge(vertices[["vertex", "roi_name"]], on="vertex").groupby(
        "roi_name")["ceiling"].mean()
    assert by_roi["auditory"] > by_roi["other"] + 0.3  # shared by the listeners of a language
    scores = read_table(workdir / "results/brainscores/lpp/spectrogram.rois.parquet",
                        "roiscores/1").to_pandas()
    # the generator drives "auditory" voxels by the audio's loudness: the spectrogram finds them
    best = scores.groupby("roi")["mean_r"].mean()
    assert best["auditory"] > best["other"] and best["auditory"] > 0.2
