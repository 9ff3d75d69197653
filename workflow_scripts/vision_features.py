"""A vision model's (or baseline's) layers on the movie, binned onto the cells' time grid:
one features/1 file in the job's output directory."""

import os

# Spinning OpenMP threads starve each other when jobs share cores; set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from pathlib import Path

from brainlike.device import pick_device
from brainlike.features.store import write_features
from brainlike.features.vision import load_vision_model, movie_features, read_movie
from brainlike.io.atomic import atomic_directory
from brainlike.workflow import logged, use_threads

with logged(snakemake.log[0]) as log:  # noqa: F821
    use_threads(snakemake.threads)  # noqa: F821
    name, spec = snakemake.wildcards.model, snakemake.params.spec  # noqa: F821
    movie = read_movie(snakemake.input.movie)  # noqa: F821
    device = pick_device()
    model = None
    # keys(): `in` on Snakemake's input (a list) would test the file names, not the keys.
    if "model" in snakemake.input.keys():  # noqa: F821, SIM118
        model = load_vision_model(snakemake.input.model, device)  # noqa: F821
    layers = movie_features(name, model, movie, spec, device)
    tr = spec.bin_frames / movie.fps
    with atomic_directory(snakemake.output[0]) as tmp:  # noqa: F821
        write_features(tmp / Path(snakemake.params.file).name, layers, tr,  # noqa: F821
                       {"model": name, "movie": Path(snakemake.input.movie).stem,  # noqa: F821
                        "bin_frames": spec.bin_frames, "fps": movie.fps})
    log.info("%s on %s: %d layers on %d bins of %d frames (%.3f s)", name,
             Path(snakemake.input.movie).stem, len(layers),  # noqa: F821
             next(iter(layers.values())).shape[0], spec.bin_frames, tr)
