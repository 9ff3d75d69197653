"""A Destrieux-like atlas of the simulated surface, in FreeSurfer's and TemplateFlow's layouts.

Each planted ROI patch of :mod:`brainlike.simulate.surface` is split among the Destrieux
(aparc.a2009s) labels that the Narratives preset pools into that ROI, and the rest of the
sphere among a few labels no group lists, so that the preset's table, applied to this atlas,
gives back the planted ROIs. Written both as ``label/{lh,rh}.aparc.a2009s.annot`` and as
label GIfTIs named like TemplateFlow's, for the icosphere the simulated data use.
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from brainlike.simulate.surface import ROI_NAMES, make_hemisphere, write_label_gifti

#: The label table of FreeSurfer's aparc.a2009s (Destrieux et al. 2010), in its own order.
DESTRIEUX_LABELS: tuple[str, ...] = (
    "Unknown", "G_and_S_frontomargin", "G_and_S_occipital_inf", "G_and_S_paracentral",
    "G_and_S_subcentral", "G_and_S_transv_frontopol", "G_and_S_cingul-Ant",
    "G_and_S_cingul-Mid-Ant", "G_and_S_cingul-Mid-Post", "G_cingul-Post-dorsal",
    "G_cingul-Post-ventral", "G_cuneus", "G_front_inf-Opercular", "G_front_inf-Orbital",
    "G_front_inf-Triangul", "G_front_middle", "G_front_sup", "G_Ins_lg_and_S_cent_ins",
    "G_insular_short", "G_occipital_middle", "G_occipital_sup", "G_oc-temp_lat-fusifor",
    "G_oc-temp_med-Lingual", "G_oc-temp_med-Parahip", "G_orbital", "G_pariet_inf-Angular",
    "G_pariet_inf-Supramar", "G_parietal_sup", "G_postcentral", "G_precentral", "G_precuneus",
    "G_rectus", "G_subcallosal", "G_temp_sup-G_T_transv", "G_temp_sup-Lateral",
    "G_temp_sup-Plan_polar", "G_temp_sup-Plan_tempo", "G_temporal_inf", "G_temporal_middle",
    "Lat_Fis-ant-Horizont", "Lat_Fis-ant-Vertical", "Lat_Fis-post", "Medial_wall",
    "Pole_occipital", "Pole_temporal", "S_calcarine", "S_central", "S_cingul-Marginalis",
    "S_circular_insula_ant", "S_circular_insula_inf", "S_circular_insula_sup",
    "S_collat_transv_ant", "S_collat_transv_post", "S_front_inf", "S_front_middle",
    "S_front_sup", "S_interm_prim-Jensen", "S_intrapariet_and_P_trans",
    "S_oc_middle_and_Lunatus", "S_oc_sup_and_transversal", "S_occipital_ant", "S_oc-temp_lat",
    "S_oc-temp_med_and_Lingual", "S_orbital_lateral", "S_orbital_med-olfact",
    "S_orbital-H_Shaped", "S_parieto_occipital", "S_pericallosal", "S_postcentral",
    "S_precentral-inf-part", "S_precentral-sup-part", "S_suborbital", "S_subparietal",
    "S_temporal_inf", "S_temporal_sup", "S_temporal_transverse",
)

#: Planted ROI -> the Destrieux labels its patch is split among (config/presets/narratives.yaml
#: pools the same labels into the same ROIs); ``other`` takes labels no group lists.
PATCH_LABELS: dict[str, tuple[str, ...]] = {
    "early_auditory": ("G_temp_sup-G_T_transv", "S_temporal_transverse"),
    "mid_temporal": ("G_temp_sup-Plan_tempo", "G_temp_sup-Plan_polar", "G_temp_sup-Lateral",
                     "S_temporal_sup"),
    "high_language": ("G_front_inf-Opercular", "G_front_inf-Triangul", "Pole_temporal",
                      "G_temporal_middle", "G_pariet_inf-Supramar", "G_pariet_inf-Angular"),
    "control": ("S_calcarine", "G_cuneus", "Pole_occipital"),
    "other": ("Unknown", "Medial_wall", "G_precentral", "G_postcentral", "G_front_sup"),
}

#: Format -> each hemisphere's file in the generated dataset (an atlas's `files`).
FILES: dict[str, str] = {
    "annot": "label/{fshemi}.aparc.a2009s.annot",
    "gifti": "tpl-icosphere_hemi-{hemi}_atlas-Destrieux2009_dseg.label.gii",
}

_HEMIS = {"L": ("left", "lh"), "R": ("right", "rh")}


def destrieux_like(hemi: str, level: int) -> np.ndarray:
    """(n_vertices,) int32 indices into :data:`DESTRIEUX_LABELS` for hemisphere ``L``/``R``
    of the level-``level`` icosphere (the simulated listening data's surface)."""
    planted = make_hemisphere(_HEMIS[hemi][0], level=level).labels
    codes = np.empty(len(planted), dtype=np.int32)
    for roi, name in ROI_NAMES.items():
        members = np.flatnonzero(planted == roi)
        labels = PATCH_LABELS[name]
        for part, label in zip(np.array_split(members, len(labels)), labels):
            codes[part] = DESTRIEUX_LABELS.index(label)
    return codes


def colour_table() -> np.ndarray:
    """(n_labels, 4) RGBT: an annotation names a vertex's label by its colour, so each differs."""
    i = np.arange(len(DESTRIEUX_LABELS))
    return np.stack([(i * 53) % 256, (i * 101) % 256, i, np.zeros_like(i)], axis=1)


def write_annot(path: str | Path, codes: np.ndarray) -> Path:
    """A FreeSurfer annotation of ``codes`` (indices into :data:`DESTRIEUX_LABELS`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.freesurfer.write_annot(str(path), np.asarray(codes, dtype=np.int32), colour_table(),
                               list(DESTRIEUX_LABELS), fill_ctab=True)
    return path


def write_atlas(root: str | Path, level: int) -> dict:
    """Both hemispheres in both formats under ``root`` (paths: :data:`FILES`); a summary."""
    root = Path(root)
    names = dict(enumerate(DESTRIEUX_LABELS))
    for hemi, (side, fshemi) in _HEMIS.items():
        codes = destrieux_like(hemi, level)
        write_annot(root / FILES["annot"].format(fshemi=fshemi), codes)
        write_label_gifti(root / FILES["gifti"].format(hemi=hemi), codes, names, hemi=side)
    return {"level": level, "vertices_per_hemisphere": len(codes),
            "labels": len(DESTRIEUX_LABELS)}
