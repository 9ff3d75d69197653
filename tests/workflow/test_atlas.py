"""An atlas as its own DataLad source: acquired by the real workflow, grouped into the ROIs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from brainlike.io.schemas import read_table
from brainlike.simulate.atlas import DESTRIEUX_LABELS, FILES, write_atlas
from brainlike.simulate.publish import publish
from brainlike.simulate.surface import ROI_NAMES, make_hemisphere
from tests.workflow.conftest import REPO, copy_workflow, small_config, snakemake

PRESET = yaml.safe_load((REPO / "config" / "presets" / "narratives.yaml").read_text())


@pytest.fixture(scope="module")
def atlas_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The vertex table of the small config, its ROIs from a published Destrieux-like atlas."""
    workdir = copy_workflow(tmp_path_factory.mktemp("wf"))
    config = small_config(workdir)
    ds = config["listening"]["narratives-sim"]
    level = ds["simulate"]["surface_level"]
    source = tmp_path_factory.mktemp("sources") / "destrieux-sim"
    publish(str(source), workdir / "atlas-source.json", lambda root: write_atlas(root, level))
    atlas = dict(PRESET["atlases"]["destrieux-fsaverage6"], source=str(source),
                 files=FILES["annot"])
    config["atlases"] = {"destrieux-sim": atlas}
    ds.update(rois=None, atlas="destrieux-sim")
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    snakemake(workdir, "--cores", "2", "data/parquet/narratives-sim/vertices.parquet")
    return workdir


def test_the_atlas_is_acquired_through_datalad(atlas_run: Path) -> None:
    manifest = json.loads((atlas_run / "data/raw/destrieux-sim.manifest.json").read_text())
    assert [f["path"] for f in manifest["files"]] == ["label/lh.aparc.a2009s.annot",
                                                      "label/rh.aparc.a2009s.annot"]
    assert all(f["present"] for f in manifest["files"])
    published = json.loads((atlas_run / "atlas-source.json").read_text())
    assert (manifest["commit"], manifest["dataset_id"]) == (published["commit"],
                                                            published["dataset_id"])
    assert (atlas_run / "data/raw/destrieux-sim/.datalad/config").exists()


def test_the_vertex_table_groups_the_atlas_labels_into_the_rois(atlas_run: Path) -> None:
    vertices = read_table(atlas_run / "data/parquet/narratives-sim/vertices.parquet",
                          "vertices/1").to_pandas()
    level = yaml.safe_load((atlas_run / "config.yaml").read_text())[
        "listening"]["narratives-sim"]["simulate"]["surface_level"]
    planted = np.concatenate([make_hemisphere(side, level=level).labels
                              for side in ("left", "right")])
    assert list(vertices["roi_name"]) == [ROI_NAMES[int(c)] for c in planted]
    assert set(vertices["label"]) <= set(DESTRIEUX_LABELS)
    assert "G_temp_sup-G_T_transv" in set(vertices.loc[vertices["roi_name"] == "early_auditory",
                                                       "label"])
