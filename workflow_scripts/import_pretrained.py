"""Import a published checkpoint into our format: models/<model>/model.pt, an empty training
log, and heldout.json recording where it came from."""

import os

# Spinning OpenMP threads starve each other when jobs share cores; set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import json
from pathlib import Path

from brainlike.io.atomic import write_json
from brainlike.io.schemas import TRAININGLOG, write_table
from brainlike.models import checkpoint
from brainlike.models.import_pretrained import HUB_RECORD, import_pretrained
from brainlike.workflow import logged, use_threads

with logged(snakemake.log[0]) as log:  # noqa: F821
    use_threads(snakemake.threads)  # noqa: F821
    spec = snakemake.params.spec  # noqa: F821  (brainlike.plan.specs.ModelSpec)
    p = spec.pretrained
    source = Path(snakemake.input.source)  # noqa: F821
    model, provenance = import_pretrained(source, p.format, p.normalize)
    hub = source / HUB_RECORD
    if hub.is_file():
        provenance["hub"] = json.loads(hub.read_text())
    checkpoint.save(snakemake.output.model, model, "pretrained",  # noqa: F821
                    {"spec": spec.to_dict(), "trained": False, "pretrained": provenance})
    write_table(TRAININGLOG.empty_table(), snakemake.output.log, "traininglog/1")  # noqa: F821
    write_json(snakemake.output.heldout,  # noqa: F821
               {"model": spec.name, "trained": False, "objective": None, "checks": {},
                "pretrained": provenance})
    log.info("%s: %s imported from %s (%d layers, %d parameters, normalize=%s from %s)",
             spec.name, provenance["model_type"], p.source, len(model.layer_names),
             sum(x.numel() for x in model.parameters()), model.config.normalize,
             provenance["normalize_from"])
