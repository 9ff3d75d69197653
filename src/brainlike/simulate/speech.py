"""Synthesised stories with ground-truth word and phoneme alignment, and Gentle align.json I/O.

A story is synthesised sentence by sentence with espeak-ng (``brainlike.simulate.espeak``), each
sentence with its own rate, pitch, loudness and following pause, then concatenated; talkers may
take turns, and a scene (``brainlike.simulate.acoustics``) may put each sentence in its own
room and noise. Word onsets come from espeak's WORD events, phonemes from its PHONEME events;
phonemes tile their word (the first starts at the word onset, each ends where the next starts,
the last at the word offset), which is also how Gentle's ``align.json`` stores them.
"""

from __future__ import annotations

import bisect
import functools
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from brainlike.simulate import espeak
from brainlike.simulate.languages import (default_voice, generate_sentence, sentence_text,
                                          sentence_words)
from brainlike.simulate.speech_types import PHONEME_COLUMNS, WORD_COLUMNS, Speech

if TYPE_CHECKING:  # acoustics builds on this module
    from brainlike.simulate.acoustics import Scene

SAMPLE_RATE = espeak.SAMPLE_RATE
#: Linear gain before the per-sentence variation, so that +6 dB on espeak's loudest output
#: (peaks up to full scale) stays below 0.9.
_BASE_GAIN = 0.45
_GAIN_DB = 6.0
_RATE_RANGE = (140, 200)
_PAUSE_S = (0.2, 1.2)
_LEAD_IN_S = (0.3, 1.0)
_MAX_RETRIES = 20
_STRESS_MARKS = "',%="
#: (word onsets, word offsets, phonemes as (name, onset, offset, word index)), in samples.
_Alignment = tuple[np.ndarray, np.ndarray, list[tuple[str, int, int, int]]]


def _is_pseudo_phoneme(name: str) -> bool:
    """espeak pauses (``_``, ``_:``), syllable / word boundaries (``_|``, ``||``), language
    switches (``(en)``) and the zero-length linking mark ``;`` are not phonemes."""
    stripped = name.strip()
    return (not stripped or stripped[0] in "_(|" or stripped == ";")


def _clean_phoneme(name: str) -> str:
    return name.strip().lstrip(_STRESS_MARKS)


@functools.lru_cache(maxsize=8192)
def _isolated_phone_count(voice: str, word: str) -> int:
    """Number of phonemes espeak gives ``word`` spoken alone (memoised; deterministic)."""
    syn = espeak.synthesize(word, voice)
    return sum(not _is_pseudo_phoneme(name) for name, _ in syn.phoneme_events)


def _word_onsets(syn: espeak.Synthesis, spans: list[tuple[int, int]], words: list[str],
                 voice: str, phone_starts: list[int]) -> np.ndarray | None:
    """Onset sample of each word ((words,) int64), or None if the events cannot be trusted.

    espeak emits no WORD event for a word it fused with the previous one (English "did not",
    "in the", French "parce que", Mandarin dictionary words spanning two of our words); such a
    word gets the last phonemes of the fused group, as many as it has when spoken alone.
    """
    starts = [s for s, _ in spans]
    onsets = np.full(len(spans), -1, dtype=np.int64)
    for position, _, sample in syn.word_events:
        i = bisect.bisect_right(starts, position) - 1
        if i < 0 or position >= spans[i][1]:
            continue  # an event outside every word span: punctuation
        onsets[i] = sample if onsets[i] < 0 else min(onsets[i], sample)
    if onsets[0] < 0:
        return None
    starts_arr = np.asarray(phone_starts, dtype=np.int64)
    i = 1
    while i < len(onsets):
        if onsets[i] >= 0:
            i += 1
            continue
        j = i
        while j < len(onsets) and onsets[j] < 0:
            j += 1  # words i..j-1 have no event; they end the group that starts at word i-1
        group_end = onsets[j] if j < len(onsets) else len(syn.audio)
        in_group = np.flatnonzero((starts_arr >= onsets[i - 1]) & (starts_arr < group_end))
        counts = [_isolated_phone_count(voice, w) for w in words[i:j]]
        if len(in_group) - sum(counts) < 1 or min(counts) < 1:
            return None
        k = len(in_group) - sum(counts)
        for m, count in zip(range(i, j), counts):
            onsets[m] = starts_arr[in_group[k]]
            k += count
        i = j
    if (np.diff(onsets) <= 0).any() or onsets[-1] >= len(syn.audio):
        return None
    return onsets


