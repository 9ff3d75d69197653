"""Build a model from its config; train it when the config has a training recipe."""

import torch

from brainlike.models import checkpoint
from brainlike.models.wav2vec2 import Wav2Vec2Config
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    spec = snakemake.params.spec  # noqa: F821
    if spec.get("training") is not None:
        raise NotImplementedError("training recipes arrive with the training stage")
    torch.manual_seed(spec["seed"])
    model = checkpoint.build(spec["family"], Wav2Vec2Config.preset(spec["preset"]))
    checkpoint.save(snakemake.output.model, model, spec["family"],  # noqa: F821
                    {"seed": spec["seed"], "preset": spec["preset"], "trained": False})
    log.info("%s: random initialisation, %d parameters", snakemake.wildcards.model,  # noqa: F821
             sum(p.numel() for p in model.parameters()))
