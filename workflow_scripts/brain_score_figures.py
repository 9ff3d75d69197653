"""Layer profiles, best layer per ROI and models per ROI from a dataset's summary."""

from brainlike.figures.brainscores import best_layer_figure, layer_profiles, models_by_roi
from brainlike.io.schemas import read_table
from brainlike.provenance import stamp
from brainlike.workflow import logged

with logged(snakemake.log[0]):  # noqa: F821
    summary = read_table(snakemake.input.summary, "summary/1").to_pandas()  # noqa: F821
    models = list(snakemake.params.models)  # noqa: F821
    layer_profiles(summary, models, snakemake.output.profiles)  # noqa: F821
    best_layer_figure(summary, models, snakemake.output.best)  # noqa: F821
    models_by_roi(summary, snakemake.output.models)  # noqa: F821
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
