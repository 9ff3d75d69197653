"""Generate the speech/non-speech training corpus and publish it as a DataLad dataset."""

from brainlike.simulate.corpus import build_corpus
from brainlike.simulate.publish import publish
from brainlike.workflow import logged

with logged(snakemake.log[0]):  # noqa: F821
    corpus = snakemake.params.corpus  # noqa: F821
    publish(corpus.source, snakemake.output.record,  # noqa: F821
            lambda root: build_corpus(corpus, snakemake.params.seed, root))  # noqa: F821
