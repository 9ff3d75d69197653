"""One video-corpus collection to sharded clips/1 Parquet with an index.json."""

from pathlib import Path

from brainlike.preprocess.clips import build_shards
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    w = snakemake.wildcards  # noqa: F821
    index = build_shards(snakemake.params.corpus, Path(snakemake.params.root), w.collection,  # noqa: F821
                         Path(snakemake.output[0]))  # noqa: F821
    log.info("%s/%s: %d clips (%d held out) in %d shards", w.corpus, w.collection,
             index["clips"], index["heldout_clips"], len(index["shards"]))