def _align_sentence(syn: espeak.Synthesis, spans: list[tuple[int, int]], words: list[str],
                    voice: str) -> _Alignment | None:
    """Word onsets/offsets (samples, (words,) int64 arrays) and phonemes (name, onset, offset,
    word index) for one synthesised sentence, or None when the events cannot be trusted."""
    total = len(syn.audio)
    events = syn.phoneme_events
    samples = [s for _, s in events]
    if any(b < a for a, b in zip(samples, samples[1:])):
        return None
    ends = [*samples[1:], total]  # a phoneme lasts until the next event of any kind
    real = [(_clean_phoneme(name), start, end) for (name, start), end in zip(events, ends)
            if not _is_pseudo_phoneme(name)]
    onsets = _word_onsets(syn, spans, words, voice, [start for _, start, _ in real])
    if onsets is None:
        return None
    by_word: list[list[tuple[str, int, int]]] = [[] for _ in spans]
    for name, start, end in real:
        # A phoneme before the first WORD event (none seen so far) would go to word 0.
        i = max(int(np.searchsorted(onsets, start, side="right")) - 1, 0)
        by_word[i].append((name, start, end))
    if any(not phones for phones in by_word):
        return None
    offsets = np.empty_like(onsets)
    for i, phones in enumerate(by_word):
        nxt = onsets[i + 1] if i + 1 < len(onsets) else total
        offsets[i] = min(max(end for _, _, end in phones), nxt)
    out: list[tuple[str, int, int, int]] = []
    for i, phones in enumerate(by_word):
        # Phonemes tile the word: the first absorbs any gap after the WORD event (a stop's
        # closure), the last ends at the word offset.
        inner = [int(np.clip(start, onsets[i], offsets[i])) for _, start, _ in phones[1:]]
        bounds = [int(onsets[i]), *inner, int(offsets[i])]
        out.extend((name, a, b, i) for (name, _, _), a, b in zip(phones, bounds, bounds[1:])
                   if b > a)
    return onsets, offsets, out


@dataclass(frozen=True)
class Talker:
    """A voice: an espeak-ng variant (None: the plain voice) with base rate (words per minute),
    base pitch and pitch range (espeak's 0-100 scales) around which its sentences vary."""

    variant: str | None
    rate: float
    pitch: float
    pitch_range: int

    @property
    def name(self) -> str:
        """A directory-safe id, e.g. ``m3-p44-r55-s170`` (pitch, range, speed)."""
        variant = "plain" if self.variant is None else self.variant.replace(" ", "_")
        return f"{variant}-p{self.pitch:.0f}-r{self.pitch_range}-s{self.rate:.0f}"


def variant_talker(language: str, variant: str | None) -> Talker:
    """The talker ``voice_variant`` stands for: fixed base rate, pitch and pitch range per
    variant, so that one variant sounds like the same speaker in every story."""
    if variant is None:
        return Talker(None, 170.0, 50.0, 50)
    r = np.random.default_rng(zlib.crc32(f"{language}+{variant}".encode()))
    return Talker(variant, float(r.uniform(155, 185)), float(r.uniform(38, 62)),
                  int(r.integers(40, 71)))


#: Sentence pools: listening stories and training corpora draw from disjoint halves of the
#: grammar's sentences, so no training utterance repeats a sentence a listener heard.
STORY_POOL, CORPUS_POOL = 0, 1


def sentence_pool(words: list[str]) -> int:
    """The pool (0 or 1) a sentence belongs to: a stable hash of its lower-cased words."""
    return zlib.crc32(" ".join(words).lower().encode("utf-8")) % 2


