"""Typed views of the validated workflow configuration (schemas/config.schema.yaml).

Snakemake validates ``config.yaml`` and fills defaults; these dataclasses turn the sections a
script needs into typed objects and hold the path conventions of each dataset layout, so rules
and scripts never assemble file names themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ListeningSimulation:
    languages: tuple[str, ...] = ("en", "fr", "zh")
    stories_per_language: int = 2
    story_minutes: float = 3.6
    subjects_per_language: int = 3
    surface_level: int = 3
    lead_in_trs: int = 4
    tail_trs: int = 8
    snr_range: tuple[float, float] = (0.05, 2.0)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ListeningSimulation:
        return cls(**{**d, "languages": tuple(d.get("languages", cls.languages)),
                      "snr_range": tuple(d.get("snr_range", cls.snr_range))})

    @property
    def tasks(self) -> list[str]:
        return [f"{lang}{k + 1}" for lang in self.languages
                for k in range(self.stories_per_language)]

    @property
    def subjects(self) -> list[str]:
        n = len(self.languages) * self.subjects_per_language
        return [f"sub-{i + 1:03d}" for i in range(n)]


@dataclass(frozen=True)
class Exclusion:
    subject: str
    task: str
    reason: str = ""


@dataclass(frozen=True)
class ListeningDataset:
    """A story-listening fMRI dataset in the Narratives (BIDS) layout."""

    name: str
    source: str
    subjects: tuple[str, ...]
    tasks: tuple[str, ...]
    simulate: ListeningSimulation | None = None
    space: str = "fsaverage6"
    derivative: str = "afni-nosmooth"
    hemis: tuple[str, ...] = ("L", "R")
    rois: str | None = None
    groundtruth: bool = False
    tr: float = 1.5
    max_tail_s: float = 30.0
    trim_start: int = 0
    trim_end: int = 0
    exclude: tuple[Exclusion, ...] = field(default_factory=tuple)

    @classmethod
    def from_config(cls, name: str, d: dict[str, Any]) -> ListeningDataset:
        sim = d.get("simulate")
        trim = d.get("trim") or {}
        return cls(
            name=name, source=d["source"], subjects=tuple(d["subjects"]), tasks=tuple(d["tasks"]),
            simulate=ListeningSimulation.from_dict(sim) if sim is not None else None,
            space=d.get("space", "fsaverage6"), derivative=d.get("derivative", "afni-nosmooth"),
            hemis=tuple(d.get("hemis", ("L", "R"))), rois=d.get("rois"),
            groundtruth=bool(d.get("groundtruth", False)), tr=float(d.get("tr", 1.5)),
            max_tail_s=float(d.get("max_tail_s", 30.0)),
            trim_start=int(trim.get("start_trs", 0)), trim_end=int(trim.get("end_trs", 0)),
            exclude=tuple(Exclusion(**e) for e in d.get("exclude", [])),
        )

    # -- the Narratives layout ------------------------------------------------------------
    def audio(self, task: str) -> str:
        return f"stimuli/{task}_audio.wav"

    def alignment(self, task: str) -> str:
        return f"stimuli/gentle/{task}/align.json"

    def events(self, subject: str, task: str) -> str:
        return f"{subject}/func/{subject}_task-{task}_events.tsv"

    def surface_data(self, subject: str, task: str, hemi: str) -> str:
        return (f"derivatives/{self.derivative}/{subject}/func/{subject}_task-{task}"
                f"_space-{self.space}_hemi-{hemi}_desc-clean.func.gii")

    def roi_labels(self, hemi: str) -> str | None:
        return self.rois.replace("{hemi}", hemi) if self.rois else None

    def groundtruth_table(self, subject: str) -> str:
        return f"derivatives/groundtruth/{subject}_desc-snr.tsv"

    # -- selections -------------------------------------------------------------------------
    def runs(self) -> list[tuple[str, str]]:
        """(subject, task) pairs to preprocess: every selected pair minus the exclusions."""
        excluded = {(e.subject, e.task) for e in self.exclude}
        return [(s, t) for s in self.subjects for t in self.tasks if (s, t) not in excluded]

    def files_to_get(self) -> list[str]:
        """Paths (relative to the dataset root) that acquisition fetches, and nothing more."""
        paths = ["participants.tsv", "dataset_description.json"]
        for task in self.tasks:
            paths += [self.audio(task), self.alignment(task)]
        for subject, task in self.runs():
            paths.append(self.events(subject, task))
            paths += [self.surface_data(subject, task, h) for h in self.hemis]
        if self.rois:
            paths += [self.roi_labels(h) for h in self.hemis]  # type: ignore[misc]
        if self.groundtruth:
            paths += [self.groundtruth_table(s) for s in self.subjects]
            paths.append("derivatives/groundtruth/desc-drivers_crosscorr.tsv")
        return list(dict.fromkeys(paths))


@dataclass(frozen=True)
class CorpusSimulation:
    hours: dict[str, float] = field(default_factory=lambda: {
        "en": 1.0, "fr": 1.0, "zh": 1.0, "nonspeech": 1.0})
    speakers: int = 4
    chapter_minutes: float = 2.0

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CorpusSimulation:
        return cls(**d)


@dataclass(frozen=True)
class Corpus:
    """A training corpus: ``<collection>/<speaker>/<chapter>.wav`` (+ ``.align.json``)."""

    name: str
    source: str
    collections: tuple[str, ...]
    simulate: CorpusSimulation | None = None
    sample_rate: int = 16000
    shard_minutes: float = 30.0
    row_group_chapters: int = 4

    @classmethod
    def from_config(cls, name: str, d: dict[str, Any]) -> Corpus:
        sim = d.get("simulate")
        return cls(name=name, source=d["source"], collections=tuple(d["collections"]),
                   simulate=CorpusSimulation.from_dict(sim) if sim is not None else None,
                   sample_rate=int(d.get("sample_rate", 16000)),
                   shard_minutes=float(d.get("shard_minutes", 30.0)),
                   row_group_chapters=int(d.get("row_group_chapters", 4)))

    def files_to_get(self) -> list[str]:
        return list(self.collections)
