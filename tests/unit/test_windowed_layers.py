"""Batched windowed extraction: equal to one window at a time, chunks never padded, bf16."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from brainlike.features.layers import (
    _windowed_layers_reference,
    batches,
    window_chunks,
    windowed_layers,
)
from brainlike.models.checkpoint import from_preset

SR = 16000
CPU = torch.device("cpu")
TOLERANCE = 1e-5  # max |batched - reference| relative to the layer's RMS


@pytest.fixture(scope="module", params=["logmel", "waveform"])
def tiny(request) -> torch.nn.Module:
    torch.manual_seed(0)
    return from_preset(request.param, "tiny").eval()


def _audio(seconds: float, seed: int = 0) -> np.ndarray:
    """Noise whose loudness and spectrum drift, so every chunk has its own CMVN/norm stats."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    gain = 0.02 + 0.3 * (1 + np.sin(2 * np.pi * t / 7.3)) * np.exp(-t / 30)
    tone = 0.1 * np.sin(2 * np.pi * (200 + 50 * t) * t)
    return (gain * rng.standard_normal(n) + tone).astype(np.float32)


def _assert_close(new: list[np.ndarray], ref: list[np.ndarray], names: list[str]) -> None:
    assert len(new) == len(ref) == len(names)
    for name, a, b in zip(names, new, ref):
        assert a.shape == b.shape and a.dtype == np.float32, name
        rms = np.sqrt(np.mean(b.astype(np.float64) ** 2))
        assert np.abs(a - b).max() <= TOLERANCE * rms, name


@pytest.mark.parametrize("window_s, context_s, batch_samples", [
    (2.0, 3.0, 2**18),     # 5 s chunks, 3 to a batch: full batches and a partial one
    (1.01, 2.5, 10**6),    # bins straddle windows; all full chunks in one batch
    (2.0, 3.0, 1),         # one window per pass through the batched code
])
def test_batched_equals_one_window_at_a_time(tiny, window_s, context_s, batch_samples):
    audio = _audio(40.3)
    kwargs = dict(sample_rate=SR, window_s=window_s, context_s=context_s, rate=50.0, device=CPU)
    chunks = window_chunks(len(audio), int(window_s * SR), int(context_s * SR),
                           max(g.field for g in tiny.layer_geometry))
    if batch_samples > 1:
        assert max(len(b) for b in batches(chunks, batch_samples)) > 1  # really batched
    new = windowed_layers(tiny, audio, **kwargs, batch_samples=batch_samples)
    _assert_close(new, _windowed_layers_reference(tiny, audio, **kwargs), tiny.layer_names)
    assert new[0].shape[0] == int(np.ceil(40.3 * 50))


@pytest.mark.parametrize("seconds", [0.7, 0.015, 5.3])  # < one window, < a field, not k*window
def test_short_and_ragged_stories(tiny, seconds):
    audio = _audio(seconds, seed=1)
    kwargs = dict(sample_rate=SR, window_s=2.0, context_s=3.0, rate=50.0, device=CPU)
    new = windowed_layers(tiny, audio, **kwargs)
    assert all(o.shape[0] == int(np.ceil(seconds * 50)) and np.isfinite(o).all() for o in new)
    _assert_close(new, _windowed_layers_reference(tiny, audio, **kwargs), tiny.layer_names)


def test_batches_group_equal_lengths_within_budget():
    chunks = window_chunks(41 * SR, 2 * SR, 3 * SR, 400)
    assert [c.start for c in chunks] == list(range(0, 41 * SR, 2 * SR))
    assert chunks[-1].end == 41 * SR and chunks[0].first == 0
    groups = batches(chunks, 3 * (5 * SR + 400))
    assert sorted(c.start for b in groups for c in b) == [c.start for c in chunks]
    for batch in groups:
        assert len({c.length for c in batch}) == 1  # never padded to fit
        assert len(batch) == 1 or len(batch) * batch[0].length <= 3 * (5 * SR + 400)
    full = [b for b in groups if b[0].length == 5 * SR + 400]
    assert [len(b) for b in full] == [3] * 6  # windows 2..19: full context, not the last


def test_bfloat16_is_float32_finite_and_close(tiny):
    audio = _audio(12.0, seed=2)
    kwargs = dict(sample_rate=SR, window_s=2.0, context_s=3.0, rate=50.0, device=CPU)
    fp32 = windowed_layers(tiny, audio, **kwargs)
    bf16 = windowed_layers(tiny, audio, **kwargs, precision="bfloat16")
    for name, a, b in zip(tiny.layer_names, fp32, bf16):
        assert b.dtype == np.float32 and b.shape == a.shape and np.isfinite(b).all(), name
        assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.99, name
    assert not all(np.array_equal(a, b) for a, b in zip(fp32, bf16))  # autocast took effect


def test_bad_arguments_raise(tiny):
    with pytest.raises(ValueError, match=r"audio must be \(samples,\).*found shape \(2, 8000\)"):
        windowed_layers(tiny, np.zeros((2, 8000), np.float32), SR, 1.0, 1.0, 50.0, CPU)
    with pytest.raises(ValueError, match=r"found shape \(0,\)"):
        windowed_layers(tiny, np.zeros(0, np.float32), SR, 1.0, 1.0, 50.0, CPU)
    with pytest.raises(ValueError, match="unknown precision 'float16'"):
        windowed_layers(tiny, _audio(1.0), SR, 1.0, 1.0, 50.0, CPU, precision="float16")
