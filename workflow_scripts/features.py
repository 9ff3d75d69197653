"""A model's (or baseline's) features for every story, every layer on the volume grid; with a
`forecast` param (the forecast_features rule), its chosen layers alone and with each window
ahead instead."""

import os

# Spinning OpenMP threads starve each other when jobs share cores; set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from pathlib import Path

from brainlike.device import pick_device
from brainlike.features.forecast_layers import forecast_frames
from brainlike.features.store import write_features
from brainlike.features.story import Stimulus, load_model, story_frames, volume_features
from brainlike.io.atomic import atomic_directory
from brainlike.workflow import logged, use_threads

with logged(snakemake.log[0]) as log:  # noqa: F821
    use_threads(snakemake.threads)  # noqa: F821
    name, spec, tr = snakemake.wildcards.model, snakemake.params.spec, snakemake.params.dataset.tr  # noqa: F821
    stories = [Stimulus.read(p) for p in snakemake.input.stories]  # noqa: F821
    device = pick_device()
    forecast = snakemake.params.get("forecast")  # noqa: F821
    model = None
    if "model" in snakemake.input.keys():  # noqa: F821
        model = load_model(snakemake.input.model, snakemake.params.model, device)  # noqa: F821
    with atomic_directory(snakemake.output[0]) as tmp:  # noqa: F821
        for story in stories:
            frames = (forecast_frames(name, model, story, spec, forecast, device) if forecast
                      else story_frames(name, story, stories, spec, model, device))
            layers = volume_features(frames, story.duration, tr, spec)
            write_features(tmp / Path(snakemake.params.files[story.story]).name, layers, tr,  # noqa: F821
                           {"model": name, "story": story.story, "rate": spec.rate,
                            "response": spec.response, "scaling": spec.scaling})
            log.info("%s %s: %d %s on %d volumes", name, story.story, len(layers),
                     "forecast feature sets" if forecast else "layers",
                     next(iter(layers.values())).shape[0])
