"""Gumbel product quantizer: hard codes, straight-through gradients, perplexities, schedule."""

from __future__ import annotations

import math

import pytest
import torch

from brainlike.models.quantizer import (GumbelProductQuantizer, QuantizerOutput,
                                        TemperatureSchedule, code_stability, hard_perplexity,
                                        stability_over_chance)

G, V, D_IN, D_OUT = 2, 8, 12, 16



def _quantizer(seed: int = 0) -> GumbelProductQuantizer:
    torch.manual_seed(seed)
    return GumbelProductQuantizer(D_IN, groups=G, entries=V, dim_out=D_OUT)


def _x(batch: int = 3, frames: int = 20, seed: int = 1) -> torch.Tensor:
    return torch.randn(batch, frames, D_IN, generator=torch.Generator().manual_seed(seed))


def _picked_rows(q: GumbelProductQuantizer, out: QuantizerOutput) -> torch.Tensor:
    """(batch, frames, groups) index of the codebook row each group slice equals, -1 if none."""
    b, t, _ = out.quantized.shape
    slices = out.quantized.detach().view(b, t, G, 1, D_OUT // G)
    equal = torch.isclose(slices, q.codebook.detach()[None, None], atol=1e-6).all(-1)
    assert (equal.sum(-1) <= 1).all()
    return torch.where(equal.any(-1), equal.float().argmax(-1), -1)


def test_shapes_and_types():
    q = _quantizer().train()
    out = q(_x(), step=0)
    assert out.quantized.shape == (3, 20, D_OUT)
    assert out.codes.shape == (3, 20, G) and out.codes.dtype == torch.int64
    assert ((out.codes >= 0) & (out.codes < V)).all()
    for scalar in (out.hard_perplexity, out.soft_perplexity, out.diversity_loss):
        assert scalar.shape == ()


def test_training_picks_one_codebook_row_per_group():
    q = _quantizer().train()
    out = q(_x(), tau=2.0)
    assert (_picked_rows(q, out) >= 0).all()  # hard one-hot: exactly a codebook row, no mixture


def test_eval_is_the_deterministic_argmax():
    q = _quantizer().eval()
    x = _x()
    out, again = q(x), q(x)
    assert torch.equal(out.quantized, again.quantized)
    assert torch.equal(_picked_rows(q, out), out.codes)
    assert torch.equal(out.codes, q.logits(x).view(3, 20, G, V).argmax(-1))


def test_straight_through_gradients_reach_input_and_codebook():
    q = _quantizer().train()
    x = _x().requires_grad_()
    out = q(x, tau=1.0)
    (out.quantized * torch.randn(out.quantized.shape)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert q.codebook.grad is not None and q.codebook.grad.abs().sum() > 0
    assert q.logits.weight.grad.abs().sum() > 0
    # Only the picked rows get a codebook gradient (the forward pass is a hard pick).
    used = torch.zeros(G, V, dtype=torch.bool)
    picked = _picked_rows(q, out)
    for g in range(G):
        used[g, picked[..., g].unique()] = True
    assert (q.codebook.grad.abs().sum(-1)[~used] == 0).all()


def test_diversity_loss_gets_a_gradient():
    q = _quantizer().train()
    q(_x()).diversity_loss.backward()
    assert q.logits.weight.grad.abs().sum() > 0


def test_perplexities_lie_in_their_ranges():
    q = _quantizer().train()
    out = q(_x(batch=4, frames=50))
    assert 1.0 <= out.hard_perplexity <= min(200, V ** G)
    assert 1.0 <= out.soft_perplexity <= V ** G + 1e-3
    assert not out.hard_perplexity.requires_grad and not out.soft_perplexity.requires_grad


def test_hard_perplexity_counts_code_tuples():
    codes = torch.tensor([[[0, 0], [0, 1], [1, 0], [1, 1]]])  # 4 tuples, each once
    assert hard_perplexity(codes).item() == pytest.approx(4.0)
    assert hard_perplexity(codes.repeat(1, 5, 1)).item() == pytest.approx(4.0)
    assert hard_perplexity(torch.zeros(2, 9, 2, dtype=torch.long)).item() == pytest.approx(1.0)


@pytest.mark.parametrize("train", [True, False])
def test_peaked_input_uses_one_code_and_hard_is_below_soft(train):
    q = _quantizer().train(train)
    x = _x(batch=1, frames=1).expand(3, 30, D_IN) + 1e-4 * _x(frames=30, seed=2)
    out = q(x, tau=0.5)
    assert out.hard_perplexity.item() == pytest.approx(1.0)
    assert out.hard_perplexity <= out.soft_perplexity


def test_diversity_loss_is_maximal_when_collapsed_and_zero_when_uniform():
    q = _quantizer().train()
    x = _x()
    with torch.no_grad():
        q.logits.weight.zero_()
        q.logits.bias.zero_()
    uniform = q(x).diversity_loss.item()
    with torch.no_grad():
        q.logits.bias.view(G, V)[:, 3] = 50.0  # every frame, every group: entry 3
    collapsed = q(x)
    assert uniform == pytest.approx(0.0, abs=1e-6)
    assert collapsed.diversity_loss.item() == pytest.approx(1 - 1 / V, abs=1e-6)
    assert collapsed.soft_perplexity.item() == pytest.approx(1.0, abs=1e-4)
    random_use = _quantizer()(x).diversity_loss.item()
    assert uniform < random_use < collapsed.diversity_loss.item()


def test_temperature_schedule_is_monotone_and_floored():
    s = TemperatureSchedule()  # the paper's 2 -> 0.5, x0.999995 per update
    steps = [0, 1, 10, 1000, 100_000, 277_000, 278_000, 10**6, 10**8]
    temps = [s(n) for n in steps]
    assert temps[0] == 2.0
    assert all(a >= b for a, b in zip(temps, temps[1:]))
    assert temps[5] > 0.5 and temps[6] == 0.5 and temps[-1] == 0.5  # floor at ln(1/4)/ln(decay)
    assert s(1000) == pytest.approx(2.0 * 0.999995 ** 1000)
    with pytest.raises(ValueError, match="step"):
        s(-1)
    with pytest.raises(ValueError):
        TemperatureSchedule(start=0.0)
    assert _quantizer().temperature(10**8) == 0.5


def test_bad_shapes_raise_naming_the_shape():
    q = _quantizer()
    with pytest.raises(ValueError, match=r"found shape \(3, 20\)"):
        q(torch.zeros(3, 20))
    with pytest.raises(ValueError, match=r"found shape \(3, 20, 5\)"):
        q(torch.zeros(3, 20, 5))
    with pytest.raises(ValueError, match="divisible"):
        GumbelProductQuantizer(D_IN, groups=3, entries=V, dim_out=16)
    with pytest.raises(ValueError, match="temperature"):
        q(_x(), tau=0.0)


def test_code_stability_detects_the_hash_regime():
    steady = torch.zeros(2, 10, G, dtype=torch.long)
    steady[:, 5:] = 1  # one change in 9 neighbour pairs
    assert code_stability(steady) == pytest.approx(8 / 9)
    hashing = torch.arange(10).view(1, 10, 1).expand(2, 10, G)
    assert code_stability(hashing) == 0.0
    half = steady.clone()
    half[..., 1] = torch.arange(10) % 2  # one group changes: the tuple changes
    assert code_stability(half) == 0.0
    with pytest.raises(ValueError, match=r"found shape \(2, 1, 2\)"):
        code_stability(steady[:, :1])
    assert math.isclose(code_stability(_quantizer().eval()(_x()).codes), 0.0, abs_tol=0.5)


def test_code_stability_at_a_lag_and_over_chance():
    steady = torch.zeros(2, 10, G, dtype=torch.long)
    steady[:, 5:] = 1
    assert code_stability(steady, lag=5) == 0.0  # every pair straddles the change
    assert code_stability(steady, lag=2) == pytest.approx(6 / 8)
    assert stability_over_chance(0.5, 0.0) == 0.5
    assert stability_over_chance(0.3, 0.3) == 0.0  # a hash: no better than chance
    assert stability_over_chance(1.0, 1.0) == 0.0  # collapsed
    assert stability_over_chance(0.6, 0.2) == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"frames >= 6.*lag 5.*found shape \(2, 5, 2\)"):
        code_stability(steady[:, :5], lag=5)
