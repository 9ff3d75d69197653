"""The embedded training corpus: per-language synthesised speech and a non-speech control.

Layout (like a LibriVox-style corpus): ``<collection>/<speaker>/<id>.wav`` with the words and
phonemes in ``<id>.align.json`` (Gentle's format); collections are languages plus
``nonspeech``. A language's speakers are corpus talkers (``brainlike.simulate.acoustics``),
whose voices no listening story uses, each sentence in the corpus's rooms and noise. Its
random streams are disjoint from the listening stories', so training audio never repeats a
story.
"""

from __future__ import annotations

import logging
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

from brainlike.plan.datasets import AcousticConditions, Corpus
from brainlike.simulate.acoustics import Talker, scene_for, talkers
from brainlike.simulate.sounds import soundscape
from brainlike.simulate.speech import CORPUS_POOL, synthesize_story, write_gentle_alignment

log = logging.getLogger(__name__)

NONSPEECH = "nonspeech"
_STREAM = 11  # keeps corpus seeds apart from the listening stories' (7)


def speakers(collection: str, n: int, seed: int) -> list[Talker | str]:
    """``n`` speakers for a collection: corpus talkers, or sound source ids."""
    if collection == NONSPEECH:
        return [f"scene{i + 1:02d}" for i in range(n)]
    return list(talkers("corpus", n, [seed, _STREAM], collection))


def _chapter(args: tuple[Path, str, Talker | str, int, float, int,
                         AcousticConditions | None]) -> float:
    root, collection, speaker, index, seconds, seed, acoustics = args
    rng = np.random.default_rng([seed, _STREAM, sum(map(ord, collection)), index])
    name = speaker.name if isinstance(speaker, Talker) else speaker
    stem = root / collection / name / f"{collection}-{name}-{index:04d}"
    stem.parent.mkdir(parents=True, exist_ok=True)
    if collection == NONSPEECH:
        audio, sr = soundscape(seconds, rng), 22050
    else:
        if not isinstance(speaker, Talker):
            raise ValueError(f"a {collection} chapter needs a talker, got {speaker!r}")
        speech = synthesize_story(collection, seconds, rng, pool=CORPUS_POOL, talkers=[speaker],
                                  scene=scene_for(acoustics, "corpus", collection, seed))
        audio, sr = speech.audio, speech.sample_rate
        write_gentle_alignment(speech, None, stem.with_suffix(".align.json"))
    sf.write(stem.with_suffix(".wav"), audio, sr, subtype="PCM_16")
    return len(audio) / sr


def build_corpus(corpus: Corpus, seed: int, root: Path, workers: int = 2) -> dict:
    """Write every collection's chapters under ``root``; return seconds per collection."""
    sim = corpus.simulate
    if sim is None:
        raise ValueError(f"corpus {corpus.name} has no `simulate` section")
    jobs, owners = [], []
    for collection in corpus.collections:
        if collection not in sim.hours:
            raise ValueError(f"corpus {corpus.name}: no simulated hours for {collection!r}")
        chapter_s = sim.chapter_minutes * 60.0
        n = max(1, int(round(sim.hours[collection] * 3600 / chapter_s)))
        voices = speakers(collection, sim.speakers, seed)
        for i in range(n):
            jobs.append((root, collection, voices[i % len(voices)], i, chapter_s, seed,
                         sim.acoustics))
            owners.append(collection)
    # Separate processes: espeak-ng is a process-global C library with one synthesis at a time.
    with ProcessPoolExecutor(max_workers=workers) as pool:
        seconds = list(pool.map(_chapter, jobs, chunksize=4))
    totals = {c: 0.0 for c in corpus.collections}
    for owner, s in zip(owners, seconds):
        totals[owner] += s
    for c, s in totals.items():
        log.info("%s: %.1f min", c, s / 60)
    return {"seconds": {c: round(s, 1) for c, s in totals.items()}, "chapters": len(jobs)}
