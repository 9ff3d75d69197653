"""Every vision model's cue-conflict shape bias: one table (all layers, the best marked) and a
bar figure of the best layers."""

from brainlike.figures.vision import shape_bias_figure
from brainlike.probes.shape_bias_summary import SHAPE_BIAS_COLUMNS, shape_bias_summary
from brainlike.provenance import stamp
from brainlike.scores.vision_data import read_parquet, write_parquet
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    tables = [read_parquet(p, SHAPE_BIAS_COLUMNS) for p in snakemake.input]  # noqa: F821
    table = shape_bias_summary(tables, snakemake.params.roster)  # noqa: F821
    write_parquet(table, snakemake.output.table)  # noqa: F821
    shape_bias_figure(table, snakemake.output.figure)  # noqa: F821
    for row in table[table["best"]].itertuples():
        log.info("%s: shape bias %.3f at %s (read-out accuracy %.3f)", row.model,
                 row.shape_bias, row.layer, row.train_accuracy)
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
