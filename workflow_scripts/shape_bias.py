"""The cue-conflict shape bias of every layer of one vision model."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads; see train_model.py

from brainlike.device import pick_device
from brainlike.features.vision import load_vision_model
from brainlike.probes.cue_conflict import (
    image_features,
    read_images,
    shape_bias_table,
    write_shape_bias,
)
from brainlike.provenance import stamp
from brainlike.workflow import logged, use_threads

with logged(snakemake.log[0]) as log:  # noqa: F821
    use_threads(snakemake.threads)  # noqa: F821
    name = snakemake.wildcards.model  # noqa: F821
    device = pick_device()
    model = load_vision_model(snakemake.input.model, device)  # noqa: F821
    images = read_images(snakemake.input.images)  # noqa: F821
    layers = image_features(model, images["images"], device)
    frame = shape_bias_table(name, layers, images, snakemake.params.seed)  # noqa: F821
    write_shape_bias(snakemake.output[0], frame)  # noqa: F821
    log.info("%s shape bias: %s", name,
             ", ".join(f"{r.layer} {r.shape_bias:.3f}" for r in frame.itertuples()))
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
