"""One subject's run (both hemispheres) to responses/1 Parquet, checked and cleaned."""

from pathlib import Path

from brainlike.config import ListeningDataset
from brainlike.preprocess import listening
from brainlike.workflow import logged

with logged(snakemake.log[0]):  # noqa: F821
    w = snakemake.wildcards  # noqa: F821
    ds = ListeningDataset.from_config(w.dataset, snakemake.params.spec)  # noqa: F821
    listening.run(ds, Path(snakemake.params.root), w.subject, w.task,
                  Path(snakemake.input.vertices), Path(snakemake.output[0]))  # noqa: F821
