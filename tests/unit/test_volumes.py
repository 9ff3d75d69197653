"""Volumetric runs: masked 4-D NIfTI reading, TR from the sidecar vs the header, masks and
atlases (brainlike.preprocess.volumes)."""

from __future__ import annotations

import gzip
import json

import nibabel as nib
import numpy as np
import pytest

from brainlike.errors import InputError
from brainlike.preprocess.responses import drop_bad_vertices
from brainlike.preprocess.volumes import (common_mask, read_atlas, read_bold, read_mask,
                                          read_tr, sidecar_tr, voxel_table, write_mask)

GRID = (5, 4, 3)


def _affine(shift: float = 0.0) -> np.ndarray:
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    affine[:3, 3] = [-4.0 + shift, -3.0, -2.0]
    return affine


def _save(path, data, affine=None, tr=None, t_unit="sec"):
    img = nib.Nifti1Image(np.asarray(data), _affine() if affine is None else affine)
    img.header.set_xyzt_units("mm", t_unit)
    if tr is not None:
        img.header.set_zooms(img.header.get_zooms()[:3] + (tr,))
    nib.save(img, path)
    return path


@pytest.fixture()
def run4d():
    # distinct values per voxel and volume, so a transposed or reordered read shows
    return (np.arange(np.prod(GRID) * 7, dtype=np.float32).reshape(GRID + (7,), order="F")
            * 0.25 - 10.0)


@pytest.fixture()
def mask():
    m = np.zeros(GRID, bool)
    m[1:4, 1:3, :] = True
    m[0, 0, 0] = True
    return m


def _sidecar(path, tr):
    path.write_text(json.dumps({"TaskName": "lppFR", "RepetitionTime": tr}))
    return path


def test_read_bold_returns_masked_voxels_in_id_order(tmp_path, run4d, mask):
    path = _save(tmp_path / "bold.nii.gz", run4d, tr=2.0)
    out = read_bold(path, mask, _affine(), chunk_volumes=3)  # chunks that do not divide 7
    assert out.data.dtype == np.float32
    assert out.data.shape == (7, int(mask.sum()))
    ijk = np.argwhere(mask)
    np.testing.assert_array_equal(out.ijk, ijk)
    np.testing.assert_array_equal(out.voxel_ids, np.ravel_multi_index(ijk.T, GRID))
    assert np.all(np.diff(out.voxel_ids) > 0)
    expected = run4d[mask].T  # (volumes, voxels) in C order over (i, j, k)
    np.testing.assert_array_equal(out.data, expected)
    np.testing.assert_allclose(out.xyz[0], [-4.0, -3.0, -2.0])  # voxel (0, 0, 0) in mm
    assert out.tr == 2.0 and out.grid == GRID


def test_read_bold_applies_the_header_scaling(tmp_path, mask):
    stored = np.arange(np.prod(GRID) * 3, dtype=np.int16).reshape(GRID + (3,))
    img = nib.Nifti1Image(stored, _affine())
    img.header.set_slope_inter(0.5, 100.0)
    nib.save(img, tmp_path / "scaled.nii.gz")
    out = read_bold(tmp_path / "scaled.nii.gz", mask, _affine())
    np.testing.assert_allclose(out.data, stored[mask].T * 0.5 + 100.0)


def test_read_bold_rejects_a_3d_image(tmp_path, run4d, mask):
    path = _save(tmp_path / "vol.nii.gz", run4d[..., 0])
    with pytest.raises(InputError, match="must be 4-D") as err:
        read_bold(path, mask, _affine())
    assert str(path) in str(err.value)


def test_read_bold_missing_file(tmp_path, mask):
    with pytest.raises(InputError, match="missing"):
        read_bold(tmp_path / "absent.nii.gz", mask, _affine())


