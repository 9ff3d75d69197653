"""Span masks: coverage statistics, contiguous spans, lengths, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from brainlike.models.masking import span_mask


def _runs(row: torch.Tensor) -> list[int]:
    """Lengths of the runs of True in a 1-D bool tensor."""
    padded = torch.cat([torch.zeros(1), row.float(), torch.zeros(1)])
    edges = torch.diff(padded)
    starts, ends = torch.nonzero(edges == 1).flatten(), torch.nonzero(edges == -1).flatten()
    return (ends - starts).tolist()


def _expected_coverage(frames: int, mask_prob: float, span: int, min_masks: int = 1) -> float:
    """Exact E[masked fraction]: n starts (stochastically rounded, clipped) drawn without
    replacement from the M = frames - span + 1 positions; frame t is missed when none of
    the k_t starts that would cover it is drawn."""
    positions = frames - span + 1
    x = mask_prob * frames / span
    low, frac = math.floor(x), x - math.floor(x)
    total = 0.0
    for n, weight in ((low, 1 - frac), (low + 1, frac)):
        n = min(max(n, min_masks), positions)
        covered = 0.0
        for t in range(frames):
            k = min(t, positions - 1) - max(0, t - span + 1) + 1
            covered += 1 - math.comb(positions - k, n) / math.comb(positions, n)
        total += weight * covered / frames
    return total


def test_shape_and_determinism():
    a = span_mask(4, 100, 0.5, 5, torch.Generator().manual_seed(3))
    b = span_mask(4, 100, 0.5, 5, torch.Generator().manual_seed(3))
    c = span_mask(4, 100, 0.5, 5, torch.Generator().manual_seed(4))
    assert a.shape == (4, 100) and a.dtype == torch.bool
    assert torch.equal(a, b) and not torch.equal(a, c)
    # a numpy Generator works too, and is just as reproducible
    d = span_mask(4, 100, 0.5, (3, 5), np.random.default_rng(1))
    assert torch.equal(d, span_mask(4, 100, 0.5, (3, 5), np.random.default_rng(1)))


@pytest.mark.parametrize(("mask_prob", "span"), [(0.5, 5), (0.65, 10), (0.2, 3)])
def test_coverage_matches_expectation(mask_prob, span):
    frames = 200
    mask = span_mask(2000, frames, mask_prob, span, torch.Generator().manual_seed(0))
    expected = _expected_coverage(frames, mask_prob, span)
    fraction = mask.float().mean().item()
    # 2000 rows: the mean's standard error is ~0.002
    assert fraction == pytest.approx(expected, abs=0.01)
    # overlapping spans make it less than mask_prob, about 1 - exp(-mask_prob)
    assert fraction < mask_prob
    assert fraction == pytest.approx(1 - math.exp(-mask_prob), abs=0.05)


def test_spans_are_contiguous_and_at_least_span_long():
    mask = span_mask(500, 120, 0.3, 4, torch.Generator().manual_seed(1))
    for row in mask:
        assert all(r >= 4 for r in _runs(row))  # runs are unions of whole spans
    # one span per row when mask_prob is tiny: exactly `span` consecutive frames
    single = span_mask(200, 50, 0.0, 6, torch.Generator().manual_seed(2), min_masks=1)
    for row in single:
        assert _runs(row) == [6]
    assert not span_mask(3, 50, 0.0, 6, torch.Generator(), min_masks=0).any()


def test_variable_spans():
    mask = span_mask(1000, 200, 0.5, (3, 5), torch.Generator().manual_seed(5))
    assert all(r >= 3 for row in mask[:200] for r in _runs(row))
    single = span_mask(300, 60, 0.0, (3, 5), torch.Generator().manual_seed(6))
    lengths = [_runs(row)[0] for row in single]
    assert set(lengths) == {3, 4, 5}
    assert 0.35 < mask.float().mean().item() < 0.45


def test_lengths_bound_the_mask():
    lengths = torch.tensor([200, 100, 7, 0])
    mask = span_mask(4, 200, 0.5, 5, torch.Generator().manual_seed(0), lengths=lengths)
    for row, n in zip(mask, lengths.tolist()):
        assert not row[n:].any()
    assert mask[1, :100].any() and mask[2, :7].any() and not mask[3].any()
    # the number of spans scales with the valid length, so coverage does too
    many = span_mask(2000, 200, 0.5, 5, torch.Generator().manual_seed(1),
                     lengths=[100] * 2000)
    assert many[:, :100].float().mean().item() == pytest.approx(
        _expected_coverage(100, 0.5, 5), abs=0.01)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="span"):
        span_mask(2, 10, 0.5, 0)
    with pytest.raises(ValueError, match="span"):
        span_mask(2, 10, 0.5, (5, 3))
    with pytest.raises(ValueError, match="mask_prob"):
        span_mask(2, 10, 1.5, 3)
    with pytest.raises(ValueError, match=r"lengths.*\[5, 11\]"):
        span_mask(2, 10, 0.5, 3, lengths=[5, 11])
