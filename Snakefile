# brainlike: how brain-like are self-supervised models?
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/simulate.smk"
include: "rules/acquire.smk"
include: "rules/preprocess.smk"
include: "rules/train.smk"
include: "rules/pretrained.smk"
include: "rules/features.smk"
include: "rules/scores.smk"
include: "rules/figures.smk"
include: "rules/probes.smk"
include: "rules/forecast.smk"
include: "rules/vision_inputs.smk"
include: "rules/vision.smk"


# Light jobs run where snakemake runs, not through a cluster queue; acquisition needs the
# internet, which compute nodes often lack.
localrules:
    all,
    data,
    acquire,
    summary,
    brain_score_figures,
    comparison_figures,
    training_curve_figure,
    phone_probe_figure,
    phone_probe_summary,
    forecast_gains,
    forecast_figure,
    provenance,
    vision_figures,
    shape_bias_table,
    cue_conflict_images,


rule all:
    input:
        all_targets,
    default_target: True


# Acquisition and conversion only: `snakemake --cores all data`.
rule data:
    input:
        data_targets,
