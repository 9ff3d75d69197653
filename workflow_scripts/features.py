"""One story's features for one model or baseline, every layer on the volume grid."""

import os

# Spinning OpenMP threads starve each other when jobs share cores; set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from brainlike.device import pick_device
from brainlike.features.store import write_features
from brainlike.features.story import Stimulus, story_frames, volume_features
from brainlike.models import checkpoint
from brainlike.workflow import logged, use_threads

with logged(snakemake.log[0]) as log:  # noqa: F821
    use_threads(snakemake.threads)  # noqa: F821
    spec, tr = snakemake.params.spec, snakemake.params.dataset.tr  # noqa: F821
    stimulus = Stimulus.read(snakemake.input.stimulus)  # noqa: F821
    stories = [Stimulus.read(p) for p in snakemake.input.stories]  # noqa: F821
    device = pick_device()
    model = None
    if "model" in snakemake.input.keys():  # noqa: F821
        model, _ = checkpoint.load(snakemake.input.model, map_location=device)  # noqa: F821
    frames = story_frames(snakemake.wildcards.model, stimulus, stories, spec, model, device)  # noqa: F821
    layers = volume_features(frames, stimulus.duration, tr, spec)
    write_features(snakemake.output[0], layers, tr,  # noqa: F821
                   {"model": snakemake.wildcards.model, "task": stimulus.task,  # noqa: F821
                    "rate": spec.rate, "response": spec.response, "scaling": spec.scaling})
    log.info("%s %s: %d layers on %d volumes", snakemake.wildcards.model, stimulus.task,  # noqa: F821
             len(layers), next(iter(layers.values())).shape[0])
