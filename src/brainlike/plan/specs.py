"""Typed views of the config's method sections: features, scores, probe, models.

No field has a default here: ``from_config`` fills what a config leaves out from the schema
(:mod:`brainlike.plan.schema`), so each default exists once. Sequences become tuples, so
every spec is hashable and compares by value.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from brainlike.models.configs import TEXT_FAMILIES, VIDEO_FAMILIES
from brainlike.plan.schema import section_defaults

S = TypeVar("S")


def build(cls: type[S], values: dict[str, Any], nested: dict[str, type] | None = None) -> S:
    """``cls`` from a dict holding exactly its fields (lists become tuples)."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    missing, unknown = set(names) - values.keys(), values.keys() - set(names)
    if missing or unknown:
        raise ValueError(f"{cls.__name__}: missing {sorted(missing)}, unknown {sorted(unknown)}")
    out = {}
    for name in names:
        value = values[name]
        if nested and name in nested and isinstance(value, dict):
            value = nested[name].from_config(value)
        elif isinstance(value, list):
            value = tuple(value)
        out[name] = value
    return cls(**out)


@dataclasses.dataclass(frozen=True)
class FeatureSpec:
    """How layer activations become regressors on the volume grid (``features``)."""

    rate: float
    window_s: float
    context_s: float
    scaling: str
    response: str
    fir_delays: tuple[int, ...]
    tail_s: float
    precision: str

    @classmethod
    def from_config(cls, d: dict | None = None) -> FeatureSpec:
        return build(cls, section_defaults("features", d))


@dataclasses.dataclass(frozen=True)
class ScoreSpec:
    """The brain-score method (``scores``): ridge, cross-validation, ceilings, statistics."""

    alphas: tuple[float, ...]
    cv: str
    n_folds: int
    solver: str
    chunk_size: int
    ceiling: str
    ceiling_group: str | None
    ceiling_floor: float
    permutations: int
    block_trs: int
    fdr_q: float

    @classmethod
    def from_config(cls, d: dict | None = None) -> ScoreSpec:
        spec = build(cls, section_defaults("scores", d))
        return dataclasses.replace(spec, alphas=tuple(float(a) for a in spec.alphas))


@dataclasses.dataclass(frozen=True)
class ProbeSpec:
    """The layer-wise phone probe (``probe``)."""

    enabled: bool
    dataset: str
    stories: tuple[str, ...]
    n_folds: int
    min_frames: int

    @classmethod
    def from_config(cls, d: dict | None = None) -> ProbeSpec:
        return build(cls, section_defaults("probe", d))


@dataclasses.dataclass(frozen=True)
class ForecastSpec:
    """Forecast windows (``forecast``): which models, how far ahead, on which layers."""

    models: tuple[str, ...]
    distances: tuple[int, ...]
    offsets_s: tuple[float, ...]
    components: int | None
    layers: dict[str, tuple[str, ...]]

    @classmethod
    def from_config(cls, d: dict | None = None) -> ForecastSpec:
        spec = build(cls, section_defaults("forecast", d))
        return dataclasses.replace(spec, offsets_s=tuple(float(o) for o in spec.offsets_s),
                                   layers={m: tuple(v) for m, v in spec.layers.items()})

    def __hash__(self) -> int:  # ``layers`` is a dict; compare and hash by value
        return hash((self.models, self.distances, self.offsets_s, self.components,
                     tuple(sorted(self.layers.items()))))


@dataclasses.dataclass(frozen=True)
class VisionSpec:
    """How vision models meet the cells (``vision``): baselines, time bins, ridge, RSA,
    bootstrap, the cue-conflict probe."""

    baselines: tuple[str, ...]
    bin_frames: int
    delays: tuple[int, ...]
    n_folds: int
    ceiling_floor: float
    rdm_splits: int
    bootstrap: int
    cue_conflict: int

    @classmethod
    def from_config(cls, d: dict | None = None) -> VisionSpec:
        return build(cls, section_defaults("vision", d))


@dataclasses.dataclass(frozen=True)
class ClusterTargets:
    """HuBERT's k-means targets: MFCC clusters, or a teacher layer's (iteration 2)."""

    source: str
    layer: str
    clusters: int
    fit_batches: int

    @classmethod
    def from_config(cls, d: dict | None = None) -> ClusterTargets:
        return build(cls, section_defaults("cluster_targets", d))


@dataclasses.dataclass(frozen=True)
class TrainingSpec:
    """A model's training recipe (``models.<name>.training``)."""

    objective: str
    corpus: str
    collections: tuple[str, ...]
    teacher: str | None
    targets: ClusterTargets
    unmasked_weight: float
    quantizer: str
    quantize: str
    mask_prob: float
    mask_span: tuple[int, int]
    steps: int
    min_count: int
    batch_size: int
    crop_seconds: float
    lr: float
    warmup_steps: int
    min_lr: float
    weight_decay: float
    grad_clip: float
    log_every: int
    checkpoint_every: int
    loader_workers: int
    heldout_chapters: int
    precision: str

    @classmethod
    def from_config(cls, d: dict) -> TrainingSpec:
        return build(cls, section_defaults("training", d), nested={"targets": ClusterTargets})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class PretrainedSpec:
    """The published checkpoint a ``family: pretrained`` model imports (``models.<name>.
    pretrained``): a hub id or a local path, its format and waveform normalisation."""

    hub: str | None
    revision: str | None
    path: str | None
    format: str
    normalize: bool | None

    @classmethod
    def from_config(cls, d: dict) -> PretrainedSpec:
        return build(cls, section_defaults("pretrained", d))

    @property
    def source(self) -> str:
        """What the checkpoint came from, as a person would name it."""
        if self.hub:
            return f"{self.hub}@{self.revision}" if self.revision else self.hub
        return str(self.path)


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One entry of ``models``: an architecture preset and its training (None: untrained),
    or a published checkpoint (``pretrained``), or another entry's checkpoint read another
    way (``of``, ``context``: a language model's shuffled-context control)."""

    name: str
    family: str
    preset: str
    seed: int
    training: TrainingSpec | None
    pretrained: PretrainedSpec | None
    of: str | None
    context: str
    seed_of: str | None

    @classmethod
    def from_config(cls, name: str, d: dict) -> ModelSpec:
        values = section_defaults("model", d)
        training, pretrained = values.pop("training"), values.pop("pretrained")
        return cls(name=name, family=values["family"], preset=values["preset"],
                   seed=int(values["seed"]),
                   training=TrainingSpec.from_config(training) if training else None,
                   pretrained=PretrainedSpec.from_config(pretrained) if pretrained else None,
                   of=values["of"], context=values["context"], seed_of=values["seed_of"])

    @property
    def trained(self) -> bool:
        """Optimised here (``steps: 0`` builds a language model's vocabulary, no more)."""
        return self.training is not None and self.training.steps > 0

    @property
    def untrained(self) -> bool:
        """A random initialisation (a control): neither trained here nor imported, and
        read as it is."""
        return (not self.trained and self.pretrained is None and self.of is None
                and self.context == "intact")

    @property
    def text(self) -> bool:
        """Reads the stimulus's words, not its audio (a text family)."""
        return self.family in TEXT_FAMILIES

    @property
    def modality(self) -> str:
        """What the model reads: "audio", "text" or "video" (frames)."""
        return "video" if self.family in VIDEO_FAMILIES else "text" if self.text else "audio"

    def to_dict(self) -> dict[str, Any]:
        """Plain types (the checkpoint stores the recipe it was trained by)."""
        return dataclasses.asdict(self)
