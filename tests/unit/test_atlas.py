"""The atlas as its own source: annotations and label GIfTIs read, labels grouped, errors named."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import yaml

from brainlike.errors import InputError
from brainlike.io.schemas import read_table
from brainlike.plan import Plan, PlanError
from brainlike.plan.atlas import Atlas
from brainlike.plan.datasets import ListeningDataset
from brainlike.plan.schema import schema
from brainlike.preprocess.atlas import (
    UNLABELLED,
    hemisphere_rois,
    read_annot,
    read_label_gifti,
)
from brainlike.preprocess.listening import vertex_table
from brainlike.simulate.atlas import (
    DESTRIEUX_LABELS,
    FILES,
    PATCH_LABELS,
    destrieux_like,
    write_annot,
    write_atlas,
)
from brainlike.simulate.narratives import _write_func_gifti
from brainlike.simulate.surface import ROI_NAMES, icosphere, make_hemisphere

REPO = Path(__file__).resolve().parents[2]
DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())
PRESET = yaml.safe_load((REPO / "config" / "presets" / "narratives.yaml").read_text())
DESTRIEUX = PRESET["atlases"]["destrieux-fsaverage6"]
LEVEL = 2  # 162 vertices a hemisphere: every planted patch still there
N = 10 * 4**LEVEL + 2
HEMIS = {"L": "left", "R": "right"}


def _atlas(fmt: str, **overrides) -> Atlas:
    d = {"source": "unused", "files": FILES[fmt], "groups": DESTRIEUX["groups"],
         "unmapped": DESTRIEUX["unmapped"], **overrides}
    return Atlas.from_config("destrieux-sim", d)


@pytest.fixture(scope="module")
def atlas_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("atlas")
    write_atlas(root, LEVEL)
    return root


def test_annotation_and_label_gifti_name_the_same_labels(atlas_root: Path) -> None:
    for hemi in ("L", "R"):
        annot = read_annot(atlas_root / _atlas("annot").file(hemi))
        gifti = read_label_gifti(atlas_root / _atlas("gifti").file(hemi))
        assert annot.table == gifti.table == DESTRIEUX_LABELS
        assert len(annot.labels) == N
        assert list(annot.labels) == list(gifti.labels)
        expected = np.asarray(DESTRIEUX_LABELS, dtype=object)[destrieux_like(hemi, LEVEL)]
        assert list(annot.labels) == list(expected)
    assert _atlas("annot").file("R") == "label/rh.aparc.a2009s.annot"
    assert _atlas("gifti").file("L").startswith("tpl-icosphere_hemi-L_")


@pytest.mark.parametrize("fmt", ["annot", "gifti"])
def test_the_preset_table_gives_back_the_planted_rois(atlas_root: Path, fmt: str) -> None:
    # the Narratives preset's Destrieux table, applied to the generated atlas
    atlas = _atlas(fmt)
    assert atlas.file_format == fmt  # told from the suffix
    for hemi in ("L", "R"):
        frame = hemisphere_rois(atlas, atlas_root, hemi, N, "run.func.gii")
        planted = make_hemisphere(HEMIS[hemi], level=LEVEL).labels
        assert list(frame["roi_name"]) == [ROI_NAMES[int(c)] for c in planted]
        # groups are numbered in the table's order, unmapped labels 0
        codes = {"other": 0, **{g: i + 1 for i, g in enumerate(atlas.groups)}}
        assert list(frame["roi"]) == [codes[n] for n in frame["roi_name"]]
        transverse = frame["label"] == "G_temp_sup-G_T_transv"
        assert transverse.any() and set(frame.loc[transverse, "roi_name"]) == {"early_auditory"}
        assert set(frame.loc[frame["roi_name"] == "other", "label"]) == set(PATCH_LABELS["other"])


def test_the_generator_and_the_preset_pool_the_same_labels() -> None:
    assert {g: tuple(v) for g, v in DESTRIEUX["groups"].items()} == {
        g: v for g, v in PATCH_LABELS.items() if g != "other"}
    assert not set(PATCH_LABELS["other"]) & {x for v in DESTRIEUX["groups"].values() for x in v}


def test_unmapped_labels_take_the_configured_roi(atlas_root: Path) -> None:
    atlas = _atlas("gifti", groups={"heschl": ["G_temp_sup-G_T_transv"]}, unmapped="rest")
    frame = hemisphere_rois(atlas, atlas_root, "L", N, "run.func.gii")
    heschl = frame["label"] == "G_temp_sup-G_T_transv"
    assert heschl.sum() > 0
    assert set(frame.loc[heschl, "roi_name"]) == {"heschl"} and set(frame.loc[heschl, "roi"]) == {1}
    assert set(frame.loc[~heschl, "roi_name"]) == {"rest"} and set(frame.loc[~heschl, "roi"]) == {0}


def test_without_groups_every_label_is_its_own_roi(atlas_root: Path) -> None:
    frame = hemisphere_rois(_atlas("annot", groups={}), atlas_root, "L", N, "run.func.gii")
    assert (frame["roi_name"] == frame["label"]).all()
    assert list(frame["roi"]) == [DESTRIEUX_LABELS.index(n) for n in frame["label"]]


def test_a_label_the_atlas_lacks_is_named_with_the_file(atlas_root: Path) -> None:
    atlas = _atlas("annot", groups={"early_auditory": ["G_temp_sup-G_T_transv",
                                                       "G_temp_sup-Heschl"]})
    with pytest.raises(InputError, match="G_temp_sup-Heschl") as error:
        hemisphere_rois(atlas, atlas_root, "L", N, "run.func.gii")
    assert error.value.path == str(atlas_root / "label" / "lh.aparc.a2009s.annot")
    assert "G_temp_sup-G_T_transv'" not in error.value.problem  # only the absent one is named


@pytest.mark.parametrize("fmt", ["annot", "gifti"])
def test_an_atlas_of_another_density_names_both_files(atlas_root: Path, fmt: str) -> None:
    data = "derivatives/x/sub-001_task-a_space-fsaverage6_hemi-L_desc-clean.func.gii"
    with pytest.raises(InputError, match=f"{N} vertices, but the surface data {data} have 642"):
        hemisphere_rois(_atlas(fmt), atlas_root, "L", 642, data)


def test_annotation_vertices_outside_the_colour_table_are_unlabelled(tmp_path: Path) -> None:
    codes = destrieux_like("L", LEVEL)
    codes[:5] = -1
    path = write_annot(tmp_path / "lh.aparc.a2009s.annot", codes)
    labels = read_annot(path)
    assert list(labels.labels[:5]) == [UNLABELLED] * 5
    frame = hemisphere_rois(_atlas("annot", files="{fshemi}.aparc.a2009s.annot"), tmp_path, "L",
                            N, "run.func.gii")
    assert list(frame["roi_name"][:5]) == ["other"] * 5


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # garbage header
def test_unreadable_or_missing_atlas_files_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "lh.aparc.a2009s.annot"
    bad.write_bytes(b"not an annotation")
    with pytest.raises(InputError, match="unreadable FreeSurfer annotation") as error:
        read_annot(bad)
    assert error.value.path == str(bad)
    with pytest.raises(InputError, match="missing"):
        read_label_gifti(tmp_path / "absent.label.gii")
    img = nib.gifti.GiftiImage()  # a label array whose keys the table does not name
    img.add_gifti_data_array(nib.gifti.GiftiDataArray(
        np.array([0, 1, 7], np.int32), intent="NIFTI_INTENT_LABEL", datatype="NIFTI_TYPE_INT32"))
    nib.save(img, tmp_path / "keys.label.gii")
    with pytest.raises(InputError, match="label keys \\[0, 1, 7\\]"):
        read_label_gifti(tmp_path / "keys.label.gii")


def _listening(tmp_path: Path, level: int) -> tuple[ListeningDataset, Path]:
    """A Narratives-layout root holding only the first run's surface data."""
    ds = ListeningDataset.from_config("d", {"source": "s", "subjects": ["sub-001"],
                                            "tasks": ["a"], "atlas": "destrieux-sim"})
    root = tmp_path / "listening"
    n = len(icosphere(level)[0])
    for hemi in ds.hemis:
        data = np.random.default_rng(0).normal(size=(3, n))
        _write_func_gifti(root / ds.surface_data("sub-001", "a", hemi), data, ds.tr, hemi)
    return ds, root


