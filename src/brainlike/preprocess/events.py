"""A run's story presentations from its BIDS ``events.tsv``.

Narratives runs are not one row per story: many begin with music (pieman: music 0-13 s,
story from 15 s), some present a story in two parts with music between them (slumlordreach),
and the stimulus is the one ``stim_file`` names, not the task's (milkyway's listeners heard
one of three versions). Only rows whose ``trial_type`` is ``story`` are the story; a table
without ``trial_type`` is taken to hold story rows only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from brainlike.errors import InputError

STORY_TRIAL = "story"


@dataclass(frozen=True)
class Segment:
    """One story row: ``duration`` s of the stimulus from ``audio_start`` s, heard at ``onset``."""

    onset: float
    duration: float
    audio_start: float


@dataclass(frozen=True)
class StoryEvents:
    """The story a run presents and its segments, in scan order."""

    story: str
    segments: tuple[Segment, ...]

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.segments)


def read_story_events(path: str | Path, stories: Mapping[str, str]) -> StoryEvents:
    """The story rows of ``path``; ``stories`` maps each allowed ``stim_file`` to its story.

    Rows of one stimulus are consecutive parts of its audio file (the first from 0 s, each
    next one where the previous ended), as Narratives' two-part stories are stored.
    """
    path = Path(path)
    try:
        events = pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["n/a", ""])
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(path, f"unreadable events table ({exc})") from exc
    for col in ("onset", "duration"):
        if col not in events.columns:
            raise InputError(path, f"events table has no {col!r} column")
    if "trial_type" in events.columns:
        events = events[events["trial_type"].astype(str) == STORY_TRIAL]
    if len(events) == 0:
        raise InputError(path, f"events table has no {STORY_TRIAL!r} rows")
    story = _story_of(path, events, stories)
    events = events.sort_values("onset")
    segments, start = [], 0.0
    for onset, duration in zip(events["onset"].astype(float), events["duration"].astype(float)):
        if not (np.isfinite(onset) and np.isfinite(duration) and duration > 0):
            raise InputError(path, f"story event has onset {onset} and duration {duration}")
        if segments and onset < segments[-1].onset + segments[-1].duration:
            raise InputError(path, f"story rows overlap: one starts at {onset} s before the "
                             "previous ends")
        segments.append(Segment(onset=onset, duration=duration, audio_start=start))
        start += duration
    return StoryEvents(story=story, segments=tuple(segments))


def _story_of(path: Path, events: pd.DataFrame, stories: Mapping[str, str]) -> str:
    if "stim_file" not in events.columns:
        if len(set(stories.values())) == 1:  # one possible stimulus: nothing to choose
            return next(iter(stories.values()))
        raise InputError(path, "events table has no 'stim_file' column, and the task may "
                         f"present any of {sorted(stories)}")
    named = list(dict.fromkeys(events["stim_file"].astype(str)))
    if len(named) > 1:
        raise InputError(path, f"story rows name several stimuli {named}: a run presenting "
                         "more than one story is not supported")
    stim_file = Path(named[0]).name
    if stim_file not in stories:
        raise InputError(path, f"stim_file {named[0]!r} is not a stimulus of this task "
                         f"(expected one of {sorted(stories)}; list it under the dataset's "
                         "`stories`)")
    return stories[stim_file]


def story_times(events: StoryEvents, scan_times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each volume's time in the stimulus, and which volumes to keep.

    A volume belongs to the last part that began before it (volumes before the first part get
    negative times: nothing heard yet). Volumes after a part ended and before the next began
    (music between the parts) are dropped: in the stimulus file the next part follows at once,
    so no stimulus time describes them.
    """
    onsets = np.array([s.onset for s in events.segments])
    part = np.clip(np.searchsorted(onsets, scan_times, side="right") - 1, 0, None)
    seg = [events.segments[k] for k in part]
    times = np.array([t - s.onset + s.audio_start for t, s in zip(scan_times, seg)])
    between = np.array([k < len(onsets) - 1 and t >= s.onset + s.duration
                        for k, t, s in zip(part, scan_times, seg)], dtype=bool)
    return times, ~between
