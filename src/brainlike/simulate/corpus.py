"""The embedded training corpus: per-language synthesised speech and a non-speech control.

Layout (like a LibriVox-style corpus): ``<collection>/<speaker>/<id>.wav`` with the words and
phonemes in ``<id>.align.json`` (Gentle's format); collections are languages plus
``nonspeech``. Its random streams are disjoint from the listening stories', so training
audio never repeats a story.
"""

from __future__ import annotations

import logging
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

from brainlike.plan.datasets import Corpus
from brainlike.simulate.espeak import SPEAKER_VARIANTS
from brainlike.simulate.sounds import soundscape
from brainlike.simulate.speech import CORPUS_POOL, synthesize_story, write_gentle_alignment

log = logging.getLogger(__name__)

NONSPEECH = "nonspeech"
_STREAM = 11  # keeps corpus seeds apart from the listening stories' (7)


def speakers(collection: str, n: int, seed: int) -> list[str]:
    """``n`` speaker ids for a collection: espeak voice variants, or sound sources."""
    if collection == NONSPEECH:
        return [f"scene{i + 1:02d}" for i in range(n)]
    variants = sorted(SPEAKER_VARIANTS)  # the variants that sound like ordinary speakers
    rng = np.random.default_rng([seed, _STREAM, sum(map(ord, collection))])
    return [str(v) for v in rng.choice(variants, size=min(n, len(variants)), replace=False)]


def _chapter(args: tuple[Path, str, str, int, float, int]) -> float:
    root, collection, speaker, index, seconds, seed = args
    rng = np.random.default_rng([seed, _STREAM, sum(map(ord, collection)), index])
    stem = root / collection / speaker / f"{collection}-{speaker}-{index:04d}"
    stem.parent.mkdir(parents=True, exist_ok=True)
    if collection == NONSPEECH:
        audio, sr = soundscape(seconds, rng), 22050
    else:
        speech = synthesize_story(collection, seconds, rng, voice_variant=speaker,
                                  pool=CORPUS_POOL)
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
            jobs.append((root, collection, voices[i % len(voices)], i, chapter_s, seed))
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
