"""Generate the viewing (two-photon) dataset and publish it as a DataLad dataset."""

from brainlike.simulate.publish import publish
from brainlike.simulate.viewing import build_viewing
from brainlike.workflow import logged

with logged(snakemake.log[0]):  # noqa: F821
    ds = snakemake.params.dataset  # noqa: F821
    publish(ds.source, snakemake.output.record,  # noqa: F821
            lambda root: build_viewing(ds, snakemake.params.seed, root))  # noqa: F821
