"""Surface fMRI runs: GIfTI reading, run-length checks, bad vertices
(brainlike.preprocess.responses)."""

from __future__ import annotations

import logging

import nibabel as nib
import numpy as np
import pytest

from brainlike.errors import InputError
from brainlike.preprocess.responses import (RunCheck, check_run_length, drop_bad_vertices,
                                            read_func_gifti)


def _darray(values: np.ndarray) -> nib.gifti.GiftiDataArray:
    return nib.gifti.GiftiDataArray(np.ascontiguousarray(values, dtype=np.float32),
                                    intent="NIFTI_INTENT_NONE", datatype="NIFTI_TYPE_FLOAT32")


@pytest.fixture()
def data():
    # (volumes, vertices) with distinct values so a transpose or reorder would show
    return (np.arange(5 * 7, dtype=np.float32).reshape(5, 7) * 0.5 - 3.0)


# -- GIfTI ------------------------------------------------------------------------------------

def test_read_func_gifti_one_array_per_volume(tmp_path, data):
    path = tmp_path / "sub-01_hemi-L.func.gii"
    nib.save(nib.gifti.GiftiImage(darrays=[_darray(v) for v in data]), path)
    out = read_func_gifti(path)
    assert out.dtype == np.float32
    assert out.shape == (5, 7)
    np.testing.assert_array_equal(out, data)


def test_read_func_gifti_single_2d_array(tmp_path, data):
    path = tmp_path / "sub-01_hemi-R.func.gii"
    nib.save(nib.gifti.GiftiImage(darrays=[_darray(data.T)]), path)  # (vertices, volumes)
    out = read_func_gifti(path)
    assert out.shape == (5, 7)
    np.testing.assert_array_equal(out, data)


def test_read_func_gifti_arrays_of_different_sizes(tmp_path):
    path = tmp_path / "ragged.func.gii"
    nib.save(nib.gifti.GiftiImage(darrays=[_darray(np.zeros(4)), _darray(np.zeros(5))]), path)
    with pytest.raises(InputError, match="differ in size") as err:
        read_func_gifti(path)
    assert str(path) in str(err.value)


def test_read_func_gifti_without_arrays(tmp_path):
    path = tmp_path / "empty.func.gii"
    nib.save(nib.gifti.GiftiImage(), path)
    with pytest.raises(InputError, match="no data arrays"):
        read_func_gifti(path)


def test_read_func_gifti_corrupt(tmp_path):
    path = tmp_path / "corrupt.func.gii"
    path.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8)))
    with pytest.raises(InputError, match="unreadable GIfTI") as err:
        read_func_gifti(path)
    assert str(path) in str(err.value)


def test_read_func_gifti_truncated_xml(tmp_path, data):
    path = tmp_path / "cut.func.gii"
    nib.save(nib.gifti.GiftiImage(darrays=[_darray(v) for v in data]), path)
    path.write_bytes(path.read_bytes()[:-300])
    with pytest.raises(InputError) as err:
        read_func_gifti(path)
    assert str(path) in str(err.value)


def test_read_func_gifti_missing(tmp_path):
    path = tmp_path / "absent.func.gii"
    with pytest.raises(InputError, match="missing") as err:
        read_func_gifti(path)
    assert str(path) in str(err.value)


# -- run length -------------------------------------------------------------------------------

# the story's audio ends 123.2 s into the scan; TR 1.5 s; up to 30 s of tail allowed
CHECK = RunCheck(tr=1.5, story_end=123.2, max_tail_s=30.0)
RUN = "sub-01_task-x_bold.func.gii"


@pytest.mark.parametrize("n_volumes", [82, 90, 103])
def test_check_run_length_accepts_consistent_runs(n_volumes):
    # 82 x 1.5 = 123 s: ends within a TR of the story's end; 103 x 1.5 = 154.5 s <= 154.7 s
    check_run_length(RUN, n_volumes, CHECK)


@pytest.mark.parametrize("n_volumes", [81, 60])
def test_check_run_length_rejects_scan_ending_before_story(n_volumes):
    with pytest.raises(InputError, match="before") as err:
        check_run_length(RUN, n_volumes, CHECK)
    assert RUN in str(err.value)


@pytest.mark.parametrize("n_volumes", [104, 200])
def test_check_run_length_rejects_scan_far_past_story(n_volumes):
    with pytest.raises(InputError, match="past the story") as err:
        check_run_length(RUN, n_volumes, CHECK)
    assert RUN in str(err.value)


# -- bad vertices -----------------------------------------------------------------------------

def test_drop_bad_vertices(caplog):
    rng = np.random.default_rng(1)
    data = rng.standard_normal((10, 7)).astype(np.float32)
    ids = np.array([100, 101, 102, 103, 104, 105, 106])
    data[4, 1] = np.nan
    data[0, 3] = np.inf
    data[:, 4] = 2.5           # constant
    data[:, 5] = np.nan        # all NaN: non-finite, not also "constant"
    data[7, 6] = -np.inf
    with caplog.at_level(logging.WARNING, logger="brainlike.preprocess.responses"):
        kept, kept_ids, dropped = drop_bad_vertices(data, ids, "run-1")
    assert dropped == {"nonfinite": [101, 103, 105, 106], "constant": [104]}
    assert kept_ids.tolist() == [100, 102]
    np.testing.assert_array_equal(kept, data[:, [0, 2]])
    assert "run-1" in caplog.text


def test_drop_bad_vertices_keeps_clean_data():
    data = np.arange(12, dtype=np.float32).reshape(3, 4) ** 2
    ids = np.array([7, 3, 9, 1])
    kept, kept_ids, dropped = drop_bad_vertices(data, ids, "clean")
    assert dropped == {"nonfinite": [], "constant": []}
    assert kept_ids.tolist() == [7, 3, 9, 1]  # order preserved, not sorted
    np.testing.assert_array_equal(kept, data)


def test_drop_bad_vertices_shape_check():
    with pytest.raises(ValueError):
        drop_bad_vertices(np.zeros((3, 4)), np.arange(5), "x")
