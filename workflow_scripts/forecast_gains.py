"""The gain of every forecast window per model, layer, listener and ROI, with group rows."""

from brainlike.io.atomic import atomic_path
from brainlike.io.schemas import read_table
from brainlike.provenance import stamp
from brainlike.scores.forecast_gains import forecast_table
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    vertices = read_table(snakemake.input.vertices, "vertices/1").to_pandas()  # noqa: F821
    ceilings = read_table(snakemake.input.ceilings, "ceilings/1").to_pandas()  # noqa: F821
    scores = {model: read_table(path, "brainscores/1").to_pandas()
              for model, path in zip(snakemake.params.models, snakemake.input.scores)}  # noqa: F821
    table = forecast_table(snakemake.wildcards.dataset, scores, snakemake.params.units,  # noqa: F821
                           ceilings, vertices, snakemake.params.spec.ceiling_floor,  # noqa: F821
                           snakemake.params.seed)  # noqa: F821
    with atomic_path(snakemake.output[0]) as tmp:  # noqa: F821
        table.to_parquet(tmp, index=False)
    group = table[(table["subject"] == "group") & table["gain"].notna()]
    for row in group.loc[group.groupby(["model", "roi"])["gain"].idxmax()].itertuples():
        log.info("%s %s: largest gain %+.4f (%s, %g %s ahead)", row.model, row.roi, row.gain,
                 row.layer, row.ahead, row.unit)
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
