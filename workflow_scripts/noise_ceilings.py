"""Every subject's per-vertex noise ceiling for one dataset."""

import pyarrow as pa

from brainlike.io.schemas import write_table
from brainlike.preprocess.participants import listener_attribute
from brainlike.provenance import stamp
from brainlike.scores.ceilings_table import dataset_ceilings
from brainlike.workflow import logged, use_threads

with logged(snakemake.log[0]) as log:  # noqa: F821
    use_threads(snakemake.threads)  # noqa: F821
    spec = snakemake.params.spec  # noqa: F821
    runs = snakemake.params.runs  # noqa: F821  (subject -> task -> responses/1 file)
    groups = None
    if spec.ceiling_group:
        groups = listener_attribute(snakemake.params.dataset, snakemake.params.root,  # noqa: F821
                                    spec.ceiling_group)
    table = dataset_ceilings(runs, spec.ceiling, groups, seed=snakemake.params.seed)  # noqa: F821
    write_table(pa.Table.from_pandas(table, preserve_index=False), snakemake.output[0],  # noqa: F821
                "ceilings/1")
    log.info("ceilings (%s): median %.3f over %d subject-vertices", spec.ceiling,
             table["ceiling"].median(), len(table))
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
