"""The tidy subject x model x layer x ROI summary of a dataset."""

import pyarrow as pa

from brainlike.io.schemas import read_table, write_table
from brainlike.provenance import stamp
from brainlike.scores.summary import subject_rows, summarise
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    spec = snakemake.params.spec  # noqa: F821
    vertices = read_table(snakemake.input.vertices, "vertices/1").to_pandas()  # noqa: F821
    ceilings = read_table(snakemake.input.ceilings, "ceilings/1").to_pandas()  # noqa: F821
    rows = []
    for scores_path, rois_path in zip(snakemake.input.scores, snakemake.input.rois):  # noqa: F821
        scores = read_table(scores_path, "brainscores/1").to_pandas()
        rois = read_table(rois_path, "roiscores/1").to_pandas()
        for (model, subject), frame in scores.groupby(["model", "subject"], sort=False):
            theirs = rois[rois["subject"] == subject]
            rows.append(subject_rows(frame, theirs[["layer", "roi", "p_value"]],
                                     ceilings[ceilings["subject"] == subject], vertices,
                                     spec.ceiling_floor).assign(model=model, subject=subject))
    table = summarise(snakemake.wildcards.dataset, rows, spec.fdr_q)  # noqa: F821
    write_table(pa.Table.from_pandas(table, preserve_index=False), snakemake.output[0],  # noqa: F821
                "summary/1")
    log.info("%d summary rows", len(table))
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
