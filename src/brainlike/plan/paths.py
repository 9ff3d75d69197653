"""Every file the workflow makes, as one pattern each, readable both ways.

A :class:`Pattern` is the string a rule declares as its output (so Snakemake sees the usual
``{wildcard}`` template) and knows both directions: ``path(**values)`` fills it, checking each
value against its wildcard's constraint, and ``parse(path)`` reads the values back. Rules,
the plan and tests ask these for file names; nothing else assembles one.
"""

from __future__ import annotations

import functools
import re
import string

#: Wildcard -> the values it may take: no path separators, no shell metacharacters.
WILDCARDS: dict[str, str] = {
    "dataset": r"[A-Za-z0-9][A-Za-z0-9_-]*",
    "corpus": r"[A-Za-z0-9][A-Za-z0-9_-]*",
    "name": r"[A-Za-z0-9][A-Za-z0-9_-]*",
    "collection": r"[A-Za-z0-9][A-Za-z0-9_-]*",
    "subject": r"sub-[A-Za-z0-9]+",
    # A run's name: its BIDS task, or its story where a task has a run per story (LPP).
    "task": r"[A-Za-z0-9][A-Za-z0-9_-]*",
    "story": r"[A-Za-z0-9][A-Za-z0-9_-]*",
    "model": r"[A-Za-z0-9][A-Za-z0-9_-]*",
    "figure": r"[a-z_]+",
    # A two-photon session (imaging plane) in the DANDI 000728 naming.
    "session": r"sub-[A-Za-z0-9]+_ses-[A-Za-z0-9]+",
}


_MATCH = {name: re.compile(regex).fullmatch for name, regex in WILDCARDS.items()}


@functools.cache
def _fields(template: str) -> tuple[str, ...]:
    return tuple(f for _, f, _, _ in string.Formatter().parse(template) if f)


class Pattern(str):
    """A path template such as ``features/{dataset}/{model}/{task}.parquet``."""

    @property
    def fields(self) -> tuple[str, ...]:
        return _fields(self)

    def path(self, **values: object) -> str:
        fields = _fields(self)
        missing = set(fields) - values.keys()
        if missing:
            raise ValueError(f"{self}: no value for {sorted(missing)}")
        for name in fields:
            if not _MATCH[name](str(values[name])):
                raise ValueError(f"{self}: {name}={values[name]!r} does not match "
                                 f"{WILDCARDS[name]}")
        return self.format(**{k: values[k] for k in fields})

    def fix(self, **values: object) -> Pattern:
        """This pattern with some wildcards filled (the rest stay wildcards)."""
        return Pattern(string.Formatter().vformat(self, (), _Keep(values)))

    def parse(self, path: str) -> dict[str, str]:
        """The wildcard values of ``path`` (relative to the workdir, or ending with it)."""
        regex = "".join(re.escape(literal) + (f"(?P<{name}>{WILDCARDS[name]})" if name else "")
                        for literal, name, _, _ in string.Formatter().parse(self))
        match = re.search(f"(?:^|/){regex}$", str(path))
        if match is None:
            raise ValueError(f"{path} is not a {self} path")
        return match.groupdict()


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# Simulated sources (the embedded default's stand-ins for OpenNeuro/DANDI).
LISTENING_SOURCE = Pattern("data/sources/{dataset}.listening.json")
CORPUS_SOURCE = Pattern("data/sources/{corpus}.corpus.json")
VIEWING_SOURCE = Pattern("data/sources/{dataset}.viewing.json")
# DataLad acquisition: the clone and the record of what it holds.
RAW = Pattern("data/raw/{name}")
MANIFEST = Pattern("data/raw/{name}.manifest.json")
# Validated Parquet.
STIMULUS = Pattern("data/parquet/{dataset}/stimuli/{story}.parquet")
VERTICES = Pattern("data/parquet/{dataset}/vertices.parquet")
# A listener's runs, one job and one directory per listener (a file per run inside).
LISTENER = Pattern("data/parquet/{dataset}/responses/{subject}")
RESPONSES = Pattern("data/parquet/{dataset}/responses/{subject}/task-{task}.parquet")
GROUNDTRUTH = Pattern("data/parquet/{dataset}/groundtruth.parquet")
SHARDS = Pattern("data/corpora/{corpus}/{collection}")
# A viewing dataset: the movie is its one stimulus (STIMULUS, story = the movie), cells
# instead of vertices, a file per session of cell x repeat x frame responses.
CELLS = Pattern("data/parquet/{dataset}/cells.parquet")
SESSIONS = Pattern("data/parquet/{dataset}/sessions")
SESSION = Pattern("data/parquet/{dataset}/sessions/{session}.parquet")
# The cue-conflict probe images (shape of one class, texture of another).
CUE_CONFLICT = Pattern("data/probes/cue_conflict.parquet")
# Models.
MODEL = Pattern("models/{model}/model.pt")
TRAINING_LOG = Pattern("models/{model}/training_log.parquet")
HELDOUT = Pattern("models/{model}/heldout.json")
TRAINING_STATE = Pattern("models/{model}/checkpoints/state.pt")
# A published checkpoint downloaded from the Hugging Face hub (family: pretrained, hub: ...).
PRETRAINED = Pattern("data/pretrained/{model}")
# Features and scores.
# A model's features, one job and one directory per model (a file per story inside).
MODEL_FEATURES = Pattern("features/{dataset}/{model}")
FEATURES = Pattern("features/{dataset}/{model}/{story}.parquet")
BRAINSCORES = Pattern("results/brainscores/{dataset}/{model}.parquet")
ROISCORES = Pattern("results/brainscores/{dataset}/{model}.rois.parquet")
CEILINGS = Pattern("results/ceilings/{dataset}.parquet")
SUMMARY = Pattern("results/summary/{dataset}.parquet")
PROBE = Pattern("results/probes/{dataset}/{model}.parquet")
PROBE_SUMMARY = Pattern("results/probes/{dataset}.summary.parquet")
# Forecast windows: a model's chosen layers without and with each window, a job and a directory
# per model beside its features (not inside: that directory is the features job's output);
# their scores, and the dataset's table of gains.
MODEL_FORECAST = Pattern("features/{dataset}/{model}.forecast")
FORECAST_FEATURES = Pattern("features/{dataset}/{model}.forecast/{story}.parquet")
FORECAST_SCORES = Pattern("results/forecast/{dataset}/{model}.parquet")
FORECAST_ROIS = Pattern("results/forecast/{dataset}/{model}.rois.parquet")
FORECAST_GAINS = Pattern("results/forecast/{dataset}.parquet")
# Vision: BRAINSCORES holds a model's per-cell ridge scores, ROISCORES its per-area RSA, CKA
# and ridge; the dataset's pathway specialisation; each model's cue-conflict shape bias.
SPECIALISATION = Pattern("results/summary/{dataset}.specialisation.parquet")
SHAPE_BIAS = Pattern("results/shape_bias/{model}.parquet")
SHAPE_BIAS_TABLE = Pattern("results/shape_bias.parquet")
SHAPE_BIAS_FIGURE = Pattern("results/figures/shape_bias.svg")
# Figures (each rule names its own) and the table behind the native-language figure.
FIGURE = Pattern("results/figures/{dataset}/{figure}.svg")
NATIVE_TABLE = Pattern("results/figures/{dataset}/native_language.parquet")
TRAINING_CURVES = Pattern("results/figures/training_curves.svg")
# Every result's provenance sidecar, gathered (brainlike.provenance).
PROVENANCE = Pattern("results/provenance.json")
