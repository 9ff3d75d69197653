"""A cortical atlas as ROIs: each vertex's atlas label, pooled into the config's groups.

Reads a FreeSurfer annotation (``?h.aparc.a2009s.annot``, :func:`nibabel.freesurfer.read_annot`)
or a label GIfTI (TemplateFlow's ``*_atlas-Destrieux2009_dseg.label.gii``), one file per
hemisphere, and names each vertex's ROI by the atlas's ``groups`` table (plan/atlas.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from brainlike.errors import InputError
from brainlike.plan.atlas import Atlas

#: The label of an annotation's vertices that its colour table does not name (read_annot: -1).
UNLABELLED = "Unknown"


@dataclass(frozen=True)
class HemisphereLabels:
    """One hemisphere's atlas: ``labels`` (n_vertices,) each vertex's label name, and
    ``table`` every label name the file defines (some may label no vertex)."""

    labels: np.ndarray
    table: tuple[str, ...]


def _missing(path: Path) -> None:
    if not path.exists():
        raise InputError(path, "atlas file is missing (was it fetched with datalad get?)")


def read_annot(path: str | Path) -> HemisphereLabels:
    """A FreeSurfer ``.annot``: vertices outside its colour table are :data:`UNLABELLED`."""
    path = Path(path)
    _missing(path)
    try:
        codes, _, names = nib.freesurfer.read_annot(str(path))
    except Exception as exc:  # nibabel raises several unrelated types for a bad file
        raise InputError(path, f"unreadable FreeSurfer annotation ({type(exc).__name__}: "
                         f"{exc})") from exc
    table = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)
    # -1 (no colour-table entry) indexes the appended last name
    labels = np.asarray([*table, UNLABELLED], dtype=object)[np.asarray(codes)]
    return HemisphereLabels(labels=labels, table=table)


def read_label_gifti(path: str | Path) -> HemisphereLabels:
    """A label GIfTI: one integer array (n_vertices,) and the label table naming its keys."""
    path = Path(path)
    _missing(path)
    try:
        img = nib.load(str(path))
    except Exception as exc:  # nibabel raises several unrelated types for a bad file
        raise InputError(path, f"unreadable label GIfTI ({type(exc).__name__}: {exc})") from exc
    if not isinstance(img, nib.gifti.GiftiImage):
        raise InputError(path, f"not a GIfTI image ({type(img).__name__})")
    arrays = img.get_arrays_from_intent("NIFTI_INTENT_LABEL") or img.darrays
    if len(arrays) != 1:
        raise InputError(path, f"expected one label array, found {len(arrays)}")
    codes = np.asarray(arrays[0].data)
    if codes.ndim != 1 or not np.issubdtype(codes.dtype, np.integer):
        raise InputError(path, f"label array must be (n_vertices,) integers, found "
                         f"{codes.dtype} {codes.shape}")
    names = {int(k): str(v) for k, v in img.labeltable.get_labels_as_dict().items()}
    unnamed = sorted(set(np.unique(codes).tolist()) - set(names))
    if unnamed:
        raise InputError(path, f"label keys {unnamed[:10]} are not in the label table")
    labels = pd.Series(codes).map(names).to_numpy(dtype=object)
    return HemisphereLabels(labels=labels, table=tuple(names.values()))


READERS = {"annot": read_annot, "gifti": read_label_gifti}


def rois(atlas: Atlas, hemi: HemisphereLabels, path: str | Path
         ) -> tuple[np.ndarray, np.ndarray]:
    """(roi (n,) int16, roi_name (n,)) of one hemisphere read from ``path``.

    With groups, roi is the group's position in the table (1, 2, ...) and 0 the unmapped
    ROI; without, every label is its own ROI, numbered by its place in the label table.
    """
    if not atlas.groups:
        codes = {name: i for i, name in enumerate(hemi.table)}
        roi = pd.Series(hemi.labels).map(codes).fillna(-1).to_numpy(np.int16)
        return roi, hemi.labels
    absent = [label for labels in atlas.groups.values() for label in labels
              if label not in hemi.table]
    if absent:
        raise InputError(path, f"atlas {atlas.name!r} groups labels {absent} that its label "
                         f"table lacks (it names e.g. {list(hemi.table[:4])})")
    group_of = atlas.group_of()
    names = pd.Series(hemi.labels).map(group_of).fillna(atlas.unmapped)
    codes = {group: i + 1 for i, group in enumerate(atlas.groups)}
    roi = names.map(codes).fillna(0).to_numpy(np.int16)
    return roi, names.to_numpy(dtype=object)


def hemisphere_rois(atlas: Atlas, root: str | Path, hemi: str, n_vertices: int,
                    data: str | Path) -> pd.DataFrame:
    """index, roi, roi_name, label of every vertex of ``hemi`` (``L``/``R``).

    root: the atlas dataset's clone. n_vertices: the vertices of the surface ``data`` the
    atlas must cover, one for one.
    """
    path = Path(root) / atlas.file(hemi)
    labels = READERS[atlas.file_format](path)
    if len(labels.labels) != n_vertices:
        raise InputError(path, f"{len(labels.labels)} vertices, but the surface data {data} "
                         f"have {n_vertices} in hemisphere {hemi}: an atlas of another "
                         "surface density?")
    roi, roi_name = rois(atlas, labels, path)
    return pd.DataFrame({"index": np.arange(n_vertices, dtype=np.int32), "roi": roi,
                         "roi_name": roi_name, "label": labels.labels})
