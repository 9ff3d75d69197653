"""The plan: schema defaults used once, path patterns both ways, the roster, loose ends caught."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from brainlike.plan import Plan, PlanError, paths
from brainlike.plan.datasets import (AcousticConditions, Corpus, CorpusSimulation,
                                     ListeningDataset, ListeningSimulation)
from brainlike.plan.schema import resolve, schema, section_defaults, with_defaults
from brainlike.plan.specs import (
    ClusterTargets,
    FeatureSpec,
    ModelSpec,
    PretrainedSpec,
    ProbeSpec,
    ScoreSpec,
    TrainingSpec,
)

REPO = Path(__file__).resolve().parents[2]
DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())

#: spec class -> its schema definition
SECTIONS = {FeatureSpec: "features", ScoreSpec: "scores", ProbeSpec: "probe",
            ClusterTargets: "cluster_targets", ListeningSimulation: "listening_simulation",
            CorpusSimulation: "corpus_simulation", PretrainedSpec: "pretrained",
            AcousticConditions: "acoustics"}


def _defaults(props: dict) -> dict:
    out = {}
    for key, value in props.items():
        value = resolve(value)
        # An object left empty takes its own properties' defaults.
        nested = value["default"] == {} and "properties" in value
        out[key] = _defaults(value["properties"]) if nested else value["default"]
    return out


def _schema_defaults(definition: str) -> dict:
    return _defaults(schema()["$defs"][definition]["properties"])


@pytest.mark.parametrize("cls", list(SECTIONS), ids=lambda c: c.__name__)
def test_a_section_left_empty_takes_every_default_from_the_schema(cls) -> None:
    spec = cls.from_config({})
    expected = _schema_defaults(SECTIONS[cls])
    got = dataclasses.asdict(spec)
    assert got.keys() == expected.keys()  # one field per schema key, no more, no less
    for key, value in expected.items():
        field = getattr(spec, key)
        if dataclasses.is_dataclass(field):  # a nested section fills its own defaults
            kind = type(field)
            assert field == (kind.from_config(value) if hasattr(kind, "from_config")
                             else kind(**value)), key
            continue
        as_tuple = tuple(value) if isinstance(value, list) else value
        assert got[key] == as_tuple or got[key] == value, key


def test_training_and_model_defaults_come_from_the_schema() -> None:
    minimal = {"objective": "hubert", "corpus": "c", "collections": ["en"]}
    spec = TrainingSpec.from_config(minimal)
    for key, value in _schema_defaults("training").items():
        if key in minimal or key == "targets":
            continue
        got = getattr(spec, key)
        assert got == (tuple(value) if isinstance(value, list) else value), key
    assert spec.targets == ClusterTargets.from_config({})
    model = ModelSpec.from_config("m", {"family": "logmel"})
    assert (model.preset, model.seed, model.training) == (
        _schema_defaults("model")["preset"], _schema_defaults("model")["seed"], None)


@pytest.mark.parametrize("cls", [*SECTIONS, TrainingSpec, ModelSpec, ListeningDataset, Corpus],
                         ids=lambda c: c.__name__)
def test_no_spec_field_carries_a_default_of_its_own(cls) -> None:
    for f in dataclasses.fields(cls):
        assert f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING, \
            f"{cls.__name__}.{f.name} has a default in code; the schema holds defaults"


def test_datasets_fill_their_defaults_from_the_schema() -> None:
    ds = ListeningDataset.from_config("d", {"source": "s", "subjects": ["sub-1"],
                                            "tasks": ["a"]})
    d = _schema_defaults("listening_dataset")
    assert (ds.space, ds.derivative, ds.hemis, ds.tr, ds.max_tail_s) == (
        d["space"], d["derivative"], tuple(d["hemis"]), d["tr"], d["max_tail_s"])
    assert (ds.trim_start, ds.trim_end) == (d["trim"]["start_trs"], d["trim"]["end_trs"])
    c = Corpus.from_config("c", {"source": "s", "collections": ["en"]})
    d = _schema_defaults("corpus")
    assert (c.sample_rate, c.shard_minutes, c.row_group_chapters) == (
        d["sample_rate"], d["shard_minutes"], d["row_group_chapters"])


def test_with_defaults_reaches_inside_one_of() -> None:
    filled = with_defaults({"models": {"m": {"family": "logmel", "training": {
        "objective": "hubert", "corpus": "c", "collections": ["en"]}}}})
    training = filled["models"]["m"]["training"]
    assert training["mask_prob"] == _schema_defaults("training")["mask_prob"]
    assert training["targets"]["clusters"] == _schema_defaults("cluster_targets")["clusters"]
    assert filled["models"]["m"]["seed"] == 0 and filled["scores"]["alphas"]


def test_section_defaults_names_an_unknown_section() -> None:
    with pytest.raises(KeyError, match="nosuch"):
        section_defaults("nosuch")


PATTERNS = [p for p in vars(paths).values() if isinstance(p, paths.Pattern)]


@pytest.mark.parametrize("pattern", PATTERNS, ids=str)
def test_every_pattern_reads_back_what_it_writes(pattern: paths.Pattern) -> None:
    values = {"dataset": "narr-1", "corpus": "speech_sim", "name": "narr-1", "collection": "en",
              "subject": "sub-007", "task": "pieman", "story": "milkyway_vodka-2",
              "model": "wav2vec2-en", "figure": "best",
              "session": "ses-501498760"}
    used = {k: values[k] for k in pattern.fields}
    path = pattern.path(**values)
    assert "{" not in path
    assert pattern.parse(path) == used
    assert pattern.parse("/some/workdir/" + path) == used


def test_patterns_refuse_values_that_are_not_wildcards() -> None:
    with pytest.raises(ValueError, match="model='a/../b'"):
        paths.MODEL.path(model="a/../b")
    with pytest.raises(ValueError, match="subject"):
        paths.RESPONSES.path(dataset="d", subject="007; rm -rf /", task="t")
    with pytest.raises(ValueError, match="no value for"):
        paths.FEATURES.path(dataset="d", model="m")
    with pytest.raises(ValueError, match="is not a"):
        paths.FEATURES.parse("results/summary/d.parquet")


def test_fix_fills_some_wildcards_and_keeps_the_rest() -> None:
    fixed = paths.FIGURE.fix(figure="best_layer")
    assert isinstance(fixed, paths.Pattern) and fixed.fields == ("dataset",)
    assert fixed.path(dataset="d") == "results/figures/d/best_layer.svg"


def test_default_roster_roles_and_controls() -> None:
    plan = Plan.from_config(DEFAULT)
    roster = plan.roster
    assert roster["hubert-en"].role == "self-supervised"
    assert roster["hubert-en"].control == "logmel-small-random"
    assert roster["wav2vec2-en"].control == "logmel-small-split-random"
    assert roster["supervised-en"].role == "supervised"
    assert roster["supervised-en"].control == "logmel-random"
    assert roster["wav2vec2-nonspeech"].role == "non-speech"
    assert roster["wav2vec2-fr"].language == "fr"
    assert roster["logmel-random"].role == "random" and roster["logmel-random"].control == ""
    assert roster["words-en"].role == "supervised" and roster["words-en"].control == "logmel-random"
    # each modality's datasets score its own models and baselines
    vision = {m for m in DEFAULT["targets"]["models"] if DEFAULT["models"][m]["family"] in
              ("cpc", "mae")}
    assert vision and set(plan.vision_models) == vision
    assert set(plan.scored) == (set(DEFAULT["targets"]["models"]) - vision
                                | set(DEFAULT["baselines"]))
    assert set(plan.vision_scored) == vision | set(DEFAULT["vision"]["baselines"])
    assert roster["cpc"].control == "cpc-random" and roster["cpc-one"].control == "cpc-one-random"
    assert roster["shape-cpc"].role == "supervised"
    assert roster["shape-cpc"].control == "cpc-one-random"
    assert roster["mae"].control == "mae-random"


def test_controls_are_chosen_among_the_scored_models_only() -> None:
    config = copy.deepcopy(DEFAULT)
    config["targets"]["models"] = ["hubert-en", "logmel-random"]
    assert Plan.from_config(config).roster["hubert-en"].control == ""  # its twin not scored


def test_score_inputs_cover_every_listener_and_each_story_heard_once() -> None:
    config = copy.deepcopy(DEFAULT)
    ds = config["listening"]["narratives-sim"]
    ds["exclude"] = [{"subject": "sub-002", "task": "fr1", "reason": "test"}]
    plan = Plan.from_config(config)
    inputs = plan.score_inputs("narratives-sim", "semantic")
    assert len(inputs["responses"]) == 9
    assert inputs["features"] == "features/narratives-sim/semantic"
    files = plan.feature_files("narratives-sim", "semantic")
    assert list(files) == ["en1", "en2", "fr1", "fr2", "zh1", "zh2"]
    assert files["fr1"] == "features/narratives-sim/semantic/fr1.parquet"
    runs = plan.run_files("narratives-sim")
    assert "fr1" not in runs["sub-002"] and len(runs["sub-001"]) == 6
    assert runs["sub-001"]["en1"] == "data/parquet/narratives-sim/responses/sub-001/task-en1.parquet"
    with pytest.raises(PlanError, match="neither a configured model nor a baseline"):
        plan.score_inputs("narratives-sim", "nosuch")
    with pytest.raises(PlanError, match="sub-999 has no runs"):
        plan.subject_tasks("narratives-sim", "sub-999")


@pytest.mark.parametrize("mutate, message", [
    (lambda c: c["models"]["hubert-en"]["training"].update(corpus="nope"),
     "models.hubert-en: corpus 'nope'"),
    (lambda c: c["models"]["hubert-en"]["training"].update(collections=["xx"]),
     "collections \\['xx'\\]"),
    (lambda c: c["models"]["hubert-en"]["training"].update(objective="simclr"),
     "unknown training objective 'simclr'"),
    (lambda c: c["models"]["hubert-en-it2"]["training"].update(teacher="nobody"),
     "teacher 'nobody'"),
    (lambda c: c["models"]["waveform-random"].update(preset="small"),
     "models.waveform-random: unknown waveform preset 'small'"),
    (lambda c: c["targets"].update(models=["ghost"]), "targets.models names \\['ghost'\\]"),
    (lambda c: c["models"]["cpc-seed1"].update(seed_of="nobody"), "seed_of: nobody"),
    (lambda c: c["models"]["cpc-seed1"].update(preset="tiny-one"), "differ too: \\['preset'\\]"),
    (lambda c: c["models"]["cpc-seed1"].update(seed=c["models"]["cpc"].get("seed", 0)),
     "the same seed"),
    (lambda c: c["models"].update({"cpc-seed2": {**c["models"]["cpc-seed1"]}}),
     "models.cpc-seed2: seed 1 of cpc is also cpc-seed1's"),
    (lambda c: c["probe"].update(stories=["xx1"]), "probe.stories names \\['xx1'\\]"),
])
def test_loose_ends_fail_naming_the_key(mutate, message: str) -> None:
    config = copy.deepcopy(DEFAULT)
    mutate(config)
    with pytest.raises(PlanError, match=message):
        Plan.from_config(config)


def test_seeds_of_one_model_are_pooled_by_name() -> None:
    seeds = Plan.from_config(copy.deepcopy(DEFAULT)).vision_seeds()
    assert seeds["cpc"] == ("cpc", 0) and seeds["cpc-seed1"] == ("cpc", 1)
    assert seeds["shape-cpc"] == ("shape-cpc", 0) and seeds["pixels"] == ("pixels", 0)


def test_building_the_plan_imports_no_torch() -> None:
    code = ("import sys, yaml; from brainlike.plan import Plan; "
            f"Plan.from_config(yaml.safe_load(open({str(REPO / 'config.yaml')!r}))); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