def test_read_bold_truncated_file(tmp_path, run4d, mask):
    path = _save(tmp_path / "bold.nii.gz", run4d)
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[: len(raw) // 2]))  # a download cut in half
    with pytest.raises(InputError, match="truncated or corrupt") as err:
        read_bold(path, mask, _affine())
    assert str(path) in str(err.value)


def test_read_bold_not_a_nifti(tmp_path, mask):
    path = tmp_path / "bold.nii.gz"
    path.write_bytes(gzip.compress(b"not an image at all" * 40))
    with pytest.raises(InputError, match="unreadable NIfTI|truncated"):
        read_bold(path, mask, _affine())


def test_mask_on_another_grid_names_both_files(tmp_path, run4d):
    bold = _save(tmp_path / "bold.nii.gz", run4d)
    mask_path = _save(tmp_path / "mask.nii.gz", np.ones((5, 4, 2), np.uint8))
    mask, affine = read_mask(mask_path)
    with pytest.raises(InputError, match=r"grid \(5, 4, 3\) differs") as err:
        read_bold(bold, mask, affine, mask_source=mask_path)
    assert str(bold) in str(err.value) and str(mask_path) in str(err.value)


def test_mask_with_another_affine_is_rejected(tmp_path, run4d, mask):
    bold = _save(tmp_path / "bold.nii.gz", run4d)
    with pytest.raises(InputError, match="affine differs"):
        read_bold(bold, mask, _affine(shift=2.0), mask_source="mask.nii.gz")


def test_read_mask_and_atlas(tmp_path, mask):
    m, affine = read_mask(_save(tmp_path / "m.nii.gz", mask.astype(np.uint8)))
    np.testing.assert_array_equal(m, mask)
    np.testing.assert_allclose(affine, _affine())
    labels = np.where(mask, 3, 0).astype(np.int16)
    labels[0, 0, 0] = 7
    out, _ = read_atlas(_save(tmp_path / "a.nii.gz", labels))
    np.testing.assert_array_equal(out, labels)
    with pytest.raises(InputError, match="selects no voxel"):
        read_mask(_save(tmp_path / "empty.nii.gz", np.zeros(GRID, np.uint8)))
    with pytest.raises(InputError, match="integer labels"):
        read_atlas(_save(tmp_path / "float.nii.gz", labels * 0.5))
    with pytest.raises(InputError, match="must be 3-D"):
        read_mask(_save(tmp_path / "4d.nii.gz", np.ones(GRID + (2,), np.uint8)))


def test_nan_voxels_are_dropped_like_vertices(tmp_path, run4d, mask):
    data = run4d.copy()
    data[1, 1, 0, 4] = np.nan  # one NaN volume in one masked voxel
    data[2, 2, 1, :] = 5.0  # a constant voxel
    out = read_bold(_save(tmp_path / "bold.nii.gz", data), mask, _affine())
    kept, ids, dropped = drop_bad_vertices(out.data, out.voxel_ids, "bold.nii.gz")
    nan_id = int(np.ravel_multi_index((1, 1, 0), GRID))
    flat_id = int(np.ravel_multi_index((2, 2, 1), GRID))
    assert dropped == {"nonfinite": [nan_id], "constant": [flat_id]}
    assert kept.shape == (7, int(mask.sum()) - 2) and np.isfinite(kept).all()
    assert nan_id not in ids and flat_id not in ids


# -- TR -----------------------------------------------------------------------------------

def test_read_tr_agrees_with_header(tmp_path, run4d):
    bold = _save(tmp_path / "bold.nii.gz", run4d, tr=2.0)
    assert read_tr(_sidecar(tmp_path / "bold.json", 2), bold) == 2.0


def test_read_tr_mismatch_names_both_files(tmp_path, run4d):
    bold = _save(tmp_path / "bold.nii.gz", run4d, tr=1.5)
    side = _sidecar(tmp_path / "bold.json", 2.0)
    with pytest.raises(InputError, match="header TR") as err:
        read_tr(side, bold)
    assert str(bold) in str(err.value) and str(side) in str(err.value)


def test_read_tr_header_in_milliseconds(tmp_path, run4d):
    bold = _save(tmp_path / "bold.nii.gz", run4d, tr=2000.0, t_unit="msec")
    assert read_tr(_sidecar(tmp_path / "bold.json", 2.0), bold) == 2.0


def test_read_tr_header_without_tr_is_not_checked(tmp_path, run4d):
    bold = _save(tmp_path / "bold.nii.gz", run4d, tr=0.0)
    assert read_tr(_sidecar(tmp_path / "bold.json", 2.0), bold) == 2.0


@pytest.mark.parametrize("content, problem", [
    ("{not json", "not valid JSON"),
    (json.dumps({"TaskName": "x"}), "no RepetitionTime"),
    (json.dumps({"RepetitionTime": 0}), "not a positive"),
    (json.dumps({"RepetitionTime": "2"}), "not a positive"),
])
def test_bad_sidecars(tmp_path, content, problem):
    path = tmp_path / "bold.json"
    path.write_text(content)
    with pytest.raises(InputError, match=problem) as err:
        sidecar_tr(path)
    assert str(path) in str(err.value)


# -- masks from data, voxel table ------------------------------------------------------------

def test_common_mask_keeps_voxels_non_zero_in_every_run(tmp_path, run4d):
    a, b = run4d.copy(), run4d.copy()
    a[0, 0, 0, 0] = 0.0  # outside the brain in the first volume of one run only
    b[4, 3, 2, 0] = np.nan
    mask, affine = common_mask([_save(tmp_path / "a.nii.gz", a), _save(tmp_path / "b.nii.gz", b)])
    expected = (run4d[..., 0] != 0)
    expected[0, 0, 0] = expected[4, 3, 2] = False
    np.testing.assert_array_equal(mask, expected)
    write_mask(tmp_path / "mask.nii.gz", mask, affine)
    back, back_affine = read_mask(tmp_path / "mask.nii.gz")
    np.testing.assert_array_equal(back, mask)
    np.testing.assert_allclose(back_affine, affine)


def test_voxel_table_hemispheres_and_rois(mask):
    labels = np.where(mask, 2, 0)
    labels[0, 0, 0] = 1
    table = voxel_table(mask, _affine(), labels, {1: "auditory", 2: "other"})
    assert list(table.columns) == ["vertex", "hemi", "index", "roi", "roi_name"]
    assert len(table) == mask.sum()
    np.testing.assert_array_equal(table["vertex"],
                                  np.ravel_multi_index(np.argwhere(mask).T, GRID))
    x_mm = -4.0 + 2.0 * np.argwhere(mask)[:, 0]
    np.testing.assert_array_equal(table["hemi"], np.where(x_mm < 0, "L", "R"))
    assert table.loc[table["vertex"] == 0, "roi_name"].item() == "auditory"
    assert (table["roi_name"] == "other").sum() == mask.sum() - 1
