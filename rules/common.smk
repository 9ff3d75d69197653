# Validation, wildcard constraints and the target/input functions; logic lives in brainlike.
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from brainlike.config import Corpus, ListeningDataset
from brainlike.models.checkpoint import FAMILIES
from brainlike.probes.summary import random_controls


validate(config, schema="../schemas/config.schema.yaml")

LISTENING = {
    name: ListeningDataset.from_config(name, spec)
    for name, spec in config["listening"].items()
}
CORPORA = {name: Corpus.from_config(name, spec) for name, spec in config["corpora"].items()}
_shared = set(LISTENING) & set(CORPORA)
if _shared:
    raise WorkflowError(f"dataset names used twice (listening and corpora): {sorted(_shared)}")
for _name, _spec in config["models"].items():
    try:  # presets differ by family; the schema only knows their union
        FAMILIES[_spec["family"]][1].preset(_spec["preset"])
    except ValueError as error:
        raise WorkflowError(f"models.{_name}: {error}") from None



def _selected(kind, configured):
    chosen = config["targets"].get(kind)
    if chosen is None:
        return list(configured)
    unknown = sorted(set(chosen) - set(configured))
    if unknown:
        raise WorkflowError(f"targets.{kind} names {unknown}, not configured under {kind}")
    return chosen


TARGET_LISTENING = _selected("listening", LISTENING)
TARGET_CORPORA = _selected("corpora", CORPORA)
TARGET_MODELS = _selected("models", config["models"])


wildcard_constraints:
    dataset=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    corpus=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    name=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    collection=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    subject=r"sub-[A-Za-z0-9]+",
    task=r"[A-Za-z0-9]+",
    model=r"[A-Za-z0-9][A-Za-z0-9_-]*",


def listening_targets(ds):
    prefix = f"data/parquet/{ds.name}"
    targets = [f"{prefix}/vertices.parquet"]
    targets += [f"{prefix}/stimuli/task-{t}.parquet" for t in ds.tasks]
    targets += [f"{prefix}/responses/{s}_task-{t}.parquet" for s, t in ds.runs()]
    if ds.groundtruth:
        targets.append(f"{prefix}/groundtruth.parquet")
    return targets


def data_targets(wildcards):
    """Every listening dataset's Parquet tables and every corpus collection's shards."""
    targets = []
    for name in TARGET_LISTENING:
        targets += listening_targets(LISTENING[name])
    for name in TARGET_CORPORA:
        targets += [f"data/corpora/{name}/{c}" for c in CORPORA[name].collections]
    return targets


def all_targets(wildcards):
    targets = data_targets(wildcards)
    for name in TARGET_LISTENING:
        targets += [f"results/summary/{name}.parquet"]
        targets += [f"results/figures/{name}/{f}.svg"
                    for f in ("layer_profiles", "best_layer", "models_by_roi",
                              "ssl_vs_controls", "native_language")]
    if TARGET_LISTENING:
        # the models are trained for scoring anyway; corpora-only runs should not train them
        targets.append("results/figures/training_curves.svg")
    return targets


def _dataset(name):
    if name in LISTENING:
        return LISTENING[name]
    if name in CORPORA:
        return CORPORA[name]
    raise WorkflowError(f"no dataset or corpus named {name!r} in the config")


def simulated_source(wildcards):
    """The generator's publication record, for datasets the workflow simulates itself."""
    name = wildcards.name
    if name in LISTENING and LISTENING[name].simulate is not None:
        return [f"data/sources/{name}.listening.json"]
    if name in CORPORA and CORPORA[name].simulate is not None:
        return [f"data/sources/{name}.corpus.json"]
    return []


def dataset_source(wildcards):
    return _dataset(wildcards.name).source


def dataset_paths(wildcards):
    return _dataset(wildcards.name).files_to_get()


def raw_root(wildcards, input):
    """The DataLad clone that an acquisition manifest describes."""
    return input.manifest.removesuffix(".manifest.json")


SCORED = TARGET_MODELS + list(config["baselines"])


def model_spec(wildcards):
    if wildcards.model not in config["models"]:
        raise WorkflowError(f"no model named {wildcards.model!r} under `models` in the config")
    return config["models"][wildcards.model]


