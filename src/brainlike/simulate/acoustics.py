"""The room and the noise: who reads simulated speech, and where.

Talkers are espeak-ng voice variants with their own base rate, pitch and pitch range. The
ordinary-sounding variants are split once into a corpus half and a story half, so no talker
reading a listening story ever reads a training corpus. A scene puts each sentence in its own
small synthetic room (a direct path at lag 0 plus an exponentially decaying noise tail: onsets
do not move, the reverberation rings on after them) and adds noise at its own SNR: babble from
other talkers of the same role and language, or stationary white, pink or brown noise.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.fft
from scipy.signal import fftconvolve

from brainlike.plan.datasets import AcousticConditions
from brainlike.simulate import espeak
from brainlike.simulate.speech import CORPUS_POOL, STORY_POOL, Talker, synthesize_story

__all__ = ["NOISE_COLOURS", "NOISE_KINDS", "ROLES", "Condition", "Scene", "Talker", "babble",
           "mix_at_snr", "room_impulse_response", "scene_for", "stationary_noise", "talkers",
           "variant_split"]

ROLES = ("corpus", "story")
#: Stationary noise colours: the exponent of 1/f in the power spectrum.
NOISE_COLOURS = {"white": 0.0, "pink": 1.0, "brown": 2.0}
NOISE_KINDS = ("babble", *NOISE_COLOURS)

#: Variants beyond ``espeak.SPEAKER_VARIANTS`` whose settings (pitch, formant scaling) stay
#: close to an ordinary voice: none of echo, whisper, breath, robot, croak or child pitch.
_EXTRA_VARIANTS = ("m8", "Alex", "Andy", "Denis", "Gene", "Michael", "Mike", "adam", "benjamin",
                   "boris", "edward", "max", "michel", "quincy", "robert", "travis", "victor",
                   "Annie", "belinda", "linda")
_FEMALE_VARIANTS = frozenset({"f1", "f2", "f3", "f4", "f5", "Annie", "belinda", "linda"})
_RATE_WPM = (150, 190)
_PITCH = (35, 65)
_PITCH_RANGE = (35, 75)

#: Tail taps in RT60s: the tail has decayed by 72 dB at the end.
_IR_LENGTH_RT60 = 1.2
_PREDELAY_S = (0.001, 0.005)
#: Direct-to-reverberant energy ratio of a small room with the talker near the microphone.
_DRR_DB = (0.0, 10.0)
#: Stationary noise is shaped flat below this frequency (brown noise would otherwise be
#: mostly sub-audible rumble).
_NOISE_FLOOR_HZ = 50.0
_BABBLE_TALKERS = 5
_BABBLE_TRACK_S = 20.0
_BABBLE_STREAM = 17


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


@functools.cache
def variant_split() -> dict[str, tuple[str, ...]]:
    """The ordinary-sounding variants installed, split into ``corpus`` and ``story`` halves:
    alternately in sorted order, female and male variants apart, so each half has both."""
    installed = set(espeak.available_variants())
    natural = sorted(v for v in {*espeak.SPEAKER_VARIANTS, *_EXTRA_VARIANTS} if v in installed)
    halves: dict[str, list[str]] = {role: [] for role in ROLES}
    for group in ([v for v in natural if v in _FEMALE_VARIANTS],
                  [v for v in natural if v not in _FEMALE_VARIANTS]):
        for i, variant in enumerate(group):
            halves[ROLES[i % 2]].append(variant)
    return {role: tuple(vs) for role, vs in halves.items()}


def talkers(role: str, n: int, seed: int | Sequence[int], language: str) -> list[Talker]:
    """``n`` distinct talkers for ``role`` ("corpus" or "story") reading ``language``.

    Variants come from the role's half of ``variant_split()`` in a seeded order, each used once
    before any is used again; base rate, pitch and pitch range are drawn per talker.
    Deterministic given (role, n, seed, language).
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    if n < 1:
        raise ValueError(f"need at least one talker, got n={n}")
    seeds = [seed] if isinstance(seed, (int, np.integer)) else list(seed)
    rng = np.random.default_rng([*seeds, _crc(role), _crc(language)])
    order = [str(v) for v in rng.permutation(variant_split()[role])]
    out: list[Talker] = []
    while len(out) < n:
        talker = Talker(order[len(out) % len(order)], float(round(rng.uniform(*_RATE_WPM))),
                        float(round(rng.uniform(*_PITCH))),
                        int(rng.integers(_PITCH_RANGE[0], _PITCH_RANGE[1] + 1)))
        if all(t.name != talker.name for t in out):
            out.append(talker)
    return out


