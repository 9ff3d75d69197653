"""Download a published checkpoint from the Hugging Face hub (configs + one set of weights)."""

from brainlike.models.import_pretrained import fetch_hub
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    p = snakemake.params.spec.pretrained  # noqa: F821  (brainlike.plan.specs.PretrainedSpec)
    record = fetch_hub(p.hub, p.revision, snakemake.output[0])  # noqa: F821
    log.info("%s: commit %s", p.hub, record["commit"])