def _sentence(language: str, voice: str, talker: Talker, rng: np.random.Generator,
              pool: int | None = None) -> tuple[list[str], str, np.ndarray, _Alignment, float]:
    """Draws and synthesises one aligned sentence: (words, text, audio (samples,) float32 with
    its gain applied, alignment, pause in seconds to put after it)."""
    variant, base_rate, base_pitch, pitch_range = (talker.variant, talker.rate, talker.pitch,
                                                   talker.pitch_range)
    for _attempt in range(_MAX_RETRIES):
        tokens = generate_sentence(language, rng)
        while pool is not None and sentence_pool(sentence_words(tokens)) != pool:
            tokens = generate_sentence(language, rng)
        words = sentence_words(tokens)
        text, spans = sentence_text(language, tokens)
        rate = int(np.clip(round(base_rate + rng.normal(0.0, 10.0)), *_RATE_RANGE))
        pitch = int(np.clip(round(base_pitch + rng.uniform(-5.0, 5.0)), 0, 100))
        gain = _BASE_GAIN * 10.0 ** (rng.uniform(-_GAIN_DB, _GAIN_DB) / 20.0)
        pause = float(rng.uniform(*_PAUSE_S))
        seed = int(rng.integers(2**31 - 1))
        syn = espeak.synthesize(text, voice, rate=rate, pitch=pitch, variant=variant,
                                pitch_range=pitch_range, seed=seed)
        aligned = _align_sentence(syn, spans, words, voice)
        if aligned is not None:
            return words, text, (syn.audio * np.float32(gain)).astype(np.float32), aligned, pause
    raise RuntimeError(f"espeak events for {_MAX_RETRIES} {language} sentences in a row "
                       f"could not be aligned (last: {text!r})")


def synthesize_story(language: str, duration_s: float, rng: np.random.Generator,
                     voice_variant: str | None = None, pool: int | None = None,
                     talkers: Sequence[Talker] | None = None,
                     scene: Scene | None = None) -> Speech:
    """Synthesises about ``duration_s`` seconds of story in ``language`` ("en", "fr", "zh").

    Starts with 0.3-1.0 s of silence, then sentences separated by 0.2-1.2 s pauses, each with
    its own rate (140-200 wpm around the speaker's), pitch jitter and gain (within +-6 dB).
    A sentence is left out when it would overshoot ``duration_s`` by more than stopping
    before it undershoots (there is always at least one); silence pads the end to at least
    ``duration_s`` and at least 0.2 s after the last word.
    ``voice_variant`` is an espeak variant name (``espeak.SPEAKER_VARIANTS`` sound natural;
    any of ``espeak.available_variants()`` works) or None for the plain voice; each variant
    also gets its own fixed base rate, pitch and pitch range (``variant_talker``).
    ``talkers`` (instead of ``voice_variant``) read the sentences in turn: sentence i by
    ``talkers[i % len(talkers)]``. ``scene`` puts each sentence, with the pause after it (the
    last: with the end padding), in a room and noise of its own; these are drawn after all the
    sentences, so the words and their times are those of the same story without a scene.
    Returns ``Speech`` with audio (samples,) float32 at 22,050 Hz;
    ``speech.words.attrs["transcript"]`` holds the text and, when talkers or a scene are given,
    ``attrs["talkers"]`` each sentence's talker name and ``attrs["acoustics"]`` its condition.
    ``pool`` (``STORY_POOL``/``CORPUS_POOL``) restricts sentences to one half of the grammar.
    Deterministic given the state of ``rng``; without talkers and scene, as before they existed.
    """
    if not duration_s > 0:
        raise ValueError(f"duration_s must be positive, got {duration_s}")
    if talkers is not None and voice_variant is not None:
        raise ValueError("give either voice_variant or talkers, not both")
    if talkers is not None and len(talkers) == 0:
        raise ValueError("talkers is empty")
    voice = default_voice(language)
    cast = list(talkers) if talkers is not None else [variant_talker(language, voice_variant)]
    target = int(round(duration_s * SAMPLE_RATE))
    cursor = int(rng.uniform(*_LEAD_IN_S) * SAMPLE_RATE)  # end of the last accepted sentence
    chunks = [np.zeros(cursor, np.float32)]
    word_rows: list[tuple] = []
    phone_rows: list[tuple] = []
    texts: list[str] = []
    spans: list[tuple[int, int]] = []  # each sentence's (start, samples)
    readers: list[str] = []
    gap = 0  # pause owed before the next sentence
    while True:
        talker = cast[len(texts) % len(cast)]
        words, text, audio, (onsets, offsets, phones), pause = _sentence(
            language, voice, talker, rng, pool)
        start = cursor + gap
        if texts and start + len(audio) - target > target - cursor:
            break
        first_word, sentence = len(word_rows), len(texts)
        on_s, off_s = (start + onsets) / SAMPLE_RATE, (start + offsets) / SAMPLE_RATE
        word_rows += [(w, float(a), float(b), sentence, p, language)
                      for p, (w, a, b) in enumerate(zip(words, on_s, off_s))]
        phone_rows += [(name, (start + a) / SAMPLE_RATE, (start + b) / SAMPLE_RATE,
                        first_word + i) for name, a, b, i in phones]
        chunks += [np.zeros(gap, np.float32), audio]
        cursor = start + len(audio)
        texts.append(text)
        spans.append((start, len(audio)))
        readers.append(talker.name)
        if cursor >= target:
            break
        gap = int(pause * SAMPLE_RATE)
    tail = max(target - cursor, int(_PAUSE_S[0] * SAMPLE_RATE))
    chunks.append(np.zeros(tail, np.float32))
    audio = np.concatenate(chunks)
    conditions = []
    if scene is not None:
        audio, conditions = _in_scene(audio, spans, scene, rng)
    audio = np.clip(audio, -1.0, 1.0)
    words_df = pd.DataFrame(word_rows, columns=list(WORD_COLUMNS))
    words_df.attrs["transcript"] = " ".join(texts)
    if talkers is not None or scene is not None:
        words_df.attrs["talkers"] = readers
        words_df.attrs["acoustics"] = conditions or ["clean"] * len(texts)
    phonemes_df = pd.DataFrame(phone_rows, columns=list(PHONEME_COLUMNS))
    return Speech(audio=audio, sample_rate=SAMPLE_RATE, words=words_df, phonemes=phonemes_df,
                  language=language)


