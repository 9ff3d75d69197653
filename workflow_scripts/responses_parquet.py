"""One listener's runs (both hemispheres each) to responses/1 Parquet, checked and cleaned."""

from pathlib import Path

from brainlike.io.atomic import atomic_directory
from brainlike.preprocess import listening
from brainlike.workflow import logged

with logged(snakemake.log[0]):  # noqa: F821
    ds, root = snakemake.params.dataset, Path(snakemake.params.root)  # noqa: F821
    with atomic_directory(snakemake.output[0]) as tmp:  # noqa: F821
        for task, path in snakemake.params.files.items():  # noqa: F821
            listening.run(ds, root, snakemake.wildcards.subject, task,  # noqa: F821
                          Path(snakemake.input.vertices), tmp / Path(path).name)  # noqa: F821
