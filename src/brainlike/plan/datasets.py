"""Datasets as the plan sees them: listening fMRI datasets and training corpora.

Each holds its layout's path conventions (relative to the dataset root), so rules and scripts
never assemble a raw file name themselves. Defaults come from the schema (``from_config``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from brainlike.plan.schema import section_defaults
from brainlike.preprocess import lpp
from brainlike.plan.specs import build
from brainlike.simulate.driver_kinds import DriverKinds


@dataclass(frozen=True)
class AcousticConditions:
    """What a simulated recording may sound like, drawn per sentence (``acoustics``): an SNR
    range (dB), the noise kinds, an RT60 range (s) and the chance of a clean sentence."""

    snr_db: tuple[float, float]
    noise: tuple[str, ...]
    rt60_s: tuple[float, float]
    clean_fraction: float

    def __post_init__(self) -> None:
        for name in ("snr_db", "rt60_s"):
            lo, hi = getattr(self, name)
            if lo > hi:
                raise ValueError(f"acoustics.{name} must be [low, high], got [{lo}, {hi}]")

    @classmethod
    def from_config(cls, d: dict[str, Any] | None = None) -> AcousticConditions:
        return build(cls, section_defaults("acoustics", d))


@dataclass(frozen=True)
class ListeningSimulation:
    languages: tuple[str, ...]
    stories_per_language: int
    story_minutes: float
    subjects_per_language: int
    surface_level: int
    lead_in_trs: int
    tail_trs: int
    snr_range: tuple[float, float]
    drivers: DriverKinds
    orthogonalise: bool | None
    talkers: int
    acoustics: AcousticConditions | None

    @classmethod
    def from_config(cls, d: dict[str, Any] | None = None) -> ListeningSimulation:
        values = section_defaults("listening_simulation", d)
        values["drivers"] = DriverKinds(**values["drivers"])
        return build(cls, values, nested={"acoustics": AcousticConditions})

    @property
    def tasks(self) -> list[str]:
        return [f"{lang}{k + 1}" for lang in self.languages
                for k in range(self.stories_per_language)]

    @property
    def subjects(self) -> list[str]:
        n = len(self.languages) * self.subjects_per_language
        return [f"sub-{i + 1:03d}" for i in range(n)]


def _stories(layout: str, task: str, sections: list[int]) -> list[str]:
    """A task's stories when the config does not list them: its own name, or its sections."""
    if layout == "lpp":
        language = task.removeprefix("lpp")
        return [lpp.story(language, k) for k in sections]
    return [task]


@dataclass(frozen=True)
class Exclusion:
    subject: str
    task: str
    reason: str


