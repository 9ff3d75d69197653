"""The parallel-pathway CPC video network (brainlike.models.cpc) and its dense predictive
coding objective (brainlike.objectives.cpc)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from brainlike.models.cpc import PRESETS, CPCConfig, CPCNet, pathway_of
from brainlike.objectives.cpc import (
    CPCObjective,
    evaluate,
    info_nce,
    info_nce_accuracy,
    learned,
)

CPU = torch.device("cpu")


def drifting_textures(n: int, frames: int, size: int, seed: int) -> torch.Tensor:
    """(n, frames, size, size) smooth random textures translating at a constant integer
    velocity per clip (wrapping round): every position's future is predictable."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 1, 8, 8, generator=g)
    texture = F.interpolate(coarse.repeat(1, 1, 3, 3), size=3 * size, mode="bilinear",
                            align_corners=False)[:, 0, size:2 * size, size:2 * size]
    velocity = torch.randint(-2, 3, (n, 2), generator=g)
    clips = [torch.stack([torch.roll(texture[i], (int(velocity[i, 0]) * t,
                                                  int(velocity[i, 1]) * t), (0, 1))
                          for t in range(frames)]) for i in range(n)]
    return torch.stack(clips)


# -- InfoNCE ----------------------------------------------------------------------------------

def test_identical_candidates_give_exactly_log_n_and_no_correct_pick():
    target = torch.randn(1, 16).repeat(12, 1)
    pred = torch.randn(12, 16)
    assert info_nce(pred, target).item() == pytest.approx(math.log(12), abs=1e-6)
    assert info_nce_accuracy(pred, target).item() == 0.0


def test_a_perfect_predictor_has_loss_near_zero_and_accuracy_one():
    target = torch.eye(10, 32)
    assert info_nce(20 * target, target).item() < 1e-6
    assert info_nce_accuracy(20 * target, target).item() == 1.0


def test_info_nce_matches_a_direct_cross_entropy():
    g = torch.Generator().manual_seed(0)
    pred, target = torch.randn(9, 5, generator=g), torch.randn(9, 5, generator=g)
    logits = [[float(pred[i] @ target[j]) for j in range(9)] for i in range(9)]
    direct = sum(math.log(sum(math.exp(v) for v in row)) - row[i]
                 for i, row in enumerate(logits)) / 9
    assert info_nce(pred, target).item() == pytest.approx(direct, rel=1e-5)
    best = sum(max(range(9), key=row.__getitem__) == i for i, row in enumerate(logits)) / 9
    assert info_nce_accuracy(pred, target).item() == pytest.approx(best)


def test_info_nce_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"found \(4, 3\) and \(4, 2\)"):
        info_nce(torch.zeros(4, 3), torch.zeros(4, 2))


# -- the network ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["tiny", "tiny-one"])
def test_layers_are_per_frame_and_pooled_onto_the_grid(name):
    c = PRESETS[name]
    torch.manual_seed(0)
    model = CPCNet(c).eval()
    frames = torch.rand(2, 13, 64, 64)  # not a whole number of blocks
    with torch.no_grad():
        layers = model.forward_layers(frames)
    assert list(layers) == model.layer_names()
    blocks = len(c.pathway_channels)
    expected = {"stem": c.stem_channels, "agg": c.hidden}
    for p in range(c.pathways):
        for i, width in enumerate(c.pathway_channels):
            expected[f"p{p + 1}.res{i + 1}"] = width
    assert len(layers) == 2 + c.pathways * blocks
    for name_, channels in expected.items():
        assert layers[name_].shape == (2, 13, channels * c.pool_grid ** 2)
    # the aggregator's state is held over each block's frames and changes between blocks
    agg = layers["agg"]
    assert torch.equal(agg[:, 0], agg[:, c.block_frames - 1])
    assert not torch.allclose(agg[:, 0], agg[:, c.block_frames])
    # batched equals one clip at a time
    with torch.no_grad():
        single = model.forward_layers(frames[1:])
    for name_ in layers:
        torch.testing.assert_close(layers[name_][1:], single[name_], atol=1e-5, rtol=1e-4)


