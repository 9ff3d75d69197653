"""Generate the video training corpus and publish it as a DataLad dataset."""

from brainlike.simulate.publish import publish
from brainlike.simulate.video_corpus import build_video_corpus
from brainlike.workflow import logged

with logged(snakemake.log[0]):  # noqa: F821
    corpus = snakemake.params.corpus  # noqa: F821
    publish(corpus.source, snakemake.output.record,  # noqa: F821
            lambda root: build_video_corpus(corpus, snakemake.params.seed, root))  # noqa: F821