def _in_scene(audio: np.ndarray, spans: list[tuple[int, int]], scene: Scene,
              rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    """The dry story ``audio`` (samples,) with each sentence (``spans``: start, samples) and
    the silence up to the next one in its own condition; the lead-in stays silent. Returns the
    audio and each sentence's condition label."""
    # One draw from the story's stream, after its sentences: the words never depend on it.
    arng = np.random.default_rng(rng.integers(2**63))
    out = audio.copy()
    ends = [start for start, _ in spans[1:]] + [len(audio)]
    labels = []
    for (start, samples), end in zip(spans, ends):
        condition = scene.draw(arng)
        out[start:end] = scene.render(condition, audio[start:end], SAMPLE_RATE, arng,
                                      speech_samples=samples)
        labels.append(condition.label)
    return out, labels


def story_transcript(speech: Speech) -> str:
    """The text that was synthesised (or the words joined by spaces if it was not kept)."""
    return speech.words.attrs.get("transcript") or " ".join(speech.words["word"].astype(str))


def write_gentle_alignment(speech: Speech, transcript: str | None, path: str | Path) -> None:
    """Writes ``speech``'s alignment as Gentle's ``align.json`` (as stored by Narratives).

    ``transcript`` must contain the words in order (None: ``story_transcript(speech)``);
    startOffset/endOffset index into it. Phones are named ``<phoneme>_B|_I|_E|_S``.
    """
    transcript = story_transcript(speech) if transcript is None else transcript
    phones_by_word: dict[int, list[tuple[str, float]]] = {}
    for row in speech.phonemes.itertuples(index=False):
        phones_by_word.setdefault(int(row.word_index), []).append(
            (str(row.phoneme), float(row.offset) - float(row.onset)))
    entries = []
    cursor = 0
    for i, row in enumerate(speech.words.itertuples(index=False)):
        word = str(row.word)
        start = transcript.find(word, cursor)
        if start < 0:
            raise ValueError(f"word {i} {word!r} not found in the transcript after "
                             f"character {cursor}")
        cursor = start + len(word)
        phones = phones_by_word.get(i, [])
        suffixes = ["S"] if len(phones) == 1 else ["B"] + ["I"] * (len(phones) - 2) + ["E"]
        entries.append({
            "alignedWord": word.lower(), "case": "success",
            "start": float(row.onset), "end": float(row.offset),
            "startOffset": start, "endOffset": cursor, "word": word,
            # Not Gentle's keys: the simulated ground truth keeps sentence structure too.
            "sentence": int(row.sentence), "position": int(row.position),
            "phones": [{"duration": d, "phone": f"{name}_{s}"}
                       for (name, d), s in zip(phones, suffixes)],
        })
    Path(path).write_text(json.dumps({"transcript": transcript, "words": entries},
                                     ensure_ascii=False, indent=1), encoding="utf-8")