def training_inputs(wildcards):
    """Corpus shards to train on and, for HuBERT iteration 2, the teacher's checkpoint."""
    training = model_spec(wildcards)["training"]
    if training is None:
        return {}
    if training["corpus"] not in CORPORA:
        raise WorkflowError(f"model {wildcards.model}: corpus {training['corpus']!r} is not "
                            "configured under `corpora`")
    inputs = {"corpus": [f"data/corpora/{training['corpus']}/{c}"
                         for c in training["collections"]]}
    if training.get("teacher"):
        inputs["teacher"] = f"models/{training['teacher']}/model.pt"
    return inputs


def model_gpus(wildcards):
    return 0 if model_spec(wildcards)["training"] is None else 1


def feature_inputs(wildcards):
    """The story (all stories, for inventories shared across them) and the model, if any."""
    ds = LISTENING[wildcards.dataset]
    stories = [f"data/parquet/{ds.name}/stimuli/task-{t}.parquet" for t in ds.tasks]
    inputs = {"stimulus": f"data/parquet/{ds.name}/stimuli/task-{wildcards.task}.parquet",
              "stories": stories}
    if wildcards.model in config["models"]:
        inputs["model"] = f"models/{wildcards.model}/model.pt"
    elif wildcards.model not in config["baselines"]:
        raise WorkflowError(f"{wildcards.model!r} is neither a configured model nor a baseline")
    return inputs


def _runs(ds, subject):
    return [(s, t) for s, t in ds.runs() if s == subject]


def score_inputs(wildcards):
    """The subject's runs, the model's (or baseline's) features for those stories, vertices."""
    ds = LISTENING[wildcards.dataset]
    runs = _runs(ds, wildcards.subject)
    if not runs:
        raise WorkflowError(f"{wildcards.subject} has no runs in {ds.name} (check subjects, "
                            "tasks and exclude)")
    base = f"data/parquet/{ds.name}"
    return {
        "responses": [f"{base}/responses/{s}_task-{t}.parquet" for s, t in runs],
        "features": [f"features/{ds.name}/{wildcards.model}/{t}.parquet" for _, t in runs],
        "vertices": f"{base}/vertices.parquet",
    }


def ceiling_inputs(wildcards):
    ds = LISTENING[wildcards.dataset]
    base = f"data/parquet/{ds.name}"
    return {
        "responses": [f"{base}/responses/{s}_task-{t}.parquet" for s, t in ds.runs()],
        "manifest": f"data/raw/{ds.name}.manifest.json",
    }


def summary_inputs(wildcards):
    ds = LISTENING[wildcards.dataset]
    subjects = sorted({s for s, _ in ds.runs()})
    scores = [f"results/brainscores/{ds.name}/{m}/{s}.parquet" for m in SCORED for s in subjects]
    return {
        "scores": scores,
        "rois": [p.replace(".parquet", "_rois.parquet") for p in scores],
        "ceilings": f"results/ceilings/{ds.name}.parquet",
        "vertices": f"data/parquet/{ds.name}/vertices.parquet",
    }


def scored_layers(wildcards):
    return SCORED


def dataset_tr(wildcards):
    return LISTENING[wildcards.dataset].tr


def listening_spec(wildcards):
    return config["listening"][wildcards.dataset]


def corpus_spec(wildcards):
    return config["corpora"][wildcards.corpus]


# The layer-wise phone probe (rules/probes.smk).
def _probe_files(dataset):
    return [f"results/probes/{dataset}/{m}.parquet" for m in TARGET_MODELS]


def probe_targets(wildcards):
    if not config["probe"]["enabled"]:
        return []
    ds = config["probe"]["dataset"]
    return _probe_files(ds) + [f"results/figures/{ds}/phone_probe.svg",
                               f"results/probes/{ds}/summary.parquet"]


def probe_inputs(wildcards):
    if wildcards.dataset not in LISTENING:
        raise WorkflowError(f"probe dataset {wildcards.dataset!r} is not under `listening`")
    tasks = config["probe"]["tasks"] or LISTENING[wildcards.dataset].tasks
    unknown = sorted(set(tasks) - set(LISTENING[wildcards.dataset].tasks))
    if unknown:
        raise WorkflowError(f"probe.tasks names {unknown}, not tasks of {wildcards.dataset}")
    return {
        "model": f"models/{wildcards.model}/model.pt",
        "stimuli": [f"data/parquet/{wildcards.dataset}/stimuli/task-{t}.parquet" for t in tasks],
    }


def probe_files(wildcards):
    return _probe_files(wildcards.dataset)
