"""Every cell's split-half ceiling and every area's RDM ceiling for one viewing dataset."""

from brainlike.provenance import stamp
from brainlike.scores.vision_ceilings import vision_ceilings
from brainlike.scores.vision_data import load_responses, write_parquet
from brainlike.workflow import logged, use_threads

with logged(snakemake.log[0]) as log:  # noqa: F821
    use_threads(snakemake.threads)  # noqa: F821
    spec = snakemake.params.spec  # noqa: F821
    cells, responses = load_responses(snakemake.input.cells, snakemake.input.sessions,  # noqa: F821
                                      spec.bin_frames)
    table = vision_ceilings(cells, responses, spec.rdm_splits, snakemake.params.seed)  # noqa: F821
    write_parquet(table, snakemake.output[0])  # noqa: F821
    cell_rows = table[table["kind"] == "cell"]
    log.info("ceilings of %d cells (median %.3f, %d above the floor %.2f) on %d bins x %d "
             "repeats", len(cell_rows), cell_rows["ceiling"].median(),
             int((cell_rows["ceiling"] > spec.ceiling_floor).sum()), spec.ceiling_floor,
             responses.shape[1], responses.shape[0])
    for row in table[table["kind"] == "area"].itertuples():
        log.info("RDM ceiling %s: %.3f", row.area, row.ceiling)
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