def test_vertex_table_takes_its_rois_from_the_atlas(tmp_path: Path, atlas_root: Path) -> None:
    ds, root = _listening(tmp_path, LEVEL)
    out = tmp_path / "vertices.parquet"
    vertex_table(ds, root, out, atlas=_atlas("annot"), atlas_root=atlas_root)
    table = read_table(out, "vertices/1").to_pandas()
    assert list(table["vertex"]) == list(range(2 * N))
    assert list(table["hemi"]) == ["L"] * N + ["R"] * N
    planted = np.concatenate([make_hemisphere(HEMIS[h], level=LEVEL).labels for h in "LR"])
    assert list(table["roi_name"]) == [ROI_NAMES[int(c)] for c in planted]
    assert set(table["label"]) <= set(DESTRIEUX_LABELS)


def test_vertex_table_refuses_an_atlas_of_another_density(tmp_path: Path,
                                                          atlas_root: Path) -> None:
    ds, root = _listening(tmp_path, LEVEL + 1)
    with pytest.raises(InputError, match="desc-clean.func.gii have 642") as error:
        vertex_table(ds, root, tmp_path / "v.parquet", atlas=_atlas("gifti"),
                     atlas_root=atlas_root)
    assert error.value.path.endswith("tpl-icosphere_hemi-L_atlas-Destrieux2009_dseg.label.gii")
    assert not (tmp_path / "v.parquet").exists()


