"""Loss and accuracy against step for every selected model (untrained controls skipped)."""

from brainlike.figures.comparisons import training_curves
from brainlike.io.schemas import read_table
from brainlike.provenance import stamp
from brainlike.workflow import logged

with logged(snakemake.log[0]):  # noqa: F821
    logs = {model: read_table(path, "traininglog/1").to_pandas()
            for model, path in zip(snakemake.params.models, snakemake.input.logs)}  # noqa: F821
    training_curves(logs, snakemake.output[0])  # noqa: F821
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
