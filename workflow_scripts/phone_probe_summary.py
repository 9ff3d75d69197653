"""Which layer of each model is most phonetic, and did training put it there?"""

import pandas as pd
import pyarrow as pa

from brainlike.io.schemas import PROBESUMMARY, read_table, write_table
from brainlike.probes.summary import probe_summary
from brainlike.provenance import stamp
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    probes = pd.concat([read_table(p, "probe/1").to_pandas()
                        for p in snakemake.input], ignore_index=True)  # noqa: F821
    controls = {m: e.control for m, e in snakemake.params.roster.items()}  # noqa: F821
    summary = probe_summary(probes, controls)
    write_table(pa.Table.from_pandas(summary, schema=PROBESUMMARY, preserve_index=False),
                snakemake.output[0], "probesummary/1")  # noqa: F821
    for row in summary.itertuples():
        versus = (f"; vs {row.control} {row.control_accuracy:.3f} ({row.over_control:+.3f}, "
                  f"{row.folds_over_control}/{row.n_folds} folds)" if row.control else "")
        log.info("%s: best %s %.3f (first layer %s %.3f, %+.3f, %d/%d folds)%s -> %s",
                 row.model, row.best_layer, row.accuracy, row.first_layer, row.first_accuracy,
                 row.over_first, row.folds_over_first, row.n_folds, versus,
                 "passes" if row.passes else "does not pass" if row.control else "control")
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