# -- the plan ---------------------------------------------------------------------------------
def _with_atlas(**atlas) -> dict:
    config = copy.deepcopy(DEFAULT)
    config["atlases"] = {"destrieux-sim": {"source": "data/sources/destrieux-sim",
                                           "files": FILES["annot"], **atlas}}
    ds = config["listening"]["narratives-sim"]
    ds.update(rois=None, atlas="destrieux-sim")
    return config


def test_the_plan_acquires_the_atlas_for_the_vertex_table() -> None:
    plan = Plan.from_config(_with_atlas(groups={"a": ["G_cuneus"]}))
    assert plan.vertices_inputs("narratives-sim") == {
        "manifest": "data/raw/narratives-sim.manifest.json",
        "atlas": "data/raw/destrieux-sim.manifest.json"}
    atlas = plan.dataset("destrieux-sim")
    assert atlas.files_to_get() == ["label/lh.aparc.a2009s.annot", "label/rh.aparc.a2009s.annot"]
    assert plan.simulated_source("destrieux-sim") == []
    assert plan.atlas_root("narratives-sim") == "data/raw/destrieux-sim"
    default = Plan.from_config(DEFAULT)
    assert default.atlas("narratives-sim") is None
    assert default.vertices_inputs("narratives-sim") == {
        "manifest": "data/raw/narratives-sim.manifest.json"}


@pytest.mark.parametrize("config, message", [
    (_with_atlas(groups={"a": ["G_cuneus"], "b": ["G_cuneus"]}),
     "atlases.destrieux-sim: label 'G_cuneus' is in groups 'a' and 'b'"),
    (_with_atlas(groups={"other": ["G_cuneus"]}), "unmapped ROI 'other' is also a group"),
    (_with_atlas(files="{hemi}.atlas.nii"), "cannot tell the format"),
    (_with_atlas(files="{side}_{hemi}.annot"), "only {hemi} and {fshemi}"),
    (_with_atlas(), None),
])
def test_atlas_loose_ends_fail_naming_the_key(config: dict, message: str | None) -> None:
    if message is None:
        Plan.from_config(config)
        return
    with pytest.raises(PlanError, match=message.replace("{", "\\{").replace("}", "\\}")):
        Plan.from_config(config)


def test_a_dataset_names_a_configured_atlas_and_not_rois_too() -> None:
    config = _with_atlas()
    config["listening"]["narratives-sim"]["atlas"] = "nowhere"
    with pytest.raises(PlanError, match="listening.narratives-sim: atlas 'nowhere'"):
        Plan.from_config(config)
    config = _with_atlas()
    config["listening"]["narratives-sim"]["rois"] = "x_{hemi}.label.gii"
    with pytest.raises(PlanError, match="`atlas` or `rois`, not both"):
        Plan.from_config(config)
    config = _with_atlas()
    config["atlases"]["speech-sim"] = config["atlases"].pop("destrieux-sim")
    config["listening"]["narratives-sim"]["atlas"] = "speech-sim"
    with pytest.raises(PlanError, match="names used twice"):
        Plan.from_config(config)


def test_atlas_defaults_come_from_the_schema() -> None:
    atlas = Atlas.from_config("a", {"source": "s", "files": "{hemi}.label.gii"})
    props = schema()["$defs"]["atlas"]["properties"]
    assert {f.name for f in dataclasses.fields(Atlas)} == {"name", *props}
    assert (atlas.format, atlas.groups, atlas.unmapped) == (
        props["format"]["default"], props["groups"]["default"], props["unmapped"]["default"])
    for f in dataclasses.fields(Atlas):
        assert f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ds = ListeningDataset.from_config("d", {"source": "s", "subjects": ["sub-1"], "tasks": ["a"]})
    assert ds.atlas is schema()["$defs"]["listening_dataset"]["properties"]["atlas"]["default"]
