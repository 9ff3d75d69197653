"""Phone-probe accuracy per layer, one line per model."""

import pandas as pd

from brainlike.figures.probes import probe_profiles
from brainlike.io.schemas import read_table
from brainlike.provenance import stamp
from brainlike.workflow import logged

with logged(snakemake.log[0]):  # noqa: F821
    frames = [read_table(p, "probe/1").to_pandas() for p in snakemake.input]  # noqa: F821
    probe_profiles(pd.concat(frames, ignore_index=True), snakemake.output[0])  # noqa: F821
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
