"""Probe every layer of one model for phone identity on the listening stories."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads; see train_model.py

import pandas as pd
import pyarrow as pa

from brainlike.io.schemas import PROBE, write_table
from brainlike.models import checkpoint
from brainlike.probes.phones import probe_model, read_utterances
from brainlike.provenance import stamp
from brainlike.workflow import logged, use_threads

with logged(snakemake.log[0]) as log:  # noqa: F821
    use_threads(snakemake.threads)  # noqa: F821
    model, _ = checkpoint.load(snakemake.input.model)  # noqa: F821
    utterances = read_utterances(list(snakemake.input.stimuli))  # noqa: F821
    spec = snakemake.params.spec  # noqa: F821
    rows = probe_model(model, utterances, n_folds=spec.n_folds, min_count=spec.min_frames)
    frame = pd.DataFrame([{"model": snakemake.wildcards.model, **r} for r in rows])  # noqa: F821
    write_table(pa.Table.from_pandas(frame, schema=PROBE, preserve_index=False),
                snakemake.output[0], "probe/1")  # noqa: F821
    means = frame.groupby("layer", sort=False)["accuracy"].mean()
    log.info("%s phone probe (chance %.3f): %s", snakemake.wildcards.model,  # noqa: F821
             frame["chance"].mean(), ", ".join(f"{k} {v:.3f}" for k, v in means.items()))
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
