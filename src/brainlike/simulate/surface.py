"""A toy cortical surface: one icosphere per hemisphere with contiguous ROI patches.

Coordinates follow RAS: +x right, +y anterior, +z superior. The left hemisphere's lateral
pole is -x, the right's +x; ROI seeds are given for the left hemisphere and mirrored for the
right. ROIs are grown by geodesic (shortest path along mesh edges) distance from their seed,
which makes each patch contiguous by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

#: ROI code -> name; 0 is everything outside the planted patches.
ROI_NAMES: dict[int, str] = {
    0: "other",
    1: "early_auditory",
    2: "mid_temporal",
    3: "high_language",
    4: "control",
}

#: Default patch size (vertices per hemisphere) for each ROI code.
DEFAULT_PATCH_SIZES: dict[int, int] = {1: 70, 2: 80, 3: 90, 4: 70}

#: Seed directions (left hemisphere, unnormalised). Auditory is lateral, mid-temporal
#: anterior-inferior to it, high-language superior-anterior (frontal/parietal side), control
#: posterior-medial (occipital), far from the language network.
LEFT_SEEDS: dict[int, tuple[float, float, float]] = {
    1: (-1.0, -0.1, 0.1),
    2: (-0.5, 0.6, -0.6),
    3: (-0.3, 0.3, 1.0),
    4: (0.4, -1.0, -0.2),
}

#: RGBA (0-1) colours of the label table.
ROI_COLOURS: dict[int, tuple[float, float, float, float]] = {
    0: (0.8, 0.8, 0.8, 0.0),
    1: (0.9, 0.2, 0.1, 1.0),
    2: (0.95, 0.6, 0.1, 1.0),
    3: (0.2, 0.4, 0.9, 1.0),
    4: (0.3, 0.7, 0.3, 1.0),
}

_HEMI_STRUCTURE = {"left": "CortexLeft", "right": "CortexRight"}


def _check_mesh(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The arrays, after checking they are vertices (n, 3) and faces (m, 3)."""
    vertices, faces = np.asarray(vertices), np.asarray(faces)
    if vertices.ndim != 2 or vertices.shape[1] != 3:
        raise ValueError(f"vertices must be (n, 3), found shape {vertices.shape}")
    if faces.ndim != 2 or faces.shape[1] != 3:
        raise ValueError(f"faces must be (m, 3), found shape {faces.shape}")
    return vertices, faces


