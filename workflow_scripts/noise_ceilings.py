"""Every subject's per-vertex noise ceiling for one dataset."""

import re
from pathlib import Path

import pyarrow as pa

from brainlike.io.schemas import write_table
from brainlike.preprocess.participants import participant_column
from brainlike.scores.ceilings_table import dataset_ceilings
from brainlike.workflow import logged, use_threads

RUN = re.compile(r"(sub-[A-Za-z0-9]+)_task-([A-Za-z0-9]+)\.parquet$")

with logged(snakemake.log[0]) as log:  # noqa: F821
    use_threads(snakemake.threads)  # noqa: F821
    spec = snakemake.params.spec  # noqa: F821
    runs: dict[str, dict[str, str]] = {}
    for path in snakemake.input.responses:  # noqa: F821
        subject, task = RUN.search(path).groups()
        runs.setdefault(subject, {})[task] = path
    groups = None
    if spec["ceiling_group"]:
        raw = Path(snakemake.input.manifest.removesuffix(".manifest.json"))  # noqa: F821
        groups = participant_column(raw / "participants.tsv", spec["ceiling_group"])
    table = dataset_ceilings(runs, spec["ceiling"], groups, seed=snakemake.params.seed)  # noqa: F821
    write_table(pa.Table.from_pandas(table, preserve_index=False), snakemake.output[0],  # noqa: F821
                "ceilings/1")
    log.info("ceilings (%s): median %.3f over %d subject-vertices", spec["ceiling"],
             table["ceiling"].median(), len(table))
