"""The forecast figure: the gain of each window against its distance ahead, per ROI."""

import pandas as pd

from brainlike.figures.forecast import forecast_figure
from brainlike.provenance import stamp
from brainlike.workflow import logged

with logged(snakemake.log[0]):  # noqa: F821
    forecast_figure(pd.read_parquet(snakemake.input[0]), snakemake.output[0])  # noqa: F821
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
