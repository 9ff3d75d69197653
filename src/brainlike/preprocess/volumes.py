"""Volumetric fMRI runs (4-D NIfTI) as (volumes, voxels) arrays, with their masks and TR.

Voxels take the place of surface vertices: a voxel's id is its flat C-order index into the
3-D grid of the run (``numpy.ravel_multi_index((i, j, k), grid)``), so ids from different
runs, subjects and masks on the same grid agree, and fit the int32 vertex ids of
responses/1. Runs are read a few volumes at a time with the mask applied, so peak memory is
the kept voxels of the run plus a handful of whole volumes, not the whole 4-D array (a Le
Petit Prince run is a 73 x 90 x 74 grid over about 300 volumes).
"""

from __future__ import annotations

import gzip
import json
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from brainlike.errors import InputError
from brainlike.io.atomic import atomic_path

log = logging.getLogger(__name__)

#: Volumes decoded per read: a few MB on a real grid, and few enough calls into nibabel.
CHUNK_VOLUMES = 16
#: How far the sidecar's TR and the header's may differ (seconds) before they disagree.
TR_TOLERANCE_S = 1e-3
_TIME_UNITS = {"sec": 1.0, "msec": 1e-3, "usec": 1e-6, "unknown": 1.0}
_READ_ERRORS = (OSError, EOFError, zlib.error, gzip.BadGzipFile, ValueError,
                nib.filebasedimages.ImageFileError)


@dataclass(frozen=True)
class Volumes:
    """A run's masked voxels.

    data: (volumes, voxels) float32. voxel_ids: (voxels,) int64 flat C-order indices into
    ``grid``. ijk: (voxels, 3) int voxel indices; xyz: (voxels, 3) float64 millimetres
    (the image's affine, e.g. MNI). tr: header TR in seconds, None when the header has none.
    """

    data: np.ndarray
    voxel_ids: np.ndarray
    ijk: np.ndarray
    xyz: np.ndarray
    grid: tuple[int, int, int]
    affine: np.ndarray
    tr: float | None


def _load(path: Path, what: str) -> nib.Nifti1Image:
    if not path.exists():
        raise InputError(path, f"{what} is missing (was it fetched with datalad get?)")
    try:
        # keep_file_open: one decompressor for all reads, so reading volume after volume of
        # a .nii.gz is one pass instead of decompressing from the start for each volume.
        img = nib.load(path, keep_file_open=True)
    except _READ_ERRORS as exc:
        raise InputError(path, f"unreadable NIfTI ({type(exc).__name__}: {exc})") from exc
    if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
        raise InputError(path, f"{what} is a {type(img).__name__}, not a NIfTI image")
    return img


def header_tr(img: nib.Nifti1Image) -> float | None:
    """The header's volume spacing (pixdim[4]) in seconds; None when unset (0) or 3-D."""
    zooms = img.header.get_zooms()
    if len(zooms) < 4 or not np.isfinite(zooms[3]) or zooms[3] <= 0:
        return None
    unit = img.header.get_xyzt_units()[1]
    return float(zooms[3]) * _TIME_UNITS.get(unit, 1.0)


def sidecar_tr(sidecar: str | Path) -> float:
    """RepetitionTime (seconds) from a BIDS JSON sidecar."""
    sidecar = Path(sidecar)
    if not sidecar.exists():
        raise InputError(sidecar, "BIDS sidecar is missing")
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(sidecar, f"sidecar is not valid JSON ({exc})") from exc
    if not isinstance(meta, dict) or "RepetitionTime" not in meta:
        raise InputError(sidecar, "sidecar has no RepetitionTime")
    tr = meta["RepetitionTime"]
    if isinstance(tr, bool) or not isinstance(tr, (int, float)) or not np.isfinite(tr) or tr <= 0:
        raise InputError(sidecar, f"RepetitionTime is {tr!r}, not a positive number of seconds")
    return float(tr)


def read_tr(sidecar: str | Path, nifti: str | Path | None = None) -> float:
    """The run's TR from its BIDS sidecar, checked against the NIfTI header when that has one.

    A disagreement raises InputError naming both files: one of them describes another run,
    and which one is right cannot be told from here.
    """
    tr = sidecar_tr(sidecar)
    if nifti is not None:
        img = _load(Path(nifti), "BOLD run")
        head = header_tr(img)
        if head is not None and abs(head - tr) > TR_TOLERANCE_S:
            raise InputError(nifti, f"header TR (pixdim[4]) is {head:g} s but {sidecar} says "
                             f"RepetitionTime {tr:g} s")
    return tr


