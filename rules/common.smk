# Validation, the plan, wildcard constraints and one-line input functions. Logic, defaults and
# path patterns live in brainlike.plan (docs/architecture.md).
from snakemake.utils import validate

from brainlike.plan import SCHEMA_PATH, Plan
from brainlike.plan import paths as P
from brainlike.plan.paths import WILDCARDS


validate(config, schema=str(SCHEMA_PATH))
PLAN = Plan.from_config(config)


wildcard_constraints:
    **WILDCARDS,


def settings(*parts):
    """A params entry that reruns a rule's jobs when the named settings change."""

    def of(wildcards):
        return PLAN.settings(parts, wildcards)

    return of


def all_targets(wildcards):
    return PLAN.all_targets()


def data_targets(wildcards):
    return PLAN.data_targets()


def simulated_source(wildcards):
    return PLAN.simulated_source(wildcards.name)


def dataset_source(wildcards):
    return PLAN.dataset(wildcards.name).source


def dataset_version(wildcards):
    return PLAN.source_version(wildcards.name)


def dataset_paths(wildcards):
    return PLAN.dataset(wildcards.name).files_to_get()


def participant_columns(wildcards):
    return PLAN.participant_columns(wildcards.name)


def listening_dataset(wildcards):
    return PLAN.listening[wildcards.dataset]


def corpus(wildcards):
    return PLAN.corpora[wildcards.corpus]


def listening_raw(wildcards):
    return P.RAW.path(name=wildcards.dataset)


def vertices_inputs(wildcards):
    return PLAN.vertices_inputs(wildcards.dataset)


def listening_atlas(wildcards):
    return PLAN.atlas(wildcards.dataset)


def atlas_raw(wildcards):
    return PLAN.atlas_root(wildcards.dataset)


def corpus_raw(wildcards):
    return P.RAW.path(name=wildcards.corpus)


def model_spec(wildcards):
    return PLAN.model(wildcards.model)


def training_inputs(wildcards):
    return PLAN.training_inputs(wildcards.model)


def feature_gpus(wildcards):
    return int(wildcards.model in PLAN.models)


def result_sources(wildcards):
    return PLAN.result_sources(wildcards.get("dataset"), wildcards.get("model"))


def data_sources(wildcards):
    return PLAN.result_sources(wildcards.dataset, None, models=False)


def model_gpus(wildcards):
    return int(PLAN.model(wildcards.model).trained)


def pretrained_inputs(wildcards):
    return PLAN.pretrained_inputs(wildcards.model)


def feature_inputs(wildcards):
    return PLAN.feature_inputs(wildcards.dataset, wildcards.model)


def feature_files(wildcards):
    return PLAN.feature_files(wildcards.dataset, wildcards.model)


def score_inputs(wildcards):
    return PLAN.score_inputs(wildcards.dataset, wildcards.model)


def listener_files(wildcards):
    return PLAN.run_files(wildcards.dataset)[wildcards.subject]


def run_files(wildcards):
    return PLAN.run_files(wildcards.dataset)


def ceiling_inputs(wildcards):
    return PLAN.ceiling_inputs(wildcards.dataset)


def summary_inputs(wildcards):
    return PLAN.summary_inputs(wildcards.dataset)


def probe_inputs(wildcards):
    return PLAN.probe_inputs(wildcards.dataset, wildcards.model)


def probe_files(wildcards):
    return PLAN.probe_files(wildcards.dataset)


def feature_model(wildcards):
    return PLAN.models.get(wildcards.model)


def forecast_feature_inputs(wildcards):
    return PLAN.forecast_feature_inputs(wildcards.dataset, wildcards.model)


def forecast_feature_files(wildcards):
    return PLAN.forecast_feature_files(wildcards.dataset, wildcards.model)


def forecast_score_inputs(wildcards):
    return PLAN.forecast_score_inputs(wildcards.dataset, wildcards.model)


def forecast_gain_inputs(wildcards):
    return PLAN.forecast_gain_inputs(wildcards.dataset)


def forecast_sources(wildcards):
    return PLAN.forecast_sources(wildcards.dataset)
