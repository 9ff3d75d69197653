"""Generate the speech/non-speech training corpus and publish it as a DataLad dataset."""

from brainlike.config import Corpus
from brainlike.generate.corpus import build_corpus
from brainlike.generate.publish import publish
from brainlike.workflow import logged

with logged(snakemake.log[0]):  # noqa: F821
    corpus = Corpus.from_config(snakemake.wildcards.corpus, snakemake.params.spec)  # noqa: F821
    publish(corpus.source, snakemake.output.record,  # noqa: F821
            lambda root: build_corpus(corpus, snakemake.params.seed, root))  # noqa: F821
