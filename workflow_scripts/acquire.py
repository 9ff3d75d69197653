"""Clone a dataset with DataLad, get the selected files, write the manifest."""

from pathlib import Path

from brainlike.acquire import acquire
from brainlike.io.atomic import write_json
from brainlike.preprocess.participants import check_columns
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    manifest = acquire(snakemake.params.source, snakemake.output.clone,  # noqa: F821
                       list(snakemake.params.paths), snakemake.params.version or None)  # noqa: F821
    if snakemake.params.columns:  # noqa: F821
        check_columns(Path(snakemake.output.clone) / "participants.tsv",  # noqa: F821
                      snakemake.params.columns)  # noqa: F821
    write_json(snakemake.output.manifest, manifest)  # noqa: F821
    log.info("acquired %d files at commit %s", len(manifest["files"]), manifest["commit"])
