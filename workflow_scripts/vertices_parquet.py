"""The dataset's vertex table (hemisphere, ROI from its labels or its atlas) to vertices/1."""

from pathlib import Path

from brainlike.preprocess import listening
from brainlike.workflow import logged

with logged(snakemake.log[0]):  # noqa: F821
    ds = snakemake.params.dataset  # noqa: F821
    atlas, atlas_root = snakemake.params.atlas, snakemake.params.atlas_root  # noqa: F821
    listening.vertex_table(ds, Path(snakemake.params.root), Path(snakemake.output[0]),  # noqa: F821
                           atlas=atlas, atlas_root=Path(atlas_root) if atlas_root else None)
