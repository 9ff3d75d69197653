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


rule all:
    input:
        all_targets,
    default_target: True


# Acquisition and conversion only: `snakemake --cores all data`.
rule data:
    input:
        data_targets,
