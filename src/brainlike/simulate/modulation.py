"""Spectro-temporal modulation energy: what the planted early auditory cortex follows.

Auditory cortex is tuned to joint temporal rates (Hz) and spectral scales (cycles/octave) of
the log spectrogram, upward and downward sweeps apart (Chi, Ru & Shamma 2005). The energy is
the magnitude of complex 2-D Gabor filters over the log-mel spectrogram of the signal as
heard (noise and room included), pooled within a few frequency bands: a local, fixed,
unlearned transform, which is what random convolutional features approximate well, as an
early area should be.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve

#: Temporal modulation rates (Hz) and spectral scales (cycles/octave; 0 = the band envelope).
RATES_HZ = (2.0, 4.0, 8.0, 16.0)
SCALES_CPO = (0.0, 1.0)
N_BANDS = 4


@dataclass(frozen=True)
class ModulationFilter:
    rate_hz: float
    scale_cpo: float
    direction: int  # +1 upward sweep, -1 downward, 0 for a purely temporal filter

    @property
    def name(self) -> str:
        sweep = {1: "up", -1: "down", 0: "flat"}[self.direction]
        return f"rate{self.rate_hz:g}_scale{self.scale_cpo:g}_{sweep}"


def filter_bank() -> list[ModulationFilter]:
    """Every (rate, scale, direction) the driver uses, in column order."""
    bank = []
    for rate in RATES_HZ:
        for scale in SCALES_CPO:
            for direction in ((0,) if scale == 0 else (1, -1)):
                bank.append(ModulationFilter(rate, scale, direction))
    return bank


def _kernel(f: ModulationFilter, frame_rate: float, channels_per_octave: float) -> np.ndarray:
    """(time, channel) complex Gabor: one cycle of ``rate`` under a Gaussian of about one
    period in time, likewise in frequency for ``scale`` (a single channel when 0)."""
    sigma_t = 0.5 / f.rate_hz
    t = np.arange(-int(np.ceil(3 * sigma_t * frame_rate)),
                  int(np.ceil(3 * sigma_t * frame_rate)) + 1) / frame_rate
    if f.scale_cpo == 0:
        x = np.zeros(1)
    else:
        sigma_x = 0.5 / f.scale_cpo
        half = int(np.ceil(3 * sigma_x * channels_per_octave))
        x = np.arange(-half, half + 1) / channels_per_octave  # octaves
    envelope = np.exp(-0.5 * (t[:, None] / sigma_t) ** 2)
    if f.scale_cpo:
        envelope = envelope * np.exp(-0.5 * (x[None, :] / (0.5 / f.scale_cpo)) ** 2)
    # The sign between the two phases sets the sweep direction in the time-frequency plane.
    phase = 2 * np.pi * (f.rate_hz * t[:, None] - f.direction * f.scale_cpo * x[None, :])
    kernel = envelope * np.exp(1j * phase)
    kernel -= envelope * (kernel.sum() / envelope.sum())  # no response to a constant
    return kernel / np.abs(kernel).sum()


def modulation_energy(log_spectrogram: np.ndarray, frame_rate: float,
                      channels_per_octave: float, n_bands: int = N_BANDS) -> np.ndarray:
    """(frames, len(filter_bank()) * n_bands) modulation energy, columns filter-major.

    log_spectrogram: (frames, channels) log energies on a log-frequency axis (mel is close
    enough above ~500 Hz), ``channels_per_octave`` channels per octave.
    """
    if log_spectrogram.ndim != 2 or log_spectrogram.shape[1] < n_bands:
        raise ValueError("log_spectrogram must be (frames, channels) with at least "
                         f"{n_bands} channels, found shape {log_spectrogram.shape}")
    spec = np.asarray(log_spectrogram, np.float64)
    bands = np.array_split(np.arange(spec.shape[1]), n_bands)
    out = []
    for f in filter_bank():
        energy = np.abs(fftconvolve(spec, _kernel(f, frame_rate, channels_per_octave),
                                    mode="same", axes=(0, 1)))
        out += [energy[:, b].mean(axis=1) for b in bands]
    return np.column_stack(out)


def column_names(n_bands: int = N_BANDS) -> list[str]:
    return [f"{f.name}_band{b}" for f in filter_bank() for b in range(n_bands)]
