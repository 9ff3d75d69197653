# The vision rules' wildcard choices and one-line input functions (rules/vision.smk).

VIEWING = PLAN.modality_wildcard("viewing")
VIDEO_CORPORA = PLAN.modality_wildcard("video_corpora")


def viewing_dataset(wildcards):
    return PLAN.viewing[wildcards.dataset]


def video_corpus(wildcards):
    return PLAN.video_corpora[wildcards.corpus]


def viewing_inputs(wildcards):
    return PLAN.viewing_inputs(wildcards.dataset)


def vision_feature_inputs(wildcards):
    return PLAN.vision_feature_inputs(wildcards.dataset, wildcards.model)


def vision_feature_file(wildcards):
    return PLAN.vision_feature_file(wildcards.dataset, wildcards.model)


def vision_score_inputs(wildcards):
    return PLAN.vision_score_inputs(wildcards.dataset, wildcards.model)


def vision_ceiling_inputs(wildcards):
    return PLAN.vision_ceiling_inputs(wildcards.dataset)


def vision_summary_inputs(wildcards):
    return PLAN.vision_summary_inputs(wildcards.dataset)


def shape_bias_inputs(wildcards):
    return PLAN.shape_bias_inputs(wildcards.model)


def vision_sources(wildcards):
    return PLAN.sources(wildcards.get("dataset"), PLAN.vision_scored)