def room_impulse_response(rt60_s: float, sample_rate: int,
                          rng: np.random.Generator) -> np.ndarray:
    """A small room's impulse response, (taps,) float32 with 1.0 at lag 0 (the direct path).

    After a 1-5 ms pre-delay comes Gaussian noise whose energy decays by 60 dB every
    ``rt60_s`` seconds, scaled to a direct-to-reverberant ratio drawn in 0-10 dB; the taps
    span 1.2 ``rt60_s``.
    """
    if not rt60_s > 0:
        raise ValueError(f"rt60_s must be positive, got {rt60_s}")
    n = int(round(_IR_LENGTH_RT60 * rt60_s * sample_rate))
    start = max(1, int(round(rng.uniform(*_PREDELAY_S) * sample_rate)))
    if n <= start:
        raise ValueError(f"rt60_s {rt60_s} is too short for a room at {sample_rate} Hz")
    t = np.arange(n - start) / sample_rate
    # Amplitude falls by 10**-3 (60 dB of energy) per RT60.
    tail = rng.standard_normal(n - start) * np.exp(-3.0 * np.log(10.0) * t / rt60_s)
    drr = 10.0 ** (rng.uniform(*_DRR_DB) / 10.0)
    tail *= np.sqrt(1.0 / (drr * np.sum(tail ** 2)))
    ir = np.zeros(n, np.float64)
    ir[0] = 1.0
    ir[start:] = tail
    return ir.astype(np.float32)


def stationary_noise(n: int, sample_rate: int, colour: str,
                     rng: np.random.Generator) -> np.ndarray:
    """(n,) float32 Gaussian noise of unit RMS with a power spectrum falling as 1/f^0, 1/f or
    1/f^2 (``colour`` white, pink, brown) above 50 Hz and flat below (no DC)."""
    if colour not in NOISE_COLOURS:
        raise ValueError(f"noise colour must be one of {sorted(NOISE_COLOURS)}, got {colour!r}")
    if n < 2:
        raise ValueError(f"need at least 2 samples of noise, got {n}")
    # Shaped at a length with small prime factors (an FFT at a prime length is slow), then cut.
    m = scipy.fft.next_fast_len(n, real=True)
    spectrum = scipy.fft.rfft(rng.standard_normal(m))
    freqs = scipy.fft.rfftfreq(m, 1.0 / sample_rate)
    spectrum *= np.maximum(freqs, _NOISE_FLOOR_HZ) ** (-NOISE_COLOURS[colour] / 2.0)
    spectrum[0] = 0.0
    noise = scipy.fft.irfft(spectrum, m)[:n]
    return (noise / np.sqrt(np.mean(noise ** 2))).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _babble_bank(language: str, voices: tuple[Talker, ...],
                 pool: int | None) -> tuple[np.ndarray, ...]:
    """Each talker's ``_BABBLE_TRACK_S`` s of clean speech, (samples,) float32 of unit RMS."""
    tracks = []
    for talker in voices:
        rng = np.random.default_rng([_BABBLE_STREAM, _crc(language), _crc(talker.name),
                                     -1 if pool is None else pool])
        audio = synthesize_story(language, _BABBLE_TRACK_S, rng, pool=pool,
                                 talkers=[talker]).audio.astype(np.float64)
        tracks.append((audio / np.sqrt(np.mean(audio ** 2))).astype(np.float32))
    return tuple(tracks)


