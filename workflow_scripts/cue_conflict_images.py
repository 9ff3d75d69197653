"""The cue-conflict images of the default movie world, shown to every vision model."""

from brainlike.probes.cue_conflict import write_images
from brainlike.simulate.movies import MovieWorld, cue_conflict_images
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    spec, seed = snakemake.params.spec, snakemake.params.seed  # noqa: F821
    images = cue_conflict_images(MovieWorld(), spec.cue_conflict, seed)
    write_images(snakemake.output[0], images)  # noqa: F821
    log.info("%d cue-conflict images (%d conflicting), %d per shape-texture pair",
             len(images["images"]), int(images["conflict"].sum()), spec.cue_conflict)
