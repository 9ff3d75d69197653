"""Simulated Allen Visual Coding 2P sessions (DANDI 000728 layout): writer, reader, Parquet."""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from brainlike.errors import InputError
from brainlike.preprocess.allen import GROUNDTRUTH_DIR, SIDE_TABLE, to_parquet
from brainlike.preprocess.nwb import cre_driver, movie_responses, read_session, session_file
from brainlike.simulate.allen import SessionPlan, build_dataset, write_session

REPEATS, FRAMES, SIZE, ROIS = 2, 60, 16, 5


def _arrays(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    template = rng.integers(0, 256, (FRAMES, SIZE, SIZE), dtype=np.uint8)
    dff = rng.normal(0.0, 0.5, (REPEATS, FRAMES, ROIS)).astype(np.float32)
    return template, dff


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> tuple[Path, np.ndarray, np.ndarray]:
    template, dff = _arrays(0)
    path = tmp_path_factory.mktemp("nwb") / session_file("408021", "501271265")
    write_session(path, specimen="408021", experiment="501271265", area="VISl",
                  template=template, dff_at_frames=dff, seed=3)
    return path, template, dff


def test_round_trip_recovers_the_frame_responses(session):
    path, template, dff = session
    read = read_session(path)
    assert (read.session, read.subject, read.location) == ("ses-501271265", "sub-408021",
                                                           "VISl")
    np.testing.assert_array_equal(read.template, template)
    responses = movie_responses(read)
    assert responses.shape == (REPEATS, FRAMES, ROIS) and responses.dtype == np.float32
    np.testing.assert_allclose(responses, dff, atol=1e-6)
    assert read.events is not None and read.events.shape == read.dff.shape
    assert np.all(read.events >= 0) and np.any(read.events > 0)
    assert len(np.unique(read.roi_ids)) == ROIS


def test_clocks_are_not_locked(session):
    read = read_session(session[0])
    ophys_period = np.median(np.diff(read.timestamps))
    display_period = np.median(np.diff(read.presented_times[:FRAMES]))
    assert abs(ophys_period - display_period) > 1e-5
    assert np.std(np.diff(read.timestamps)) > 0  # jitter: explicit timestamps, not a rate
    # the imaging starts before, and at an offset from, the first frame
    assert read.timestamps[0] < read.presented_times[0]
    assert not np.any(np.isin(read.presented_times, read.timestamps))
    # a sample in the gray gap carries no frame's value
    gap = (read.timestamps > read.presented_times[FRAMES - 1] + 0.1) & (
        read.timestamps < read.presented_times[FRAMES] - 0.1)
    assert gap.sum() > 10
    assert not np.isin(read.dff[gap], session[2]).any()


def test_layout_paths(session):
    path = session[0]
    with h5py.File(path, "r") as f:
        dff = f["processing/ophys/DfOverF/DfOverF"]
        assert dff.attrs["neurodata_type"] == "RoiResponseSeries"
        assert dff["data"].shape[1] == ROIS and "timestamps" in dff
        assert f["processing/ophys/DfOverF/DfOverFEvents/data"].shape == dff["data"].shape
        plane = f["processing/ophys/ImageSegmentation/PlaneSegmentation"]
        assert plane.attrs["neurodata_type"] == "PlaneSegmentation"
        assert len(plane["id"]) == ROIS and "pixel_mask" in plane
        masks = plane["pixel_mask"][()]
        assert masks["x"].max() < 512 and masks["y"].max() < 512
        assert f["general/optophysiology/ImagingPlane/location"][()].decode() == "VISl"
        template = f["stimulus/templates/natural_movie_one"]
        assert template.attrs["neurodata_type"] == "ImageSeries"
        assert template["data"].shape == (FRAMES, SIZE, SIZE)
        assert np.isnan(template["starting_time"].attrs["rate"])
        shown = f["stimulus/presentation/natural_movie_one_stimulus"]
        assert shown.attrs["neurodata_type"] == "IndexSeries"
        assert len(shown["data"]) == len(shown["timestamps"]) == REPEATS * FRAMES
        link = shown.get("indexed_timeseries", getlink=True)
        assert link.path == "/stimulus/templates/natural_movie_one"
        plane = f["general/optophysiology/ImagingPlane"]
        assert "depth" not in plane["description"][()].decode()
        assert not any("depth" in key for key in plane)


def _replace(group: h5py.Group, name: str, values: np.ndarray) -> None:
    attrs = dict(group[name].attrs)
    del group[name]
    group[name] = values
    group[name].attrs.update(attrs)


def _drop_last_frames(f: h5py.File) -> None:
    shown = f["stimulus/presentation/natural_movie_one_stimulus"]
    _replace(shown, "data", shown["data"][:-10])
    _replace(shown, "timestamps", shown["timestamps"][:-10])


def _repeat_timestamp(f: h5py.File) -> None:
    stamps = f["processing/ophys/Fluorescence/Corrected/timestamps"]
    stamps[5] = stamps[4]


BAD = {
    "no processing module": (lambda f: f.__delitem__("processing/ophys"),
                             "processing module 'ophys'"),
    "no DfOverF": (lambda f: f.move("processing/ophys/DfOverF", "processing/ophys/Other"),
                   "'DfOverF'"),
    "no segmentation": (lambda f: f.move("processing/ophys/ImageSegmentation",
                                         "processing/ophys/Segmentation"),
                        "'ImageSegmentation'"),
    "no presentation": (lambda f: f.__delitem__("stimulus/presentation/"
                                                "natural_movie_one_stimulus"),
                        "stimulus presentation"),
    "timestamps": (_repeat_timestamp, "not strictly increasing"),
    "roi count": (lambda f: _replace(f["processing/ophys/DfOverF/DfOverF"], "data",
                                     f["processing/ophys/DfOverF/DfOverF/data"][:, :-1]),
                  "4 ROIs but PlaneSegmentation has 5"),
    "frame range": (lambda f: f["stimulus/presentation/natural_movie_one_stimulus/data"]
                    .__setitem__(7, FRAMES), "outside the template"),
    "incomplete repeat": (_drop_last_frames, "incomplete"),
}


@pytest.mark.filterwarnings("ignore:RoiResponseSeries 'DfOverF'")
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_name_the_file_and_problem(session, tmp_path, case):
    broken = tmp_path / f"broken-{case.replace(' ', '_')}.nwb"
    broken.write_bytes(session[0].read_bytes())
    edit, message = BAD[case]
    with h5py.File(broken, "r+") as f:
        edit(f)
    with pytest.raises(InputError, match=message) as info:
        read_session(broken)
    assert str(broken) in str(info.value)


def test_missing_template_and_unreadable_file(session, tmp_path):
    with pytest.raises(InputError, match="stimulus template 'natural_movie_two'") as info:
        read_session(session[0], movie="natural_movie_two")
    assert str(session[0]) in str(info.value)
    junk = tmp_path / "junk.nwb"
    junk.write_bytes(b"not hdf5")
    with pytest.raises(InputError, match="not a readable NWB file") as info:
        read_session(junk)
    assert str(junk) in str(info.value)


def _plans(template: np.ndarray) -> list[SessionPlan]:
    """Two sessions: the first's genotype names its Cre driver, the second has none."""
    plans = []
    for k, (specimen, area) in enumerate([("1001", "VISp"), ("1002", "VISal")]):
        _, dff = _arrays(10 + k)
        plans.append(SessionPlan(specimen=specimen, experiment=str(500 + k), area=area,
                                 template=template, dff_at_frames=dff, seed=k,
                                 depth_um=175.0 + 100 * k,
                                 cre_line="Cux2-CreERT2" if k == 0 else ""))
    return plans


@pytest.mark.parametrize("genotype, driver", [
    ("Cux2-CreERT2/wt;Camk2a-tTA/wt;Ai93(TITL-GCaMP6f)/Ai93(TITL-GCaMP6f)", "Cux2-CreERT2"),
    ("Rbp4-Cre; Camk2a-tTA; Ai93(TITL-GCaMP6f)", "Rbp4-Cre"),
    ("Sst-IRES-Cre/wt;Ai148(TIT2L-GC6f-ICL-tTA2)/wt", "Sst-IRES-Cre"),
    ("wt/wt", None), ("", None), (None, None)])
def test_the_cre_driver_of_a_genotype(genotype, driver):
    assert cre_driver(genotype) == driver


def test_parquet_tables(tmp_path, caplog):
    template, _ = _arrays(0)
    plans = _plans(template)
    root = tmp_path / "dandiset"
    summary = build_dataset(root, plans)
    assert (root / "dandiset.yaml").exists() and (root / GROUNDTRUTH_DIR).is_dir()
    # one session left out of the side table: unknown depth and Cre line; the other's Cre
    # line comes from its file's genotype, the side table leaving it blank
    side = pd.read_csv(root / SIDE_TABLE, sep="\t")
    side.loc[0, "cre_line"] = ""
    side.iloc[:1].to_csv(root / SIDE_TABLE, sep="\t", index=False)
    rng = np.random.default_rng(5)
    pd.DataFrame({"cell": [f"ses-50{k // ROIS}/{k % ROIS}" for k in range(2 * ROIS)],
                  "reliability": rng.uniform(size=2 * ROIS)}).to_csv(
        root / GROUNDTRUTH_DIR / "tuning.tsv", sep="\t", index=False)
    pd.DataFrame({"frame": np.arange(FRAMES)[::-1], "shape": np.arange(FRAMES)[::-1] % 4,
                  "x": np.linspace(0, 1, FRAMES)[::-1]}).to_csv(
        root / GROUNDTRUTH_DIR / "movie_latents.tsv", sep="\t", index=False)

    out = tmp_path / "parquet"
    with caplog.at_level(logging.WARNING):
        result = to_parquet(root, summary["sessions"], root / SIDE_TABLE,
                            out / "stimuli/natural_movie_one.parquet", out / "cells.parquet",
                            out / "sessions", out / "groundtruth.parquet")
    assert "ses-501 is not in the side table" in caplog.text
    assert result["n_cells"] == 2 * ROIS

    stimulus = pq.read_table(out / "stimuli/natural_movie_one.parquet")
    assert [str(t) for t in stimulus.schema.types[:5]] == [
        "int32", "double", "int32", "int32", "binary"]
    assert stimulus.column_names == ["frame", "time_s", "height", "width", "pixels",
                                     "shape", "x"]
    rows = stimulus.to_pandas()
    np.testing.assert_allclose(rows["time_s"], np.arange(FRAMES) / 30.0)
    np.testing.assert_array_equal(
        np.frombuffer(rows["pixels"][7], np.uint8).reshape(SIZE, SIZE), template[7])
    np.testing.assert_array_equal(rows["shape"], np.arange(FRAMES) % 4)  # joined on frame

    cells = pq.read_table(out / "cells.parquet")
    assert dict(zip(cells.column_names, map(str, cells.schema.types))) == {
        "cell": "string", "session": "string", "subject": "string", "area": "string",
        "depth_um": "double", "cre_line": "string", "roi": "int32"}
    cells = cells.to_pandas().set_index("cell")
    assert cells.loc["ses-500/3", "depth_um"] == 175.0
    assert cells.loc["ses-500/3", "area"] == "VISp"
    assert cells.loc["ses-500/3", "cre_line"] == "Cux2-CreERT2"
    assert np.isnan(cells.loc["ses-501/0", "depth_um"])
    assert cells.loc["ses-501/0", "cre_line"] == "unknown"
    assert cells.loc["ses-501/0", "subject"] == "sub-1002"

    long = pq.read_table(out / "sessions/ses-501.parquet")
    assert dict(zip(long.column_names, map(str, long.schema.types))) == {
        "cell": "string", "repeat": "int16", "frame": "int32", "dff": "float"}
    long = long.to_pandas()
    cube = (long.pivot_table(index=["repeat", "frame"], columns="cell", values="dff")
            [[f"ses-501/{i}" for i in range(ROIS)]].to_numpy().reshape(REPEATS, FRAMES, ROIS))
    np.testing.assert_allclose(cube, plans[1].dff_at_frames, atol=1e-6)
    assert sorted(p.name for p in (out / "sessions").iterdir()) == ["ses-500.parquet",
                                                                    "ses-501.parquet"]
    truth = pq.read_table(out / "groundtruth.parquet")
    assert truth.column_names == ["cell", "reliability"] and truth.num_rows == 2 * ROIS


def test_a_side_table_contradicting_the_genotype_is_an_error(tmp_path):
    template, _ = _arrays(0)
    root = tmp_path / "dandiset"
    rel = build_dataset(root, _plans(template))["sessions"]
    side = pd.read_csv(root / SIDE_TABLE, sep="\t")
    side.loc[0, "cre_line"] = "Rorb-IRES2-Cre"
    side.to_csv(root / SIDE_TABLE, sep="\t", index=False)
    out = tmp_path / "parquet"
    with pytest.raises(InputError, match="Rorb-IRES2-Cre.*Cux2-CreERT2") as info:
        to_parquet(root, rel, root / SIDE_TABLE, None, out / "c.parquet", out / "sessions",
                   None)
    assert str(root / SIDE_TABLE) in str(info.value) and rel[0] in str(info.value)
    assert not (out / "sessions").exists() and not (out / "c.parquet").exists()


def test_a_side_table_naming_another_area_is_an_error(tmp_path):
    template, _ = _arrays(0)
    root = tmp_path / "dandiset"
    rel = build_dataset(root, _plans(template))["sessions"]
    side = pd.read_csv(root / SIDE_TABLE, sep="\t")
    area = side.loc[1, "area"]
    side.loc[1, "area"] = "VISam" if area != "VISam" else "VISp"
    side.to_csv(root / SIDE_TABLE, sep="\t", index=False)
    out = tmp_path / "parquet"
    with pytest.raises(InputError, match=f"is in {side.loc[1, 'area']}.*images '{area}'"):
        to_parquet(root, rel, root / SIDE_TABLE, None, out / "c.parquet", out / "sessions",
                   None)
    assert not (out / "sessions").exists() and not (out / "c.parquet").exists()


def test_sessions_must_share_the_template(tmp_path):
    template, _ = _arrays(0)
    plans = _plans(template)
    other = template.copy()
    other[3, 0, 0] ^= 1
    plans[1] = SessionPlan(**{**plans[1].__dict__, "template": other})
    root = tmp_path / "dandiset"
    rel = build_dataset(root, plans)["sessions"]
    out = tmp_path / "parquet"
    with pytest.raises(InputError, match="template") as info:
        to_parquet(root, rel, None, out / "s.parquet", out / "c.parquet", out / "sessions",
                   None)
    assert rel[1] in str(info.value)
    assert not (out / "sessions").exists() and not (out / "c.parquet").exists()
