"""wav2vec 2.0 objective: distractor sampling, contrastive loss, the full head, a toy training."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from brainlike.models.quantizer import TemperatureSchedule
from brainlike.objectives.wav2vec2 import (ObjectiveConfig, Wav2Vec2Objective, contrastive_loss,
                                           sample_negative_indices, sample_negatives)

K = 10



def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _mask(batch: int = 3, frames: int = 30, p: float = 0.4, seed: int = 0) -> torch.Tensor:
    return torch.rand(batch, frames, generator=_gen(seed)) < p


def _where_from(mask: torch.Tensor) -> torch.Tensor:
    """Targets that say where they come from: targets[b, t] = (b, t)."""
    batch, frames = mask.shape
    b, t = torch.meshgrid(torch.arange(batch), torch.arange(frames), indexing="ij")
    return torch.stack([b, t], -1).float()


def test_negatives_come_from_other_masked_frames_of_the_same_utterance():
    mask = _mask()
    negatives = sample_negatives(_where_from(mask), mask, K, _gen())
    assert negatives.shape == (K, 3, 30, 2)
    for b, t in mask.nonzero().tolist():
        source_b, source_t = negatives[:, b, t, 0].long(), negatives[:, b, t, 1].long()
        assert (source_b == b).all()
        assert (source_t != t).all()
        assert mask[b, source_t].all()
    assert (negatives[:, ~mask] == 0).all()


def test_indices_cover_every_other_masked_frame_uniformly():
    mask = torch.zeros(1, 40, dtype=torch.bool)
    mask[0, [3, 4, 5, 20, 30]] = True
    idx = sample_negative_indices(mask, 2000, _gen())
    for t in (3, 20, 30):
        counts = torch.bincount(idx[0, t], minlength=40)
        others = [u for u in (3, 4, 5, 20, 30) if u != t]
        assert counts[t] == 0 and counts.sum() == counts[others].sum() == 2000
        assert (counts[others] > 400).all()  # ~500 each


def test_sampling_is_deterministic_with_a_generator():
    mask = _mask()
    first = sample_negative_indices(mask, K, _gen(7))
    assert torch.equal(first, sample_negative_indices(mask, K, _gen(7)))
    assert not torch.equal(first, sample_negative_indices(mask, K, _gen(8)))


def test_few_masked_frames_repeat_or_fall_back_to_unmasked_frames():
    mask = torch.zeros(3, 6, dtype=torch.bool)
    mask[0, [1, 4]] = True  # 2 <= K masked frames: the other one, K times
    mask[1, 2] = True  # 1 masked frame: distractors from the utterance's other frames
    idx = sample_negative_indices(mask, K, _gen())
    assert (idx[0, 1] == 4).all() and (idx[0, 4] == 1).all()
    assert (idx[1, 2] != 2).all() and ((idx[1, 2] >= 0) & (idx[1, 2] < 6)).all()
    assert len(idx[1, 2].unique()) > 1
    with pytest.raises(ValueError, match="single frame"):
        sample_negative_indices(torch.ones(2, 1, dtype=torch.bool), K, _gen())


def test_sampling_rejects_bad_input():
    with pytest.raises(ValueError, match=r"found torch.int64 of shape \(3, 30\)"):
        sample_negative_indices(_mask().long(), K)
    with pytest.raises(ValueError, match=r"found shape \(30, 2\)"):
        sample_negatives(torch.zeros(30, 2), _mask(), K)
    with pytest.raises(ValueError, match=r"shape \(3, 29\)"):
        sample_negatives(torch.zeros(3, 30, 2), _mask()[:, :29], K)


def test_identical_candidates_give_log_k_plus_one():
    mask = _mask()
    context = torch.randn(3, 30, 8, generator=_gen(1))
    target = torch.randn(3, 30, 8, generator=_gen(2))
    negatives = target.expand(K, -1, -1, -1)
    loss, accuracy = contrastive_loss(context, target, negatives, mask)
    assert loss.item() == pytest.approx(math.log(K + 1), abs=1e-5)
    assert accuracy.item() == 0.0  # a tie is not a correct pick
    # fairseq's masking of distractors equal to the positive makes collapse free:
    loss, _ = contrastive_loss(context, target, negatives, mask, mask_identical=True)
    assert loss.item() == pytest.approx(0.0, abs=1e-6)


def test_perfect_match_with_far_negatives_gives_zero_loss():
    mask = _mask()
    target = torch.randn(3, 30, 8, generator=_gen(2))
    loss, accuracy = contrastive_loss(target, target, -target.expand(K, -1, -1, -1), mask)
    assert loss.item() < 1e-6 and accuracy.item() == 1.0
    assert loss.item() == pytest.approx(math.log1p(K * math.exp(-20)), abs=1e-7)  # cos 1 vs -1


def test_contrastive_loss_scores_masked_frames_only():
    mask = _mask()
    context = torch.randn(3, 30, 8, generator=_gen(1))
    target = torch.randn(3, 30, 8, generator=_gen(2))
    negatives = sample_negatives(target, mask, K, _gen())
    loss, _ = contrastive_loss(context, target, negatives, mask)
    changed = torch.where(mask[..., None], context, torch.randn(3, 30, 8))
    assert torch.equal(loss, contrastive_loss(changed, target, negatives, mask)[0])
    with pytest.raises(ValueError, match="no frame"):
        contrastive_loss(context, target, negatives, torch.zeros_like(mask))
    with pytest.raises(ValueError, match=r"found \(3, 30, 8\) and \(3, 30, 7\)"):
        contrastive_loss(context, target[..., :7], negatives, mask)
    with pytest.raises(ValueError, match=r"found \(10, 3, 29, 8\)"):
        contrastive_loss(context, target, negatives[:, :, :29], mask)


def _small_config(**changes) -> ObjectiveConfig:
    base = dict(groups=2, entries=16, codevector_dim=32, final_dim=32, num_negatives=K,
                unmasked_weight=0.0)
    return ObjectiveConfig(**{**base, **changes})


def test_objective_returns_scalar_terms_and_backpropagates_into_both_inputs():
    torch.manual_seed(0)
    objective = Wav2Vec2Objective(12, 20, _small_config(feature_penalty_weight=10.0)).train()
    features = torch.randn(2, 25, 12, requires_grad=True)
    context = torch.randn(2, 25, 20, requires_grad=True)
    terms = objective(features, context, _mask(2, 25), step=5, generator=_gen())
    assert set(terms) == {"loss", "contrastive", "diversity", "feature_penalty", "accuracy",
                          "hard_perplexity", "soft_perplexity", "code_stability",
                          "code_stability_distant", "temperature"}
    assert all(isinstance(v, torch.Tensor) and v.shape == () for v in terms.values())
    expected = terms["contrastive"] + 0.1 * terms["diversity"] + 10.0 * terms["feature_penalty"]
    assert terms["loss"].item() == pytest.approx(expected.item())
    assert terms["temperature"].item() == pytest.approx(2.0 * 0.999995 ** 5)
    terms["loss"].backward()
    assert features.grad.abs().sum() > 0 and context.grad.abs().sum() > 0
    assert objective.quantizer.codebook.grad.abs().sum() > 0


def test_unmasked_weight_adds_the_visible_frames_task_and_their_gradient():
    """Masked-only, the predictions at visible frames get no gradient at all; with the
    unmasked term they do, and the loss grows by exactly the weighted term."""
    features, mask = torch.randn(2, 25, 12), _mask(2, 25)
    grads, terms = {}, {}
    for weight in (0.0, 0.5):
        torch.manual_seed(0)
        objective = Wav2Vec2Objective(12, 20, _small_config(unmasked_weight=weight)).eval()
        context = torch.randn(2, 25, 20, generator=_gen(1), requires_grad=True)
        terms[weight] = objective(features, context, mask, generator=_gen())
        terms[weight]["loss"].backward()
        grads[weight] = context.grad[~mask].abs().sum()
    assert grads[0.0] == 0 and grads[0.5] > 0
    assert "contrastive_unmasked" not in terms[0.0]
    with_term = terms[0.5]
    assert with_term["contrastive"].item() == pytest.approx(terms[0.0]["contrastive"].item())
    assert with_term["loss"].item() == pytest.approx(
        terms[0.0]["loss"].item() + 0.5 * with_term["contrastive_unmasked"].item())
    assert 0 <= with_term["unmasked_accuracy"].item() <= 1


def test_objective_rejects_mismatched_shapes():
    objective = Wav2Vec2Objective(12, 20, _small_config())
    features, context, mask = torch.randn(2, 25, 12), torch.randn(2, 25, 20), _mask(2, 25)
    with pytest.raises(ValueError, match=r"found shape \(2, 25, 11\)"):
        objective(features[..., :11], context, mask)
    with pytest.raises(ValueError, match=r"found shape \(2, 24, 20\)"):
        objective(features, context[:, :24], mask)
    with pytest.raises(ValueError, match=r"shape \(2, 24\)"):
        objective(features, context, mask[:, :24])


def test_config_presets_and_round_trip():
    paper = ObjectiveConfig.preset("paper", unmasked_weight=0.0)
    assert (paper.groups, paper.entries, paper.num_negatives, paper.kappa) == (2, 320, 100, 0.1)
    assert paper.diversity_weight == 0.1 and paper.feature_penalty_weight == 10.0
    assert ObjectiveConfig(unmasked_weight=0.0).feature_penalty_weight == 0.0
    assert ObjectiveConfig.preset("paper", unmasked_weight=0.5).unmasked_weight == 0.5
    with pytest.raises(TypeError, match="unmasked_weight"):  # the config's, no default
        ObjectiveConfig()
    assert paper.temperature == TemperatureSchedule(2.0, 0.5, 0.999995)
    small = ObjectiveConfig.preset("small", unmasked_weight=1.0)
    assert ObjectiveConfig.from_dict(small.to_dict()) == small
    with pytest.raises(ValueError, match="unknown objective preset"):
        ObjectiveConfig.preset("huge", unmasked_weight=0.0)


def test_toy_training_learns_to_predict_quantized_targets():
    """Context is a learned linear map of noisy features: it can predict the features' codes."""
    torch.manual_seed(0)
    frames, dim = 40, 16
    objective = Wav2Vec2Objective(dim, dim, _small_config()).train()
    predictor = nn.Linear(dim, dim)
    optimizer = torch.optim.Adam([*objective.parameters(), *predictor.parameters()], lr=1e-2)
    data, history = _gen(0), []
    for step in range(50):
        features = torch.randn(4, frames, dim, generator=data)
        mask = torch.rand(4, frames, generator=data) < 0.5
        context = predictor(features + 0.1 * torch.randn(4, frames, dim, generator=data))
        terms = objective(features, context, mask, step, data)
        optimizer.zero_grad()
        terms["loss"].backward()
        optimizer.step()
        history.append({k: v.item() for k, v in terms.items()})
    late = history[-10:]
    accuracy = sum(h["accuracy"] for h in late) / len(late)
    assert history[0]["accuracy"] < 0.3
    assert accuracy > 0.5  # chance is 1 / (K + 1) = 0.09
    assert sum(h["contrastive"] for h in late) / len(late) < 0.5 * math.log(K + 1)
    assert min(h["hard_perplexity"] for h in late) > 20  # of 16 * 16 tuples, 160 frames
