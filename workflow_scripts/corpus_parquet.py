"""One corpus collection to sharded utterance/1 Parquet with an index.json."""

from pathlib import Path

from brainlike.preprocess.corpus import build_shards
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    w = snakemake.wildcards  # noqa: F821
    corpus = snakemake.params.corpus  # noqa: F821
    index = build_shards(corpus, Path(snakemake.params.root), w.collection,
                         Path(snakemake.output[0]))  # noqa: F821
    log.info("%s/%s: %.1f min in %d shards", w.corpus, w.collection, index["seconds"] / 60,
             len(index["shards"]))
