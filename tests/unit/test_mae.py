"""The masked autoencoder: masking, normalised-pixel targets, a loss on masked patches only,
the layer API, and pre-training that learns."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from brainlike.models.mae import MAE, PRESETS, MAEConfig, pathway_of, random_masking
from brainlike.objectives.mae import MAEObjective, evaluate, learned, mean_patch_mse

CPU = torch.device("cpu")
# The tiny preset's geometry (32 px input read from 64 px frames, 4 px patches) at a width
# that trains in a few seconds.
SMALL = dataclasses.replace(PRESETS["tiny"], dim=32, depth=2, heads=2, decoder_dim=32,
                            decoder_depth=1, decoder_heads=2)


def _model(config: MAEConfig = SMALL, seed: int = 0) -> MAE:
    torch.manual_seed(seed)
    return MAE(config)


def _one_scene_clips(seed: int) -> torch.Tensor:
    """Four clips of 8 frames, all one smooth random scene at random contrasts: a tiny set
    whose normalised patches a small model can memorise. (4, 8, 64, 64) in [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    scene = F.interpolate(torch.rand(1, 1, 16, 16, generator=g), size=64, mode="bilinear",
                          align_corners=False)[0, 0]
    contrast = 0.2 + 0.6 * torch.rand(32, 1, 1, generator=g)
    return (0.5 + contrast * (scene - 0.5)).reshape(4, 8, 64, 64)


def test_masking_keeps_exactly_the_ratio_and_differs_per_sample():
    b, n, d = 16, 64, 3
    # token j carries its own index, so the kept tokens say which patches they were
    x = torch.arange(n, dtype=torch.float32)[None, :, None].expand(b, n, d).clone()
    kept, mask, ids_restore = random_masking(x, 0.75, torch.Generator().manual_seed(0))
    assert kept.shape == (b, 16, d) and mask.shape == (b, n)
    assert torch.equal(mask.sum(1), torch.full((b,), 48.0))
    for row in range(b):
        visible = torch.nonzero(mask[row] == 0).flatten()
        assert sorted(kept[row, :, 0].long().tolist()) == visible.tolist()
    assert len({tuple(m.tolist()) for m in mask}) == b
    # unshuffling kept tokens + placeholders puts each kept token back at its patch
    filled = torch.cat([kept, torch.full((b, n - 16, d), -1.0)], dim=1)
    restored = torch.gather(filled, 1, ids_restore[:, :, None].expand(-1, -1, d))
    assert torch.equal(restored[mask == 0], x[mask == 0])
    assert (restored[mask == 1] == -1).all()
    # round((1 - ratio) * L) patches kept for ratios that do not divide L
    _, mask, _ = random_masking(torch.zeros(4, 10, 2), 0.6, torch.Generator().manual_seed(0))
    assert torch.equal(mask.sum(1), torch.full((4,), 6.0))


def test_masking_is_deterministic_under_a_generator():
    x = torch.randn(4, 64, 8)
    _, a, _ = random_masking(x, 0.75, torch.Generator().manual_seed(5))
    _, b, _ = random_masking(x, 0.75, torch.Generator().manual_seed(5))
    _, c, _ = random_masking(x, 0.75, torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    with pytest.raises(ValueError, match="mask_ratio"):
        random_masking(x, 1.0)
    with pytest.raises(ValueError, match="found shape"):
        random_masking(torch.zeros(4, 64), 0.5)


def test_targets_are_pooled_patches_normalised_one_by_one():
    frames = torch.rand(3, 64, 64)
    pooled = F.avg_pool2d(frames[:, None], 2)[:, 0]  # 64 px -> 32 px
    raw = MAE(dataclasses.replace(SMALL, norm_pix_loss=False)).targets(frames)
    assert raw.shape == (3, 64, 16)
    # patch (r, c) of the 8x8 grid is the pooled frame's 4x4 block there, row-major
    for r, c in [(0, 0), (2, 5), (7, 7)]:
        block = pooled[:, 4 * r:4 * r + 4, 4 * c:4 * c + 4].reshape(3, 16)
        torch.testing.assert_close(raw[:, 8 * r + c], block)
    normed = _model().targets(frames)
    torch.testing.assert_close(normed.mean(-1), torch.zeros(3, 64), atol=1e-5, rtol=0)
    torch.testing.assert_close(normed.var(-1), torch.ones(3, 64), atol=1e-3, rtol=0)
    # a patch's normalised target ignores its brightness and contrast
    torch.testing.assert_close(_model().targets(0.2 + 0.5 * frames), normed, atol=1e-3, rtol=0)


def test_the_loss_reads_masked_patches_only():
    model = _model()
    frames = torch.rand(2, 64, 64)
    with torch.no_grad():
        latent, mask, ids_restore = model.forward_encoder(frames, 0.75,
                                                          torch.Generator().manual_seed(0))
        pred = model.forward_decoder(latent, ids_restore)
        loss = model.forward_loss(frames, pred, mask)

        def changed(patch: int) -> torch.Tensor:
            # patch j of the 32 px grid covers an 8x8 block of the 64 px frame
            r, c = divmod(patch, 8)
            edited = frames.clone()
            edited[0, 8 * r:8 * r + 8, 8 * c:8 * c + 8] = torch.rand(8, 8)
            return model.forward_loss(edited, pred, mask)

        visible = int(torch.nonzero(mask[0] == 0)[0])
        masked = int(torch.nonzero(mask[0] == 1)[0])
        assert changed(visible) == loss
        assert abs(float(changed(masked) - loss)) > 1e-4
        # and it is the mean squared error over exactly those patches
        per_patch = ((pred - model.targets(frames)) ** 2).mean(-1)
        torch.testing.assert_close(loss, per_patch[mask == 1].mean())


def test_forward_layers_reads_each_frame_unmasked():
    model = _model().eval()
    frames = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        layers = model.forward_layers(frames)
        alone = model.forward_layers(frames[1:, 2:])  # one frame of one clip on its own
    assert list(layers) == model.layer_names() == ["patch", "block1", "block2"]
    for name, value in layers.items():
        assert value.shape == (2, 3, SMALL.dim * SMALL.pool ** 2), name
        torch.testing.assert_close(alone[name][0, 0], value[1, 2], atol=1e-5, rtol=1e-5)
    # identical frames give identical features: no mask is drawn
    torch.testing.assert_close(layers["block2"], model.forward_layers(frames)["block2"])
    assert pathway_of("block2") is None and pathway_of("patch") is None
    with pytest.raises(ValueError, match="layer"):
        pathway_of("conv1")
    with pytest.raises(ValueError, match="found shape"):
        model.forward_layers(torch.rand(3, 64, 64))
    with pytest.raises(ValueError, match="found shape"):
        model.forward_layers(torch.rand(1, 2, 16, 16))  # smaller than input_size


def test_presets_and_config_checks():
    tiny, paper = MAEConfig.preset("tiny"), MAEConfig.preset("paper")
    assert (tiny.input_size, tiny.n_patches) == (32, 64)
    assert (paper.dim, paper.depth, paper.heads) == (768, 12, 12)
    assert MAEConfig.from_dict(tiny.to_dict()) == tiny
    with pytest.raises(ValueError, match="preset"):
        MAEConfig.preset("huge")
    with pytest.raises(ValueError, match="patch"):
        MAEConfig(input_size=30, patch=4)
    with pytest.raises(ValueError, match="mask_ratio"):
        MAEConfig(mask_ratio=0.0)


def test_pretraining_on_a_few_clips_learns_to_reconstruct():
    model = _model()
    objective = MAEObjective(model, frames_per_clip=4)
    batch = {"frames": _one_scene_clips(seed=1)}
    before = evaluate(objective, [batch], CPU, seed=0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for step in range(200):
        objective.train()
        out = objective(batch, torch.Generator().manual_seed(step))
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
        losses.append(float(out["loss"].detach()))
    after = evaluate(objective, [batch], CPU, seed=0)
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])
    assert not learned(before) and learned(after), (before, after)
    # the same seed draws the same frames and masks: the baseline does not move
    assert after["mean_patch_mse"] == before["mean_patch_mse"]
    assert after["masked_patches"] == 4 * 4 * 48


def test_the_baseline_is_the_mean_visible_patch():
    targets = torch.randn(2, 4, 3)
    mask = torch.tensor([[1.0, 0, 0, 1], [0, 1, 1, 1]])
    expected = []
    for n in range(2):
        mean = targets[n][mask[n] == 0].mean(0)
        expected += [((targets[n, j] - mean) ** 2).mean() for j in range(4) if mask[n, j]]
    torch.testing.assert_close(mean_patch_mse(targets, mask), torch.stack(expected).mean())
