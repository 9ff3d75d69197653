"""Clone a dataset with DataLad, get the selected files, write the manifest."""

from brainlike.acquire import acquire
from brainlike.io.atomic import write_json
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    manifest = acquire(snakemake.params.source, snakemake.output.clone,  # noqa: F821
                       list(snakemake.params.paths))  # noqa: F821
    write_json(snakemake.output.manifest, manifest)  # noqa: F821
    log.info("acquired %d files at commit %s", len(manifest["files"]), manifest["commit"])
