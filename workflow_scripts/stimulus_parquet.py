"""A story's audio (16 kHz) and alignment to utterance/1 Parquet."""

from pathlib import Path

from brainlike.preprocess import listening
from brainlike.workflow import logged

with logged(snakemake.log[0]):  # noqa: F821
    w = snakemake.wildcards  # noqa: F821
    ds = snakemake.params.dataset  # noqa: F821
    listening.stimulus(ds, Path(snakemake.params.root), w.story, Path(snakemake.output[0]))  # noqa: F821
