"""A viewing dataset's headline table (best model, pathway and layer per area) and pathway
specialisation."""

import pandas as pd

from brainlike.provenance import stamp
from brainlike.scores.vision_ceilings import read_ceilings
from brainlike.scores.vision_data import (
    CELL_COLUMNS,
    ROI_COLUMNS,
    SCORE_COLUMNS,
    read_parquet,
    write_parquet,
)
from brainlike.scores.vision_summary import headline, pathway_specialisation
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    spec, seed = snakemake.params.spec, snakemake.params.seed  # noqa: F821
    families = dict(snakemake.params.families)  # noqa: F821
    scores = pd.concat([read_parquet(p, SCORE_COLUMNS) for p in snakemake.input.scores],  # noqa: F821
                       ignore_index=True)
    rois = pd.concat([read_parquet(p, ROI_COLUMNS) for p in snakemake.input.rois],  # noqa: F821
                     ignore_index=True)
    ceilings = read_ceilings(snakemake.input.ceilings)  # noqa: F821
    cells = read_parquet(snakemake.input.cells, CELL_COLUMNS)  # noqa: F821
    table = headline(scores, rois, ceilings, cells, families, snakemake.params.roster,  # noqa: F821
                     spec, seed)
    special = pathway_specialisation(scores, rois, families, spec, seed,
                                     snakemake.params.seeds)  # noqa: F821
    write_parquet(table, snakemake.output.summary)  # noqa: F821
    write_parquet(special, snakemake.output.specialisation)  # noqa: F821
    for row in table[table["best_rsa"] | table["best_ridge"]].itertuples():
        log.info("%s: best %s %s (pathway %r) RSA %.3f / %s ridge %.3f", row.area,
                 row.model, row.rsa_layer, row.rsa_pathway, row.rsa_normalised,
                 row.ridge_layer, row.ridge_normalised)
    for row in special.itertuples():
        log.info("specialisation (%s) %s pathway %s: %.3f", row.method, row.model,
                 row.pathway, row.value)
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