def icosphere(level: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit icosphere after ``level`` loop subdivisions of the icosahedron.

    Returns vertices (10 * 4**level + 2, 3) float32 of unit norm and faces
    (20 * 4**level, 3) int32, counter-clockwise seen from outside (normals point outward).
    """
    if int(level) != level or level < 0 or level > 7:
        raise ValueError(f"level must be an integer in 0..7, found {level!r}")
    t = (1.0 + 5.0**0.5) / 2.0
    verts = [(-1, t, 0), (1, t, 0), (-1, -t, 0), (1, -t, 0),
             (0, -1, t), (0, 1, t), (0, -1, -t), (0, 1, -t),
             (t, 0, -1), (t, 0, 1), (-t, 0, -1), (-t, 0, 1)]
    faces = [(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11),
             (1, 5, 9), (5, 11, 4), (11, 10, 2), (10, 7, 6), (7, 1, 8),
             (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8), (3, 8, 9),
             (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1)]
    v = [np.asarray(p, dtype=np.float64) / np.linalg.norm(p) for p in verts]
    for _ in range(int(level)):
        cache: dict[tuple[int, int], int] = {}

        def midpoint(a: int, b: int) -> int:
            key = (a, b) if a < b else (b, a)
            if key not in cache:
                m = v[a] + v[b]
                v.append(m / np.linalg.norm(m))
                cache[key] = len(v) - 1
            return cache[key]

        new_faces = []
        for a, b, c in faces:
            ab, bc, ca = midpoint(a, b), midpoint(b, c), midpoint(c, a)
            new_faces += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
        faces = new_faces
    return np.asarray(v, dtype=np.float32), np.asarray(faces, dtype=np.int32)


def edge_graph(vertices: np.ndarray, faces: np.ndarray):
    """Symmetric sparse (n, n) matrix of mesh edge lengths."""
    edges = np.vstack([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]).astype(np.int64)
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    lengths = np.linalg.norm(vertices[edges[:, 0]].astype(np.float64)
                             - vertices[edges[:, 1]], axis=1)
    n = len(vertices)
    g = coo_matrix((np.r_[lengths, lengths], (np.r_[edges[:, 0], edges[:, 1]],
                                              np.r_[edges[:, 1], edges[:, 0]])), shape=(n, n))
    return g.tocsr()


def roi_labels(
    vertices: np.ndarray,
    faces: np.ndarray,
    hemi: str = "left",
    patch_sizes: dict[int, int] | None = None,
    seeds: dict[int, tuple[float, float, float]] | None = None,
) -> np.ndarray:
    """(n_vertices,) int32 ROI codes (keys of ``ROI_NAMES``) for one hemisphere.

    Each ROI, in code order, takes the ``patch_sizes[code]`` unassigned vertices geodesically
    nearest its seed vertex (the vertex closest in angle to ``seeds[code]``, mirrored in x for
    the right hemisphere), walking only through unassigned vertices, so patches never overlap
    and are each connected. Deterministic: ties break by vertex index.
    """
    vertices, faces = _check_mesh(vertices, faces)
    if hemi not in _HEMI_STRUCTURE:
        raise ValueError(f"hemi must be 'left' or 'right', found {hemi!r}")
    if patch_sizes is None:
        # The defaults are for level 3 (642 vertices); keep the same cortical fractions at
        # other resolutions so a coarse test surface still has all four ROIs.
        scale = len(vertices) / 642
        patch_sizes = {k: max(3, round(v * scale)) for k, v in DEFAULT_PATCH_SIZES.items()}
    sizes = dict(patch_sizes)
    seed_dirs = dict(LEFT_SEEDS if seeds is None else seeds)
    unknown = set(sizes) - (set(ROI_NAMES) - {0})
    if unknown:
        raise ValueError(f"patch_sizes has unknown ROI codes {sorted(unknown)}")

    n = len(vertices)
    graph = edge_graph(vertices, faces)
    unit = vertices / np.linalg.norm(vertices, axis=1, keepdims=True)
    labels = np.zeros(n, dtype=np.int32)
    for code in sorted(sizes):
        size = int(sizes[code])
        if size <= 0:
            continue
        direction = np.asarray(seed_dirs[code], dtype=np.float64)
        if hemi == "right":
            direction = direction * np.array([-1.0, 1.0, 1.0])
        free = np.flatnonzero(labels == 0)
        if size > free.size:
            raise ValueError(f"patch of {size} vertices for ROI {code} exceeds the "
                             f"{free.size} unassigned vertices left")
        cos = unit[free] @ (direction / np.linalg.norm(direction))
        seed_local = int(np.argmax(cos))
        sub = graph[free][:, free]
        dist = dijkstra(sub, directed=False, indices=seed_local)
        order = np.lexsort((free, dist))  # by distance, ties by vertex index
        chosen = order[:size]
        if not np.all(np.isfinite(dist[chosen])):
            raise ValueError(f"ROI {code}: only {np.isfinite(dist).sum()} vertices reachable "
                             f"from its seed, {size} requested")
        labels[free[chosen]] = code
    return labels


@dataclass
class Hemisphere:
    """One hemisphere's mesh and ROI labels.

    vertices: (n, 3) float32 in mm; faces: (m, 3) int32; labels: (n,) int32 ROI codes.
    """

    hemi: str
    vertices: np.ndarray
    faces: np.ndarray
    labels: np.ndarray


def make_hemisphere(
    hemi: str,
    level: int = 3,
    patch_sizes: dict[int, int] | None = None,
    radius_mm: float = 60.0,
    offset_mm: float = 40.0,
) -> Hemisphere:
    """Icosphere of ``radius_mm`` centred ``offset_mm`` left/right of the midline, with ROIs.

    Labels are computed on the unit sphere, so they do not depend on radius or offset.
    """
    unit, faces = icosphere(level)
    labels = roi_labels(unit, faces, hemi=hemi, patch_sizes=patch_sizes)
    shift = np.array([-offset_mm if hemi == "left" else offset_mm, 0.0, 0.0])
    vertices = (unit.astype(np.float64) * radius_mm + shift).astype(np.float32)
    return Hemisphere(hemi=hemi, vertices=vertices, faces=faces, labels=labels)


def _structure_meta(hemi: str | None) -> nib.gifti.GiftiMetaData:
    meta = nib.gifti.GiftiMetaData()
    if hemi is not None:
        if hemi not in _HEMI_STRUCTURE:
            raise ValueError(f"hemi must be 'left', 'right' or None, found {hemi!r}")
        meta["AnatomicalStructurePrimary"] = _HEMI_STRUCTURE[hemi]
    return meta


def write_surface_gifti(path: str | Path, vertices: np.ndarray, faces: np.ndarray,
                        hemi: str | None = None) -> Path:
    """Write a ``.surf.gii`` with a float32 POINTSET (n, 3) and an int32 TRIANGLE (m, 3) array."""
    vertices, faces = _check_mesh(vertices, faces)
    if faces.size and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise ValueError(f"faces index outside 0..{len(vertices) - 1}")
    img = nib.gifti.GiftiImage(meta=_structure_meta(hemi))
    img.add_gifti_data_array(nib.gifti.GiftiDataArray(
        vertices.astype(np.float32), intent="NIFTI_INTENT_POINTSET", datatype="NIFTI_TYPE_FLOAT32"))
    img.add_gifti_data_array(nib.gifti.GiftiDataArray(
        faces.astype(np.int32), intent="NIFTI_INTENT_TRIANGLE", datatype="NIFTI_TYPE_INT32"))
    path = Path(path)
    nib.save(img, path)
    return path


def read_surface_gifti(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a ``.surf.gii``: (vertices (n, 3) float32, faces (m, 3) int32)."""
    img = _load_gifti(path)
    coords = img.get_arrays_from_intent("NIFTI_INTENT_POINTSET")
    tris = img.get_arrays_from_intent("NIFTI_INTENT_TRIANGLE")
    if len(coords) != 1 or len(tris) != 1:
        raise ValueError(f"{path}: expected one POINTSET and one TRIANGLE array, found "
                         f"{len(coords)} and {len(tris)}")
    v, f = np.asarray(coords[0].data), np.asarray(tris[0].data)
    if v.ndim != 2 or v.shape[1] != 3 or f.ndim != 2 or f.shape[1] != 3:
        raise ValueError(f"{path}: malformed surface, shapes {v.shape} and {f.shape}")
    return v.astype(np.float32), f.astype(np.int32)


def write_label_gifti(path: str | Path, labels: np.ndarray,
                      names: dict[int, str] | None = None, hemi: str | None = None) -> Path:
    """Write a ``.label.gii``: one int32 LABEL array (n,) and a label table naming each code."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be (n_vertices,), found shape {labels.shape}")
    names = dict(ROI_NAMES if names is None else names)
    missing = sorted(set(np.unique(labels).tolist()) - set(names))
    if missing:
        raise ValueError(f"labels use codes {missing} absent from the label table")
    table = nib.gifti.GiftiLabelTable()
    for key in sorted(names):
        r, g, b, a = ROI_COLOURS.get(key, (0.5, 0.5, 0.5, 1.0))
        entry = nib.gifti.GiftiLabel(key=int(key), red=r, green=g, blue=b, alpha=a)
        entry.label = names[key]
        table.labels.append(entry)
    img = nib.gifti.GiftiImage(labeltable=table, meta=_structure_meta(hemi))
    img.add_gifti_data_array(nib.gifti.GiftiDataArray(
        labels.astype(np.int32), intent="NIFTI_INTENT_LABEL", datatype="NIFTI_TYPE_INT32"))
    path = Path(path)
    nib.save(img, path)
    return path


def read_label_gifti(path: str | Path) -> tuple[np.ndarray, dict[int, str]]:
    """Read a ``.label.gii``: (labels (n,) int32, {code: name}).

    Raises ValueError naming the path when the file is not a GIfTI, has no single LABEL
    array, or uses codes missing from its label table.
    """
    img = _load_gifti(path)
    arrays = img.get_arrays_from_intent("NIFTI_INTENT_LABEL")
    if len(arrays) != 1:
        raise ValueError(f"{path}: expected one NIFTI_INTENT_LABEL array, found {len(arrays)}")
    data = np.asarray(arrays[0].data)
    if data.ndim != 1 or not np.issubdtype(data.dtype, np.integer):
        raise ValueError(f"{path}: label array must be (n,) integers, found "
                         f"{data.dtype} shape {data.shape}")
    names = {int(lab.key): str(lab.label) for lab in img.labeltable.labels}
    if not names:
        raise ValueError(f"{path}: empty label table")
    missing = sorted(set(np.unique(data).tolist()) - set(names))
    if missing:
        raise ValueError(f"{path}: codes {missing} are not in the label table")
    return data.astype(np.int32), names


def _load_gifti(path: str | Path) -> nib.gifti.GiftiImage:
    try:
        img = nib.load(str(path))
    except Exception as exc:  # nibabel raises several unrelated types for bad files
        raise ValueError(f"{path}: not a readable GIfTI file ({exc})") from exc
    if not isinstance(img, nib.gifti.GiftiImage):
        raise ValueError(f"{path}: not a GIfTI image (found {type(img).__name__})")
    return img