def _check_grid(path: Path, img: nib.Nifti1Image, grid: tuple[int, ...], affine: np.ndarray,
                other: Path) -> None:
    if tuple(img.shape[:3]) != tuple(grid):
        raise InputError(path, f"grid {tuple(img.shape[:3])} differs from {other}'s "
                         f"{tuple(grid)}")
    if not np.allclose(img.affine, affine, atol=1e-3):
        raise InputError(path, f"affine differs from {other}'s: the images are not on the same "
                         f"grid (affine\n{np.round(img.affine, 3)}\nvs\n{np.round(affine, 3)})")


def _read_3d(path: Path, what: str) -> tuple[nib.Nifti1Image, np.ndarray]:
    img = _load(path, what)
    shape = img.shape
    if len(shape) == 4 and shape[3] == 1:
        shape = shape[:3]
    if len(shape) != 3:
        raise InputError(path, f"{what} must be 3-D, found shape {img.shape}")
    try:
        values = np.asarray(img.dataobj).reshape(shape)
    except _READ_ERRORS as exc:
        raise InputError(path, f"truncated or corrupt NIfTI ({type(exc).__name__}: {exc})") from exc
    return img, values


def read_mask(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """``(mask, affine)``: mask (x, y, z) bool, true where the mask NIfTI is non-zero."""
    path = Path(path)
    img, values = _read_3d(path, "mask")
    if not np.isfinite(values).all():
        raise InputError(path, "mask holds NaN or infinite values")
    mask = values != 0
    if not mask.any():
        raise InputError(path, "mask selects no voxel")
    return mask, img.affine


def read_atlas(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """``(labels, affine)``: labels (x, y, z) int32 region of every voxel, 0 outside all."""
    path = Path(path)
    img, values = _read_3d(path, "atlas")
    if not np.isfinite(values).all() or not np.allclose(values, np.round(values)):
        raise InputError(path, "atlas values must be integer labels")
    labels = np.round(values).astype(np.int32)
    if not (labels > 0).any():
        raise InputError(path, "atlas labels no voxel (all zero)")
    return labels, img.affine


def read_atlas_names(path: str | Path) -> dict[int, str]:
    """label -> name from a BIDS ``*_dseg.tsv`` (columns ``index`` and ``name``)."""
    path = Path(path)
    try:
        table = pd.read_csv(path, sep="\t")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(path, f"unreadable label table ({exc})") from exc
    if not {"index", "name"} <= set(table.columns):
        raise InputError(path, f"label table needs columns index and name, has "
                         f"{', '.join(map(str, table.columns))}")
    return {int(i): str(n) for i, n in zip(table["index"], table["name"])}


def voxel_coordinates(mask: np.ndarray, affine: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(voxel_ids, ijk, xyz)`` of the mask's voxels, in increasing id order."""
    if mask.ndim != 3:
        raise ValueError(f"mask must be (x, y, z), found shape {mask.shape}")
    ijk = np.argwhere(mask)  # C order over (i, j, k): ids come out sorted
    ids = np.ravel_multi_index(ijk.T, mask.shape).astype(np.int64)
    xyz = nib.affines.apply_affine(affine, ijk).astype(np.float64)
    return ids, ijk, xyz


def read_bold(path: str | Path, mask: np.ndarray, mask_affine: np.ndarray,
              mask_source: str | Path = "the mask",
              chunk_volumes: int = CHUNK_VOLUMES) -> Volumes:
    """Read a 4-D BOLD NIfTI's voxels inside ``mask``; (volumes, voxels) float32.

    mask: (x, y, z) bool on the run's grid, ``mask_affine`` its affine; a grid or affine that
    differs raises InputError naming both files (``mask_source`` names the mask's). Non-finite
    or constant voxels are kept here: trim the run first, then ``drop_bad_vertices`` (the
    dropped voxels then go in the run's record).
    """
    path = Path(path)
    img = _load(path, "BOLD run")
    if len(img.shape) != 4:
        raise InputError(path, f"a BOLD run must be 4-D (x, y, z, volumes), found shape "
                         f"{img.shape}")
    grid = tuple(int(n) for n in img.shape[:3])
    n_volumes = int(img.shape[3])
    if n_volumes < 1:
        raise InputError(path, "BOLD run holds no volumes")
    if mask.shape != grid:
        raise InputError(path, f"grid {grid} differs from {mask_source}'s {mask.shape}")
    if not np.allclose(img.affine, mask_affine, atol=1e-3):
        raise InputError(path, f"affine differs from {mask_source}'s: not on the same grid")
    ids, ijk, xyz = voxel_coordinates(mask, mask_affine)
    out = np.empty((n_volumes, len(ids)), dtype=np.float32)
    try:
        for start in range(0, n_volumes, chunk_volumes):
            stop = min(start + chunk_volumes, n_volumes)
            block = np.asarray(img.dataobj[..., start:stop], dtype=np.float32)
            out[start:stop] = block[mask].T
    except _READ_ERRORS as exc:
        raise InputError(path, f"truncated or corrupt NIfTI data ({type(exc).__name__}: "
                         f"{exc})") from exc
    finally:
        img.uncache()
    return Volumes(data=out, voxel_ids=ids, ijk=ijk, xyz=xyz, grid=grid,  # type: ignore[arg-type]
                   affine=np.asarray(img.affine), tr=header_tr(img))


def first_volume_mask(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """``(mask, affine)``: voxels that are finite and non-zero in the run's first volume.

    For derivatives that ship no brain mask but are zero outside the brain (as Le Petit
    Prince's): reads one volume, not the run.
    """
    path = Path(path)
    img = _load(path, "BOLD run")
    if len(img.shape) != 4:
        raise InputError(path, f"a BOLD run must be 4-D, found shape {img.shape}")
    try:
        first = np.asarray(img.dataobj[..., 0], dtype=np.float32)
    except _READ_ERRORS as exc:
        raise InputError(path, f"truncated or corrupt NIfTI data ({exc})") from exc
    return np.isfinite(first) & (first != 0), np.asarray(img.affine)


def common_mask(paths: list[str | Path]) -> tuple[np.ndarray, np.ndarray]:
    """Voxels inside every run's ``first_volume_mask``: one voxel set for all listeners."""
    if not paths:
        raise ValueError("common_mask needs at least one run")
    mask, affine = first_volume_mask(paths[0])
    for path in paths[1:]:
        other, other_affine = first_volume_mask(path)
        if other.shape != mask.shape or not np.allclose(other_affine, affine, atol=1e-3):
            raise InputError(path, f"grid {other.shape} or affine differs from {paths[0]}'s")
        mask &= other
    if not mask.any():
        raise InputError(paths[0], "no voxel is non-zero in every run")
    return mask, affine


def write_mask(path: str | Path, mask: np.ndarray, affine: np.ndarray) -> None:
    """Write a (x, y, z) bool mask as a uint8 NIfTI, atomically."""
    img = nib.Nifti1Image(mask.astype(np.uint8), affine)
    img.header.set_xyzt_units("mm")
    with atomic_path(path) as tmp:
        # nibabel picks compression from the suffix, so the temporary name keeps it.
        named = tmp.with_name(tmp.name + "".join(Path(path).suffixes))
        nib.save(img, named)
        named.replace(tmp)


def voxel_table(mask: np.ndarray, affine: np.ndarray, labels: np.ndarray | None = None,
                names: dict[int, str] | None = None) -> pd.DataFrame:
    """The vertices/1 table for voxels: vertex (voxel id), hemi, index, roi, roi_name.

    ``hemi`` is L where the voxel's x (mm) is negative, as in MNI space; ``index`` is the
    voxel's position in the mask. labels: (x, y, z) atlas on the same grid, or None.
    """
    ids, ijk, xyz = voxel_coordinates(mask, affine)
    if labels is not None and labels.shape != mask.shape:
        raise ValueError(f"atlas grid {labels.shape} differs from the mask's {mask.shape}")
    roi = (labels[tuple(ijk.T)] if labels is not None
           else np.zeros(len(ids), np.int32)).astype(np.int16)
    names = names or {0: "unlabelled"}
    if np.abs(ids).max(initial=0) > np.iinfo(np.int32).max:
        raise ValueError(f"grid {mask.shape} has more voxels than int32 vertex ids can number")
    return pd.DataFrame({
        "vertex": ids.astype(np.int32), "hemi": np.where(xyz[:, 0] < 0, "L", "R"),
        "index": np.arange(len(ids), dtype=np.int32), "roi": roi,
        "roi_name": [names.get(int(v), f"label{int(v)}") for v in roi]})
