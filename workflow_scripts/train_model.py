"""Build a model from its plan entry and train it (or keep its random initialisation)."""

import os

# Spinning OpenMP threads starve each other when jobs share cores; set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from pathlib import Path

import pandas as pd
import pyarrow as pa
import torch

from brainlike.device import pick_device
from brainlike.io.atomic import write_json
from brainlike.io.schemas import write_table
from brainlike.models import checkpoint
from brainlike.training.run import train_model
from brainlike.workflow import logged, use_threads

with logged(snakemake.log[0]) as log:  # noqa: F821
    use_threads(snakemake.threads)  # noqa: F821
    spec = snakemake.params.spec  # noqa: F821  (brainlike.plan.specs.ModelSpec)
    if spec.training is None:
        torch.manual_seed(spec.seed)
        model = checkpoint.from_preset(spec.family, spec.preset)
        rows, extra = [], {}
    else:
        teacher = snakemake.input.get("teacher")  # noqa: F821
        model, rows, extra = train_model(spec, [Path(p) for p in snakemake.input.corpus],  # noqa: F821
                                         Path(snakemake.params.state), pick_device(),  # noqa: F821
                                         Path(teacher) if teacher else None)
    checkpoint.save(snakemake.output.model, model.cpu(), spec.family,  # noqa: F821
                    {"spec": spec.to_dict(), "trained": spec.trained, **extra})
    long = pd.DataFrame([{"step": r["step"], "term": k, "value": float(v)}
                         for r in rows for k, v in r.items() if k != "step"],
                        columns=["step", "term", "value"])
    write_table(pa.Table.from_pandas(long, preserve_index=False), snakemake.output.log,  # noqa: F821
                "traininglog/1")
    write_json(snakemake.output.heldout,  # noqa: F821
               {"model": spec.name, "trained": spec.trained,
                "objective": spec.training.objective if spec.training else None,
                "checks": extra.get("heldout", {})})
    log.info("%s: %d parameters, %d training steps", spec.name,
             sum(p.numel() for p in model.parameters()), rows[-1]["step"] if rows else 0)
