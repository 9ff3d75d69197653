"""Non-speech sounds for the "acoustic scenes" control corpus: bursts, tones, chirps, hums.

They share speech's sample rate and loudness range, but none of its phonetic structure, so a
model trained on them learns generic audition and nothing language-like.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 22050


def _envelope(n: int, rng: np.random.Generator) -> np.ndarray:
    attack = max(1, int(n * rng.uniform(0.01, 0.3)))
    release = max(1, int(n * rng.uniform(0.05, 0.6)))
    env = np.ones(n)
    env[:attack] = np.linspace(0, 1, attack)
    env[n - release:] *= np.linspace(1, 0, release)
    return env


def _event(rng: np.random.Generator, sr: int) -> np.ndarray:
    n = int(sr * rng.uniform(0.1, 2.5))
    t = np.arange(n) / sr
    kind = rng.integers(4)
    if kind == 0:  # band-limited noise burst (rain, wind, rustle)
        spectrum = np.fft.rfft(rng.standard_normal(n))
        freqs = np.fft.rfftfreq(n, 1 / sr)
        centre, width = rng.uniform(200, 6000), rng.uniform(100, 3000)
        x = np.fft.irfft(spectrum * np.exp(-0.5 * ((freqs - centre) / width) ** 2), n)
    elif kind == 1:  # harmonic tone (bells, horns, engines)
        f0 = rng.uniform(80, 1500)
        x = sum(rng.uniform(0.1, 1) / h * np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 6))
                for h in range(1, int(rng.integers(1, 6)) + 1))
    elif kind == 2:  # frequency sweep (sirens, birds)
        f0, f1 = rng.uniform(150, 5000, size=2)
        x = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * t[-1])))
    else:  # amplitude-modulated hum (machines)
        x = np.sin(2 * np.pi * rng.uniform(40, 300) * t) * (
            1 + 0.8 * np.sin(2 * np.pi * rng.uniform(0.5, 12) * t))
    x = np.asarray(x, dtype=np.float64) * _envelope(n, rng)
    return x / (np.abs(x).max() + 1e-9)


def soundscape(duration_s: float, rng: np.random.Generator, sr: int = SAMPLE_RATE) -> np.ndarray:
    """(samples,) float32: overlapping sound events with gaps, loudness varying by event."""
    n = int(duration_s * sr)
    out = np.zeros(n)
    t = int(sr * rng.uniform(0, 0.5))
    while t < n:
        ev = _event(rng, sr) * 10 ** (rng.uniform(-18, 0) / 20)
        end = min(n, t + len(ev))
        out[t:end] += ev[:end - t]
        t += int(len(ev) * rng.uniform(0.3, 1.2)) + int(sr * rng.uniform(0, 0.8))
    out += 0.003 * rng.standard_normal(n)  # a room is never silent
    return (0.5 * out / (np.abs(out).max() + 1e-9)).astype(np.float32)
