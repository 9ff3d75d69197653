"""The plan: the validated config turned, once, into typed specs, targets and job inputs.

``rules/common.smk`` builds one :class:`Plan` at parse time; its input functions are one-line
calls into it, and rules hand its typed specs to the scripts as ``params``. Every file name
comes from :mod:`brainlike.plan.paths`.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass

from brainlike import provenance
from brainlike.acquire import is_local, local_commit
from brainlike.models.configs import family_preset
from brainlike.objectives import Objective, objective
from brainlike.plan import paths
from brainlike.plan.atlas import Atlas
from brainlike.plan.datasets import Corpus, ListeningDataset
from brainlike.plan.roster import RosterEntry, roster
from brainlike.plan.schema import with_defaults
from brainlike.plan.specs import (
    FeatureSpec,
    ForecastSpec,
    ModelSpec,
    ProbeSpec,
    ScoreSpec,
    VisionSpec,
)
from brainlike.plan.viewing import VideoCorpus, ViewingDataset
from brainlike.plan.vision import VisionPlan

#: The figures of a listening dataset, one rule each in rules/figures.smk.
DATASET_FIGURES = ("layer_profiles", "best_layer", "models_by_roi", "ssl_vs_controls",
                   "native_language")


class PlanError(ValueError):
    """A config that validates but does not hang together (a name that points nowhere)."""


@dataclass(frozen=True)
class Plan(VisionPlan):
    seed: int
    listening: dict[str, ListeningDataset]
    corpora: dict[str, Corpus]
    viewing: dict[str, ViewingDataset]
    video_corpora: dict[str, VideoCorpus]
    atlases: dict[str, Atlas]
    models: dict[str, ModelSpec]
    baselines: tuple[str, ...]
    features: FeatureSpec
    scores: ScoreSpec
    probe: ProbeSpec
    forecast: ForecastSpec
    vision: VisionSpec
    target_listening: tuple[str, ...]
    target_corpora: tuple[str, ...]
    target_viewing: tuple[str, ...]
    target_models: tuple[str, ...]
    config_sha256: str

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: dict) -> Plan:
        """Config (validated, or at least schema-shaped) -> plan; PlanError on loose ends."""
        c = with_defaults(config)
        listening = {n: ListeningDataset.from_config(n, d) for n, d in c["listening"].items()}
        for n, d in c["listening"].items():
            unknown = sorted(set(d["stories"]) - set(d["tasks"]))
            if unknown:
                raise PlanError(f"listening.{n}.stories names {unknown}, not among its tasks")
            if d["layout"] == "lpp":
                odd = sorted(set(d["tasks"]) - {"lppEN", "lppFR", "lppCN"})
                if odd or d["atlas"]:
                    raise PlanError(f"listening.{n}: the lpp layout has tasks lppEN, lppFR, "
                                    "lppCN (one per language) and volumetric `rois`, not a "
                                    f"surface `atlas` (found tasks {odd}, atlas {d['atlas']})")
        corpora = {n: Corpus.from_config(n, d) for n, d in c["corpora"].items()}
        try:
            viewing = {n: ViewingDataset.from_config(n, d) for n, d in c["viewing"].items()}
        except ValueError as error:
            raise PlanError(str(error)) from None
        video = {n: VideoCorpus.from_config(n, d) for n, d in c["video_corpora"].items()}
        atlases = {n: Atlas.from_config(n, d) for n, d in c["atlases"].items()}
        # one acquisition namespace: data/raw/<name> holds a dataset, a corpus or an atlas;
        # `dataset` and `corpus` wildcards are shared by both modalities
        kinds = (listening, corpora, viewing, video, atlases)
        names = [n for kind in kinds for n in kind]
        shared = sorted({n for n in names if names.count(n) > 1})
        if shared:
            raise PlanError("dataset names used twice (listening, corpora, viewing, "
                            f"video_corpora, atlases): {shared}")
        models = {n: ModelSpec.from_config(n, d) for n, d in c["models"].items()}
        for name, spec in models.items():  # an entry reading another's checkpoint: its preset
            if spec.of in models and models[spec.of].family == spec.family:
                models[name] = dataclasses.replace(spec, preset=models[spec.of].preset)
        targets = c["targets"]
        target_models = _selected("models", targets["models"], models)
        plan = cls(
            seed=int(c["seed"]), listening=listening, corpora=corpora, viewing=viewing,
            video_corpora=video, atlases=atlases, models=models,
            baselines=tuple(c["baselines"]), features=FeatureSpec.from_config(c["features"]),
            scores=ScoreSpec.from_config(c["scores"]), probe=ProbeSpec.from_config(c["probe"]),
            forecast=ForecastSpec.from_config(c["forecast"]),
            vision=VisionSpec.from_config(c["vision"]),
            target_listening=_selected("listening", targets["listening"], listening),
            target_corpora=_selected("corpora", targets["corpora"], {**corpora, **video}),
            target_viewing=_selected("viewing", targets["viewing"], viewing),
            target_models=target_models, config_sha256=provenance.config_sha256(c))
        plan._check()
        return plan

    def _check(self) -> None:
        for name, atlas in self.atlases.items():
            try:
                atlas.check()
            except ValueError as error:
                raise PlanError(f"atlases.{name}: {error}") from None
        for name, ds in self.listening.items():
            if ds.atlas is not None and ds.atlas not in self.atlases:
                raise PlanError(f"listening.{name}: atlas {ds.atlas!r} is not configured under "
                                "`atlases`")
            if ds.atlas is not None and ds.rois is not None:
                raise PlanError(f"listening.{name}: set `atlas` or `rois`, not both")
        for name, spec in self.models.items():
            try:  # presets differ by family; the schema only knows their union
                if spec.family == "pretrained" or spec.pretrained is not None:
                    check_pretrained(spec)
                else:
                    family_preset(spec.family, spec.preset)
                chosen = objective(spec.training.objective) if spec.training else None
                check_reading(spec, chosen, self.models)
                check_seed_of(spec, self.models)
            except ValueError as error:
                raise PlanError(f"models.{name}: {error}") from None
            t = spec.training
            if t is None:
                continue
            video = spec.modality == "video"
            pool, section = (self.video_corpora, "video_corpora") if video else \
                (self.corpora, "corpora")
            if t.corpus not in pool:
                raise PlanError(f"models.{name}: corpus {t.corpus!r} is not configured under "
                                f"`{section}`")
            unknown = sorted(set(t.collections) - set(pool[t.corpus].collections))
            if unknown:
                raise PlanError(f"models.{name}: collections {unknown} are not collections of "
                                f"corpus {t.corpus}")
            if t.teacher is not None and t.teacher not in self.models:
                raise PlanError(f"models.{name}: teacher {t.teacher!r} is not a configured model")
        seeds: dict[tuple[str, int], str] = {}
        for name, spec in self.models.items():
            key = (spec.seed_of or name, spec.seed)
            if key in seeds:
                raise PlanError(f"models.{name}: seed {spec.seed} of {key[0]} is also "
                                f"{seeds[key]}'s")
            seeds[key] = name
        if self.probe.enabled and self.target_listening:
            ds = self.listening.get(self.probe.dataset)
            if ds is None:
                raise PlanError(f"probe.dataset {self.probe.dataset!r} is not under `listening`")
            unknown = sorted(set(self.probe.stories) - set(ds.stories))
            if unknown:
                raise PlanError(f"probe.stories names {unknown}, not stories of {ds.name}")
        self._check_forecast()

    def _check_forecast(self) -> None:
        f = self.forecast
        unknown = sorted(set(f.models) - set(self.models))
        if unknown:
            raise PlanError(f"forecast.models names {unknown}, not configured under `models`")
        unknown = sorted(set(f.layers) - set(f.models))
        if unknown:
            raise PlanError(f"forecast.layers names {unknown}, not among forecast.models")
        rate = self.features.rate
        odd = [o for o in f.offsets_s if abs(o * rate - round(o * rate)) > 1e-6]
        if odd and any(not self.models[m].text for m in f.models):
            raise PlanError(f"forecast.offsets_s {odd} are not whole frames at features.rate "
                            f"{rate} Hz")

    @functools.cached_property
    def roster(self) -> dict[str, RosterEntry]:
        """What each scored model is: role, objective, language, untrained control."""
        return roster(self.models, list(self.target_models))

    # -- lookups --------------------------------------------------------------------------
    def dataset(self, name: str
                ) -> ListeningDataset | Corpus | Atlas | ViewingDataset | VideoCorpus:
        """What ``acquire`` clones under ``name``: a listening dataset, a corpus or an atlas."""
        if name in self.listening:
            return self.listening[name]
        if name in self.corpora:
            return self.corpora[name]
        if name in self.atlases:
            return self.atlases[name]
        if name in self.viewing:
            return self.viewing[name]
        if name in self.video_corpora:
            return self.video_corpora[name]
        raise PlanError(f"no dataset or corpus named {name!r} in the config")

    def model(self, name: str) -> ModelSpec:
        if name not in self.models:
            raise PlanError(f"no model named {name!r} under `models` in the config")
        return self.models[name]

    def checkpoint(self, name: str) -> str:
        """The checkpoint model ``name`` reads: its own, or that of the entry it is ``of``."""
        spec = self.model(name)
        return paths.MODEL.path(model=spec.of or name)

    def checkpoint_wildcard(self) -> str:
        """The ``model`` wildcard's regex for the rule that trains checkpoints: every entry
        with a checkpoint of its own (not those that read another's)."""
        return wildcard_choice(tuple(n for n, s in self.models.items() if s.of is None))

    @property
    def scored(self) -> tuple[str, ...]:
        """Models and baselines whose layers `rule all` scores on a listening dataset."""
        return self.speech_models + self.baselines

    @property
    def speech_models(self) -> tuple[str, ...]:
        """Target models that hear the stories (audio) or read their words (text)."""
        return tuple(m for m in self.target_models if self.models[m].modality != "video")

    @property
    def vision_models(self) -> tuple[str, ...]:
        """Target models that watch the movie."""
        return tuple(m for m in self.target_models if self.models[m].modality == "video")

    @property
    def vision_scored(self) -> tuple[str, ...]:
        """Models and baselines whose layers `rule all` scores on a viewing dataset."""
        return self.vision_models + self.vision.baselines

    def scored_on(self, dataset: str) -> tuple[str, ...]:
        return self.vision_scored if dataset in self.viewing else self.scored

    def modality_wildcard(self, kind: str) -> str:
        """The ``dataset`` (kind "listening"/"viewing") or ``corpus`` ("corpora"/
        "video_corpora") wildcard's regex for the rules of one modality."""
        return wildcard_choice(tuple(getattr(self, kind)))

    @functools.cached_property
    def _tasks_by_subject(self) -> dict[str, dict[str, list[str]]]:
        # Input functions ask per job; at Narratives scale a scan per call is quadratic.
        out: dict[str, dict[str, list[str]]] = {}
        for name, ds in self.listening.items():
            for subject, task in ds.runs():
                out.setdefault(name, {}).setdefault(subject, []).append(task)
        return out

    def subjects(self, dataset: str) -> list[str]:
        return sorted(self._tasks_by_subject.get(dataset, {}))

    def subject_tasks(self, dataset: str, subject: str) -> list[str]:
        tasks = self._tasks_by_subject.get(dataset, {}).get(subject, [])
        if not tasks:
            raise PlanError(f"{subject} has no runs in {dataset} (check subjects, tasks and "
                            "exclude)")
        return tasks

    def probe_stories(self, dataset: str) -> tuple[str, ...]:
        return self.probe.stories or self.listening[dataset].stories

    # -- targets --------------------------------------------------------------------------
    def data_targets(self) -> list[str]:
        """Every target dataset's Parquet tables and every target corpus's shards."""
        out = []
        for name in self.target_listening:
            ds = self.listening[name]
            out.append(paths.VERTICES.path(dataset=name))
            out += [paths.STIMULUS.path(dataset=name, story=s) for s in ds.stories]
            out += [paths.LISTENER.path(dataset=name, subject=s) for s in self.subjects(name)]
            if ds.groundtruth:
                out.append(paths.GROUNDTRUTH.path(dataset=name))
        for name in self.target_corpora:
            corpus = self.corpora.get(name) or self.video_corpora[name]
            out += [paths.SHARDS.path(corpus=name, collection=c) for c in corpus.collections]
        return out + self.vision_data_targets()

    def result_targets(self) -> list[str]:
        out = []
        for name in self.target_listening:
            out.append(paths.SUMMARY.path(dataset=name))
            out += [paths.FIGURE.path(dataset=name, figure=f) for f in DATASET_FIGURES]
            if self.forecast.models:
                out += [paths.FORECAST_GAINS.path(dataset=name),
                        paths.FIGURE.path(dataset=name, figure="forecast")]
        if self.target_listening or self.target_viewing:
            # the models are trained for scoring anyway; corpora-only runs should not train them
            out.append(paths.TRAINING_CURVES)
        return out + self.vision_result_targets()

    def probe_targets(self) -> list[str]:
        if not (self.probe.enabled and self.target_listening):
            return []
        ds = self.probe.dataset
        return self.probe_files(ds) + [paths.FIGURE.path(dataset=ds, figure="phone_probe"),
                                       paths.PROBE_SUMMARY.path(dataset=ds)]

    def all_targets(self) -> list[str]:
        provenance = [paths.PROVENANCE] if self.target_listening or self.target_viewing \
            else []
        return self.data_targets() + self.result_targets() + self.probe_targets() + provenance

    # -- job inputs -----------------------------------------------------------------------
    def simulated_source(self, name: str) -> list[str]:
        """The generator's publication record, for datasets the workflow simulates itself."""
        ds = self.dataset(name)
        if isinstance(ds, Atlas) or ds.simulate is None:
            return []
        if isinstance(ds, ListeningDataset):
            return [paths.LISTENING_SOURCE.path(dataset=name)]
        if isinstance(ds, ViewingDataset):
            return [paths.VIEWING_SOURCE.path(dataset=name)]
        return [paths.CORPUS_SOURCE.path(corpus=name)]

    def source_version(self, name: str) -> str:
        """What acquisition of ``name`` is keyed to: its pinned version, or else a local
        source's current commit (so a new commit there re-acquires); "" when neither is known.

        Simulated sources are keyed by their publication record (an input of the job) instead:
        their commit does not exist until the workflow has made them.
        """
        ds = self.dataset(name)
        if ds.version:
            return ds.version
        if ds.simulate is not None or not is_local(ds.source):
            return ""
        if name not in self._local_commits:  # one git call per source and parse
            self._local_commits[name] = local_commit(ds.source)
        return self._local_commits[name]

    @functools.cached_property
    def _local_commits(self) -> dict[str, str]:
        return {}

    def participant_columns(self, name: str) -> dict[str, str]:
        """participants.tsv columns the plan reads for ``name`` -> the config key reading it."""
        if name not in self.listening:
            return {}
        needed = {"participant_id": f"listening.{name}"}
        if self.scores.ceiling_group:
            needed[self.scores.ceiling_group] = "scores.ceiling_group"
        return {c: k for c, k in needed.items() if c not in self.listening[name].derived_columns}

    def atlas(self, dataset: str) -> Atlas | None:
        """The atlas whose grouped labels are the ROIs of ``dataset`` (None: `rois` or none)."""
        name = self.listening[dataset].atlas
        return None if name is None else self.atlases[name]

    def atlas_root(self, dataset: str) -> str | None:
        atlas = self.atlas(dataset)
        return None if atlas is None else paths.RAW.path(name=atlas.name)

    def vertices_inputs(self, dataset: str) -> dict[str, str]:
        """The dataset's manifest and, when its ROIs come from an atlas, the atlas's."""
        inputs = {"manifest": paths.MANIFEST.path(name=dataset)}
        atlas = self.atlas(dataset)
        if atlas is not None:
            inputs["atlas"] = paths.MANIFEST.path(name=atlas.name)
        return inputs

    def training_inputs(self, model: str) -> dict[str, object]:
        """Corpus shards to train on and, for HuBERT iteration 2, the teacher's checkpoint."""
        t = self.model(model).training
        if t is None:
            return {}
        inputs: dict[str, object] = {"corpus": [paths.SHARDS.path(corpus=t.corpus, collection=c)
                                                for c in t.collections]}
        if t.teacher:
            inputs["teacher"] = paths.MODEL.path(model=t.teacher)
        return inputs

    def pretrained_models(self, hub_only: bool = False) -> tuple[str, ...]:
        """Models imported from a published checkpoint (only those on the hub: ``hub_only``)."""
        return tuple(n for n, s in self.models.items()
                     if s.pretrained is not None and (s.pretrained.hub or not hub_only))

    def pretrained_wildcard(self, hub_only: bool = False) -> str:
        """The ``model`` wildcard's regex for the rules that fetch and import checkpoints."""
        return wildcard_choice(self.pretrained_models(hub_only))

    def pretrained_inputs(self, model: str) -> dict[str, object]:
        """The checkpoint to import: its local path, or the hub download's directory."""
        p = self.model(model).pretrained
        if p is None:
            raise PlanError(f"{model!r} is not a pretrained model")
        return {"source": p.path or paths.PRETRAINED.path(model=model)}

    def feature_inputs(self, dataset: str, model: str) -> dict[str, object]:
        """Every story of the dataset and the model's checkpoint (none for a baseline)."""
        ds = self.listening[dataset]
        inputs: dict[str, object] = {
            "stories": [paths.STIMULUS.path(dataset=dataset, story=s) for s in ds.stories]}
        if model in self.models:
            inputs["model"] = self.checkpoint(model)
        elif model not in self.baselines:
            raise PlanError(f"{model!r} is neither a configured model nor a baseline")
        return inputs

    def feature_files(self, dataset: str, model: str) -> dict[str, str]:
        """story -> the features/1 file of ``model`` for that story."""
        return {s: paths.FEATURES.path(dataset=dataset, model=model, story=s)
                for s in self.listening[dataset].stories}

    def score_inputs(self, dataset: str, model: str) -> dict[str, object]:
        """Every listener's runs, the model's features for the stories heard, the vertices."""
        if model not in self.models and model not in self.baselines:
            raise PlanError(f"{model!r} is neither a configured model nor a baseline")
        return {
            "responses": self.listener_dirs(dataset),
            "features": paths.MODEL_FEATURES.path(dataset=dataset, model=model),
            "vertices": paths.VERTICES.path(dataset=dataset),
        }

    def ceiling_inputs(self, dataset: str) -> dict[str, object]:
        return {"responses": self.listener_dirs(dataset),
                "manifest": paths.MANIFEST.path(name=dataset)}

    def listener_dirs(self, dataset: str) -> list[str]:
        return [paths.LISTENER.path(dataset=dataset, subject=s) for s in self.subjects(dataset)]

    def run_files(self, dataset: str) -> dict[str, dict[str, str]]:
        """subject -> task -> responses/1 file, for every run of ``dataset``."""
        return {s: {t: paths.RESPONSES.path(dataset=dataset, subject=s, task=t)
                    for t in self.subject_tasks(dataset, s)} for s in self.subjects(dataset)}

    def summary_inputs(self, dataset: str) -> dict[str, object]:
        return {
            "scores": [paths.BRAINSCORES.path(dataset=dataset, model=m) for m in self.scored],
            "rois": [paths.ROISCORES.path(dataset=dataset, model=m) for m in self.scored],
            "ceilings": paths.CEILINGS.path(dataset=dataset),
            "vertices": paths.VERTICES.path(dataset=dataset),
        }

    def probe_files(self, dataset: str) -> list[str]:
        """A phone probe per scored speech model (a text model hears no phones)."""
        return [paths.PROBE.path(dataset=dataset, model=m) for m in self.target_models
                if self.models[m].modality == "audio"]

    def probe_inputs(self, dataset: str, model: str) -> dict[str, object]:
        if dataset not in self.listening:
            raise PlanError(f"probe dataset {dataset!r} is not under `listening`")
        return {"model": paths.MODEL.path(model=model),
                "stimuli": [paths.STIMULUS.path(dataset=dataset, story=s)
                            for s in self.probe_stories(dataset)]}

    def sources(self, dataset: str | None, models: list[str] | tuple[str, ...]
                ) -> provenance.Sources:
        """What results of ``dataset`` (None: none) and ``models`` were computed from: the
        acquisition manifests of the dataset, its atlas and every corpus the models (and their
        teachers) trained on, and the models' checkpoints (baselines have none)."""
        names, checkpoints = [], []
        if dataset is not None:
            names.append(dataset)
            if dataset in self.listening and self.listening[dataset].atlas:
                names.append(self.listening[dataset].atlas)
        todo = [self.models[m].of or m for m in models if m in self.models]
        while todo:
            model = todo.pop(0)
            checkpoints.append((model, paths.MODEL.path(model=model)))
            t = self.models[model].training
            if t is not None:
                names.append(t.corpus)
                todo += [t.teacher] if t.teacher else []
        return provenance.Sources(
            config_sha256=self.config_sha256, code_commit=provenance.code_commit(),
            manifests=tuple(paths.MANIFEST.path(name=n) for n in dict.fromkeys(names)),
            checkpoints=tuple(dict.fromkeys(checkpoints)))

    def result_sources(self, dataset: str | None, model: str | None,
                       models: bool = True) -> provenance.Sources:
        """Sources of a rule's results from its wildcards: one model's, or (``models``) every
        scored model's for a dataset-wide result, or none (``models=False``: ceilings)."""
        chosen = [model] if model else list(self.scored_on(dataset or "")) if models else []
        return self.sources(dataset, chosen)

    def result_files(self) -> list[str]:
        """Every result that gets a provenance sidecar (rule all's, data and probes aside)."""
        out = self.result_targets()
        for name in self.target_listening:
            out += [p.path(dataset=name, model=m) for m in self.scored
                    for p in (paths.BRAINSCORES, paths.ROISCORES)]
            out.append(paths.CEILINGS.path(dataset=name))
        out += [p for p in self.probe_targets()]
        for name in self.target_listening:
            out += [p.path(dataset=name, model=m) for m in self.forecast.models
                    for p in (paths.FORECAST_SCORES, paths.FORECAST_ROIS)]
        out += self.vision_result_files()
        return list(dict.fromkeys(out))

    def settings(self, parts: tuple[str, ...], wildcards) -> str:
        """The settings a job depends on, as text: Snakemake reruns a job whose params
        changed, but only params it can write down (builtins), not the typed specs.

        parts: ``features``, ``scores``, ``probe``, ``forecast`` (sections), ``dataset``/``corpus`` (the
        wildcard's dataset, its subject selection aside: the files a job reads track that),
        ``model`` (the wildcard's model spec; None for a baseline).
        """
        chosen: dict[str, object] = {}
        for part in parts:
            if part in ("features", "scores", "probe", "forecast", "vision"):
                chosen[part] = getattr(self, part)
            elif part == "dataset" and wildcards.dataset in self.viewing:
                chosen[part] = dataclasses.replace(self.viewing[wildcards.dataset],
                                                   sessions=())
            elif part == "dataset":
                chosen[part] = dataclasses.replace(self.listening[wildcards.dataset],
                                                   subjects=(), exclude=())
            elif part == "corpus":
                chosen[part] = self.dataset(wildcards.corpus)
            elif part == "model":
                chosen[part] = self.models.get(wildcards.model)
            else:
                raise ValueError(f"unknown settings part {part!r}")
        return repr(chosen)

    def training_logs(self) -> list[str]:
        return [paths.TRAINING_LOG.path(model=m) for m in self.logged_models]

    @property
    def logged_models(self) -> tuple[str, ...]:
        """Scored models with a training log of their own (not those reading another's)."""
        return tuple(m for m in self.target_models if self.models[m].of is None)

    # -- forecast windows -------------------------------------------------------------------
    @property
    def forecast_scores(self) -> ScoreSpec:
        """The brain-score method of the forecast scores: the same ridge, folds and ceilings,
        without the per-layer permutation test (the gains are judged across subjects)."""
        return dataclasses.replace(self.scores, permutations=0)

    @property
    def forecast_units(self) -> dict[str, str]:
        """Model -> the unit of its windows: words ahead for a text model, else seconds."""
        return {m: "words" if self.models[m].text else "seconds" for m in self.forecast.models}

    def forecast_feature_inputs(self, dataset: str, model: str) -> dict[str, object]:
        if model not in self.forecast.models:
            raise PlanError(f"{model!r} is not among forecast.models")
        return self.feature_inputs(dataset, model)

    def forecast_feature_files(self, dataset: str, model: str) -> dict[str, str]:
        """story -> the features/1 file of ``model``'s forecast layers for that story."""
        return {s: paths.FORECAST_FEATURES.path(dataset=dataset, model=model, story=s)
                for s in self.listening[dataset].stories}

    def forecast_score_inputs(self, dataset: str, model: str) -> dict[str, object]:
        return {"responses": self.listener_dirs(dataset),
                "features": paths.MODEL_FORECAST.path(dataset=dataset, model=model),
                "vertices": paths.VERTICES.path(dataset=dataset)}

    def forecast_gain_inputs(self, dataset: str) -> dict[str, object]:
        return {
            "scores": [paths.FORECAST_SCORES.path(dataset=dataset, model=m)
                       for m in self.forecast.models],
            "ceilings": paths.CEILINGS.path(dataset=dataset),
            "vertices": paths.VERTICES.path(dataset=dataset),
        }

    def forecast_sources(self, dataset: str) -> provenance.Sources:
        return self.sources(dataset, self.forecast.models)


def check_pretrained(spec: ModelSpec) -> None:
    """ValueError unless ``spec`` names exactly one published source, and nothing to train."""
    p = spec.pretrained
    if spec.family != "pretrained" or p is None:
        raise ValueError("a published checkpoint needs both `family: pretrained` and "
                         "`pretrained: {hub: ...}` or `{path: ...}`")
    if spec.training is not None:
        raise ValueError("a pretrained model is imported, not trained: set `training: null`")
    if (p.hub is None) == (p.path is None):
        raise ValueError("set exactly one of pretrained.hub and pretrained.path")
    if p.hub and p.format != "huggingface":
        raise ValueError(f"pretrained.format {p.format!r} is read from a local path, not the "
                         "hub")
    if p.revision and not p.hub:
        raise ValueError("pretrained.revision applies to a hub download only")


def check_reading(spec: ModelSpec, chosen: Objective | None, models: dict[str, ModelSpec]
                  ) -> None:
    """ValueError unless ``spec``'s family, objective, training and ``of``/``context`` fit:
    a text objective trains a text family and only that; ``steps: 0`` is a text model's
    untrained control; a text model has a corpus (its vocabulary) or reads another's
    checkpoint (``of``), and only a shuffled-context control reads another's."""
    if chosen is not None and chosen.input != spec.modality:
        raise ValueError(f"objective {chosen.name!r} reads {chosen.input}; family "
                         f"{spec.family!r} reads {spec.modality}")
    if spec.training is not None and spec.training.steps == 0 and not spec.text:
        raise ValueError("`steps: 0` is a language model's untrained control; a speech "
                         "model's is `training: null`")
    if spec.context != "intact" and not spec.text:
        raise ValueError(f"context {spec.context!r} applies to text models only")
    if (spec.of is None) != (spec.context == "intact"):
        raise ValueError("a context control reads another entry's checkpoint: set both `of` "
                         "and `context: shuffled`, or neither")
    if spec.of is None:
        if spec.text and spec.training is None:
            raise ValueError("a text model's vocabulary comes from its corpus: give it "
                             "`training` (`steps: 0` for the untrained control) or `of`")
        return
    if spec.training is not None or spec.pretrained is not None:
        raise ValueError(f"an entry with `of` reads {spec.of!r}'s checkpoint: set "
                         "`training: null` and no `pretrained`")
    other = models.get(spec.of)
    if other is None or other.of is not None or other.family != spec.family:
        raise ValueError(f"`of: {spec.of}` must name a {spec.family} model with a checkpoint "
                         "of its own")


def check_seed_of(spec: ModelSpec, models: dict[str, ModelSpec]) -> None:
    """ValueError unless ``spec.seed_of`` (when set) names an entry that is no seed of
    another, with the same family, preset and training (or none) and another seed."""
    if spec.seed_of is None:
        return
    other = models.get(spec.seed_of)
    if other is None or other.seed_of is not None:
        raise ValueError(f"`seed_of: {spec.seed_of}` must name a configured model that is no "
                         "seed of another")
    same = ("family", "preset", "training", "pretrained", "of", "context")
    differ = [f for f in same if getattr(spec, f) != getattr(other, f)]
    if differ:
        raise ValueError(f"`seed_of: {spec.seed_of}`: the seeds of one model differ only in "
                         f"`seed`; these differ too: {differ}")
    if spec.seed == other.seed:
        raise ValueError(f"`seed_of: {spec.seed_of}` has the same seed ({spec.seed})")


def wildcard_choice(names: tuple[str, ...]) -> str:
    """A wildcard regex matching exactly ``names`` (and nothing when there are none)."""
    return "|".join(re.escape(n) for n in names) or "(?!)"


def _selected(kind: str, chosen: list[str] | None, configured: dict) -> tuple[str, ...]:
    if chosen is None:
        return tuple(configured)
    unknown = sorted(set(chosen) - set(configured))
    if unknown:
        raise PlanError(f"targets.{kind} names {unknown}, not configured under {kind}")
    return tuple(chosen)
