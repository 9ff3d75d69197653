"""One subject's brain scores for one model (or baseline): every layer, vertex and ROI."""

import os

# Spinning OpenMP threads starve each other when jobs share cores; set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import re

import pyarrow as pa

from brainlike.features.store import feature_info
from brainlike.io.schemas import read_table, write_table
from brainlike.scores.brainscore import ScoreSpec, score_subject
from brainlike.scores.design import load_subject
from brainlike.workflow import logged, use_threads

TASK = re.compile(r"_task-([A-Za-z0-9]+)\.parquet$")

with logged(snakemake.log[0]) as log:  # noqa: F821
    use_threads(snakemake.threads)  # noqa: F821
    w = snakemake.wildcards  # noqa: F821
    runs = {TASK.search(p).group(1): p for p in snakemake.input.responses}  # noqa: F821
    features = dict(zip(runs, snakemake.input.features))  # noqa: F821
    data = load_subject(runs)
    vertices = read_table(snakemake.input.vertices, "vertices/1").to_pandas()  # noqa: F821
    roi_names = vertices.set_index("vertex").loc[data.vertices, "roi_name"].to_numpy()
    layers = list(feature_info(next(iter(features.values())))["layers"])
    scores, rois = score_subject(data, features, layers, roi_names,
                                 ScoreSpec.from_dict(snakemake.params.spec),  # noqa: F821
                                 seed=snakemake.params.seed)  # noqa: F821
    for frame in (scores, rois):
        frame.insert(0, "subject", w.subject)
        frame.insert(0, "model", w.model)
    write_table(pa.Table.from_pandas(scores, preserve_index=False), snakemake.output.scores,  # noqa: F821
                "brainscores/1")
    write_table(pa.Table.from_pandas(rois, preserve_index=False), snakemake.output.rois,  # noqa: F821
                "roiscores/1")
    best = rois.loc[rois.groupby("roi")["mean_r"].idxmax()]
    for row in best.itertuples():
        log.info("%s %s: best layer %s r=%.3f p=%.3g", w.model, row.roi, row.layer,
                 row.mean_r, row.p_value)