def test_convolutional_layers_are_causal():
    torch.manual_seed(0)
    model = CPCNet(PRESETS["tiny"]).eval()
    frames = torch.rand(1, 12, 32, 32)
    later = frames.clone()
    later[:, 7:] = torch.rand(1, 5, 32, 32)
    with torch.no_grad():
        a, b = model.forward_layers(frames), model.forward_layers(later)
    for name in model.layer_names()[:-1]:
        torch.testing.assert_close(a[name][:, :7], b[name][:, :7])
        assert not torch.allclose(a[name][:, 7:], b[name][:, 7:])


def test_encode_blocks_gives_one_latent_grid_per_block():
    c = PRESETS["tiny"]
    torch.manual_seed(0)
    model = CPCNet(c)
    z = model.encode_blocks(torch.rand(3, c.clip_frames, 64, 64))
    assert z.shape == (3, c.n_blocks, c.feature_size, c.latent_size, c.latent_size)
    with pytest.raises(ValueError, match=r"found shape \(3, 39, 64, 64\)"):
        model.encode_blocks(torch.rand(3, c.clip_frames - 1, 64, 64))


def test_bad_frames_are_rejected_with_their_shape():
    model = CPCNet(PRESETS["tiny"])
    with pytest.raises(ValueError, match=r"found shape \(2, 64, 64\)"):
        model.forward_layers(torch.rand(2, 64, 64))


def test_pathway_of():
    assert pathway_of("stem") is None and pathway_of("agg") is None
    assert pathway_of("p1.res2") == "1" and pathway_of("p2.res1") == "2"
    with pytest.raises(ValueError, match="p3.conv"):
        pathway_of("p3.conv")
    assert {pathway_of(n) for n in CPCNet(PRESETS["tiny"]).layer_names()} == {None, "1", "2"}


def test_same_seed_same_model_and_loss():
    frames = {"frames": drifting_textures(2, 45, 64, seed=1)}
    results = []
    for _ in range(2):
        torch.manual_seed(3)
        objective = CPCObjective(CPCNet(PRESETS["tiny"]))
        results.append(objective(frames, torch.Generator().manual_seed(5))["loss"])
    assert results[0].item() == results[1].item()
    torch.manual_seed(4)
    other = CPCObjective(CPCNet(PRESETS["tiny"]))(frames, torch.Generator().manual_seed(5))
    assert other["loss"].item() != results[0].item()


def test_config_round_trips_and_checks_its_recipe():
    c = PRESETS["tiny-one"]
    assert CPCConfig.from_dict(c.to_dict()) == c
    with pytest.raises(ValueError, match="context_blocks"):
        CPCConfig(n_blocks=4, context_blocks=4)


@pytest.mark.parametrize("name", ["paper", "paper-one", "paper-next"])
def test_paper_presets_construct(name):
    c = PRESETS[name]
    model = CPCNet(c)
    assert c.feature_size == 128 and c.latent_size == 16
    assert model.agg.hidden == c.hidden
    assert len(model.layer_names()) == 2 + 10 * c.pathways


def test_one_pathway_control_matches_the_two_pathway_latent_width():
    assert PRESETS["tiny"].feature_size == PRESETS["tiny-one"].feature_size
    assert PRESETS["paper"].feature_size == PRESETS["paper-one"].feature_size


# -- learning ---------------------------------------------------------------------------------

def test_training_on_predictable_motion_beats_chance():
    torch.manual_seed(0)
    c = PRESETS["tiny"]
    objective = CPCObjective(CPCNet(c))
    held_out = [{"frames": drifting_textures(8, c.clip_frames, 64, seed=1000 + i)}
                for i in range(2)]
    before = evaluate(objective, held_out, CPU, seed=0)
    assert before["log_n"] == pytest.approx(math.log(8 * c.pred_blocks * c.latent_size ** 2))
    optimizer = torch.optim.Adam(objective.parameters(), lr=3e-3)
    objective.train()
    for step in range(40):
        batch = {"frames": drifting_textures(8, c.clip_frames + 5, 64, seed=step)}
        out = objective(batch, torch.Generator().manual_seed(step))
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
    after = evaluate(objective, held_out, CPU, seed=0)
    assert after["loss"] < before["loss"] - 0.5
    assert after["infonce_accuracy"] > 5 * after["chance_accuracy"]
    assert learned(after) and not learned(before)
