"""Self-supervised models against their controls, and native vs non-native training language."""

from brainlike.figures.comparisons import (
    controls_figure,
    model_roles,
    native_figure,
    subject_languages,
)
from brainlike.io.atomic import atomic_path
from brainlike.io.schemas import read_table
from brainlike.provenance import stamp
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    summary = read_table(snakemake.input.summary, "summary/1").to_pandas()  # noqa: F821
    roles = model_roles(snakemake.params.roster)  # noqa: F821
    languages = subject_languages(snakemake.params.dataset, snakemake.params.root)  # noqa: F821
    log.info("native languages: %s", languages or "none in participants.tsv")
    controls_figure(summary, roles, snakemake.output.controls)  # noqa: F821
    table = native_figure(summary, roles, languages, snakemake.output.native)  # noqa: F821
    with atomic_path(snakemake.output.table) as tmp:  # noqa: F821
        table.to_parquet(tmp, index=False)
    log.info("native table: %d rows, %d native", len(table), int(table["native"].sum()))
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