def babble(n: int, sample_rate: int, language: str, voices: Sequence[Talker],
           rng: np.random.Generator, pool: int | None = None) -> np.ndarray:
    """(n,) float32 of unit RMS: every talker in ``voices`` speaking at once, each from a random
    point of a track synthesised once per (language, voices, pool) and reused (looped when
    ``n`` is longer). ``pool`` restricts the sentences as in ``synthesize_story``."""
    if sample_rate != espeak.SAMPLE_RATE:
        raise ValueError(f"babble is synthesised at {espeak.SAMPLE_RATE} Hz, got {sample_rate}")
    if not voices:
        raise ValueError("babble needs at least one talker")
    if n < 1:
        raise ValueError(f"need at least 1 sample of babble, got {n}")
    out = np.zeros(n, np.float64)
    for track in _babble_bank(language, tuple(voices), pool):
        out += np.take(track, int(rng.integers(len(track))) + np.arange(n), mode="wrap")
    rms = np.sqrt(np.mean(out ** 2))
    return (out / rms if rms > 0 else out).astype(np.float32)


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float,
               reference: np.ndarray | None = None) -> np.ndarray:
    """``speech + g * noise`` (samples,) with g such that the power of ``reference`` (default:
    ``speech``; e.g. its voiced part only) over that of ``g * noise`` is ``snr_db``."""
    if speech.ndim != 1 or noise.shape != speech.shape:
        raise ValueError(f"speech and noise must be the same (samples,) shape, found "
                         f"{speech.shape} and {noise.shape}")
    ref = speech if reference is None else reference
    p_ref = float(np.mean(np.asarray(ref, np.float64) ** 2)) if ref.size else 0.0
    p_noise = float(np.mean(np.asarray(noise, np.float64) ** 2))
    if p_ref == 0.0 or p_noise == 0.0:
        raise ValueError(f"cannot set an SNR with signal power {p_ref} and noise power {p_noise}")
    gain = np.sqrt(p_ref / (p_noise * 10.0 ** (snr_db / 10.0)))
    return (speech + gain * noise).astype(speech.dtype)


@dataclass(frozen=True)
class Condition:
    """One sentence's acoustics: a room (None: dry) and a noise at an SNR (None: silent)."""

    rt60_s: float | None
    noise: str | None
    snr_db: float | None

    @property
    def label(self) -> str:
        if self.noise is None:
            return "clean"
        return f"{self.noise} {self.snr_db:.1f} dB, RT60 {self.rt60_s:.2f} s"


@dataclass(frozen=True)
class Scene:
    """Where a role's sentences are recorded: the conditions to draw from and who babbles."""

    conditions: AcousticConditions
    language: str
    babblers: tuple[Talker, ...]
    pool: int | None

    def __post_init__(self) -> None:
        unknown = set(self.conditions.noise) - set(NOISE_KINDS)
        if unknown:
            raise ValueError(f"unknown noise kinds {sorted(unknown)}; expected {NOISE_KINDS}")

    def draw(self, rng: np.random.Generator) -> Condition:
        """One sentence's condition: clean with probability ``clean_fraction``."""
        c = self.conditions
        if rng.random() < c.clean_fraction:
            return Condition(None, None, None)
        return Condition(float(rng.uniform(*c.rt60_s)), str(c.noise[rng.integers(len(c.noise))]),
                         float(rng.uniform(*c.snr_db)))

    def render(self, condition: Condition, audio: np.ndarray, sample_rate: int,
               rng: np.random.Generator, speech_samples: int | None = None) -> np.ndarray:
        """``audio`` (samples,) in ``condition``, same length: the reverberation beyond the end
        is dropped, so pass a sentence with the silence it may ring into. The SNR refers to the
        first ``speech_samples`` samples (default all) of the reverberant speech."""
        if audio.ndim != 1:
            raise ValueError(f"audio must be (samples,), found shape {audio.shape}")
        if condition.noise is None:
            return audio.copy()
        n = len(audio)
        wet = audio.astype(np.float64)
        if condition.rt60_s is not None:
            ir = room_impulse_response(condition.rt60_s, sample_rate, rng)
            wet = fftconvolve(wet, ir.astype(np.float64))[:n]
        if condition.noise == "babble":
            noise = babble(n, sample_rate, self.language, self.babblers, rng, self.pool)
        else:
            noise = stationary_noise(n, sample_rate, condition.noise, rng)
        reference = wet[:n if speech_samples is None else speech_samples]
        return mix_at_snr(wet, noise.astype(np.float64), condition.snr_db,
                          reference).astype(np.float32)

    def apply(self, audio: np.ndarray, sample_rate: int, rng: np.random.Generator,
              speech_samples: int | None = None) -> np.ndarray:
        """``audio`` (samples,) float32 in a condition drawn from ``rng``: see ``render``."""
        return self.render(self.draw(rng), audio, sample_rate, rng, speech_samples)


def scene_for(conditions: AcousticConditions | None, role: str, language: str,
              seed: int) -> Scene | None:
    """The scene of ``role``'s speech in ``language``: babble from ``_BABBLE_TALKERS`` other
    talkers of the same role, its sentences from the role's pool; None when ``conditions`` is
    None (clean speech)."""
    if conditions is None:
        return None
    voices = talkers(role, _BABBLE_TALKERS, [seed, _BABBLE_STREAM], language)
    pool = {"corpus": CORPUS_POOL, "story": STORY_POOL}[role]
    return Scene(conditions, language, tuple(voices), pool)
