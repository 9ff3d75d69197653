"""One model's (or baseline's) brain scores for every listener: every layer, vertex and ROI."""

import os

# Spinning OpenMP threads starve each other when jobs share cores; set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from brainlike.io.schemas import read_table, table_writer
from brainlike.provenance import stamp
from brainlike.scores.dataset_scores import score_listeners
from brainlike.workflow import logged, use_threads

with logged(snakemake.log[0]):  # noqa: F821
    use_threads(snakemake.threads)  # noqa: F821
    runs = snakemake.params.runs  # noqa: F821  (subject -> task -> responses/1 file)
    features = snakemake.params.features  # noqa: F821  (task -> features/1 file)
    vertices = read_table(snakemake.input.vertices, "vertices/1").to_pandas()  # noqa: F821
    with (table_writer(snakemake.output.scores, "brainscores/1") as scores,  # noqa: F821
          table_writer(snakemake.output.rois, "roiscores/1") as rois):  # noqa: F821
        score_listeners(snakemake.wildcards.model, runs, features,  # noqa: F821
                        vertices.set_index("vertex")["roi_name"], snakemake.params.spec,  # noqa: F821
                        snakemake.params.seed, scores, rois)  # noqa: F821
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
