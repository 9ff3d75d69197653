"""results/provenance.json: every result's provenance sidecar in one file."""

from brainlike.provenance import collect
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    table = collect(snakemake.input, snakemake.output[0])  # noqa: F821
    commits = {d["commit"] for rec in table.values() for d in rec["datasets"]}
    log.info("%d results from %d dataset commits", len(table), len(commits))