@dataclass(frozen=True)
class ListeningDataset:
    """A story-listening fMRI dataset in the Narratives (BIDS) layout."""

    name: str
    source: str
    version: str | None
    layout: str
    sections: tuple[int, ...]
    mask: str
    subjects: tuple[str, ...]
    tasks: tuple[str, ...]
    # task -> its stories, as pairs: the dataset stays hashable
    story_map: tuple[tuple[str, tuple[str, ...]], ...]
    simulate: ListeningSimulation | None
    space: str
    derivative: str
    hemis: tuple[str, ...]
    rois: str | None
    atlas: str | None
    groundtruth: bool
    tr: float
    max_tail_s: float
    trim_start: int
    trim_end: int
    exclude: tuple[Exclusion, ...]

    @classmethod
    def from_config(cls, name: str, d: dict[str, Any]) -> ListeningDataset:
        d = section_defaults("listening_dataset", d)
        sim = d["simulate"]
        return cls(
            name=name, source=d["source"], version=d["version"], layout=d["layout"],
            sections=tuple(d["sections"]), mask=d["mask"], subjects=tuple(d["subjects"]), tasks=tuple(d["tasks"]),
            story_map=tuple((t, tuple(d["stories"].get(t, _stories(d["layout"], t,
                                                                   d["sections"]))))
                            for t in d["tasks"]),
            simulate=ListeningSimulation.from_config(sim) if sim is not None else None,
            space=d["space"], derivative=d["derivative"], hemis=tuple(d["hemis"]),
            rois=d["rois"], atlas=d["atlas"], groundtruth=bool(d["groundtruth"]), tr=float(d["tr"]),
            max_tail_s=float(d["max_tail_s"]), trim_start=int(d["trim"]["start_trs"]),
            trim_end=int(d["trim"]["end_trs"]),
            exclude=tuple(Exclusion(**e) for e in d["exclude"]),
        )

    # -- the Narratives layout (Le Petit Prince's where it differs) ------------------------
    def stim_file(self, story: str) -> str:
        """The name events.tsv gives the story in its ``stim_file`` column."""
        return f"{story}_audio.wav"

    def audio(self, story: str) -> str:
        if self.layout == "lpp":
            return lpp.audio(*lpp.parse_story(story))
        return f"stimuli/{self.stim_file(story)}"

    def alignment(self, story: str) -> str:
        if self.layout == "lpp":
            return lpp.textgrid(*lpp.parse_story(story))
        return f"stimuli/gentle/{story}/align.json"

    @property
    def derived_columns(self) -> tuple[str, ...]:
        """participants.tsv columns the layout supplies itself (LPP: the language, from the
        subject id; the real file has no such column)."""
        return ("native_language",) if self.layout == "lpp" else ()

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
    def task_stories(self, task: str) -> tuple[str, ...]:
        return dict(self.story_map)[task]

    @property
    def stories(self) -> tuple[str, ...]:
        """Every story some selected task may present, in task order."""
        return tuple(dict.fromkeys(s for _, stories in self.story_map for s in stories))

    def runs(self) -> list[tuple[str, str]]:
        """(subject, run) pairs to preprocess: every selected pair minus the exclusions.

        A run is named by its task, or in the LPP layout by its story (section): a listener
        there has a run per section of their own language's task only.
        """
        excluded = {(e.subject, e.task) for e in self.exclude}
        if self.layout == "lpp":
            pairs = [(s, story) for s in self.subjects for t in self.tasks
                     if t == lpp.task(lpp.dataset_language(s)) for story in self.task_stories(t)]
        else:
            pairs = [(s, t) for s in self.subjects for t in self.tasks]
        return [p for p in pairs if p not in excluded]

    def files_to_get(self) -> list[str]:
        """Paths (relative to the dataset root) that acquisition fetches, and nothing more."""
        paths = ["participants.tsv", "dataset_description.json"]
        for story in self.stories:
            paths += [self.audio(story), self.alignment(story)]
        if self.layout == "lpp":
            # Run labels are found by order at job time: get each listener's whole folder.
            paths += [lpp.derivative_dir(s) for s in dict.fromkeys(s for s, _ in self.runs())]
            paths += [self.mask] if self.mask != "from_data" else []
            paths += [self.rois] if self.rois else []
            return list(dict.fromkeys(paths))
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
    hours: dict[str, float]
    speakers: int
    chapter_minutes: float
    acoustics: AcousticConditions | None

    @classmethod
    def from_config(cls, d: dict[str, Any] | None = None) -> CorpusSimulation:
        return build(cls, section_defaults("corpus_simulation", d),
                     nested={"acoustics": AcousticConditions})


@dataclass(frozen=True)
class Corpus:
    """A training corpus: ``<collection>/<speaker>/<chapter>.wav`` (+ ``.align.json``)."""

    name: str
    source: str
    version: str | None
    collections: tuple[str, ...]
    simulate: CorpusSimulation | None
    sample_rate: int
    shard_minutes: float
    row_group_chapters: int

    @classmethod
    def from_config(cls, name: str, d: dict[str, Any]) -> Corpus:
        d = section_defaults("corpus", d)
        sim = d["simulate"]
        return cls(name=name, source=d["source"], version=d["version"],
                   collections=tuple(d["collections"]),
                   simulate=CorpusSimulation.from_config(sim) if sim is not None else None,
                   sample_rate=int(d["sample_rate"]), shard_minutes=float(d["shard_minutes"]),
                   row_group_chapters=int(d["row_group_chapters"]))

    def files_to_get(self) -> list[str]:
        return list(self.collections)
