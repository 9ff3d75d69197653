"""Generate the Narratives-like listening dataset and publish it as a DataLad dataset."""

from brainlike.config import ListeningDataset
from brainlike.generate.publish import publish
from brainlike.generate.narratives import build_listening_dataset
from brainlike.workflow import logged

with logged(snakemake.log[0]):  # noqa: F821
    ds = ListeningDataset.from_config(snakemake.wildcards.dataset, snakemake.params.spec)  # noqa: F821
    publish(ds.source, snakemake.output.record,  # noqa: F821
            lambda root: build_listening_dataset(ds, snakemake.params.seed, root))  # noqa: F821
