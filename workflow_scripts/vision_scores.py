"""One vision model's (or baseline's) scores: every layer's per-cell ridge, per-area RSA and
CKA."""

import os

# Spinning OpenMP threads starve each other when jobs share cores; set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from brainlike.provenance import stamp
from brainlike.scores.vision_ceilings import rdm_ceilings_of, read_ceilings
from brainlike.scores.vision_data import load_responses, write_parquet
from brainlike.scores.vision_model_scores import read_model_features, score_model
from brainlike.workflow import logged, use_threads

with logged(snakemake.log[0]) as log:  # noqa: F821
    use_threads(snakemake.threads)  # noqa: F821
    spec, model = snakemake.params.spec, snakemake.wildcards.model  # noqa: F821
    cells, responses = load_responses(snakemake.input.cells, snakemake.input.sessions,  # noqa: F821
                                      spec.bin_frames)
    ceilings = rdm_ceilings_of(read_ceilings(snakemake.input.ceilings))  # noqa: F821
    layers = read_model_features(snakemake.input.features)  # noqa: F821
    scores, rois = score_model(model, layers, cells, responses, ceilings, spec,
                               snakemake.params.alphas, snakemake.params.seed)  # noqa: F821
    write_parquet(scores, snakemake.output.scores)  # noqa: F821
    write_parquet(rois, snakemake.output.rois)  # noqa: F821
    for row in rois.itertuples():
        log.info("%s %s %s: RSA %.3f (normalised %.3f), CKA %.3f, ridge %.3f", model,
                 row.layer, row.area, row.rsa_tau, row.rsa_normalised, row.cka,
                 row.ridge_normalised)
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
