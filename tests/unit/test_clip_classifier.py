"""The supervised clip classifier: any backbone with the vision layer API learns a clip label."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import Tensor, nn

from brainlike.models.cpc import CPCNet
from brainlike.models.mae import MAE, PRESETS
from brainlike.models.vision_configs import CPCConfig
from brainlike.objectives.clip_classifier import EMBEDDING, ClipClassifier, evaluate, learned

CPU = torch.device("cpu")
N_CLASSES = 3
# Class 0 clips are uniformly dim, class 1 clips bright in the top half, class 2 in the left
# half: told apart by any layer that keeps a coarse map. Two of three clips are class 0, so the
# majority guess is right two times in three.


class Conv3dStub(nn.Module):
    """A two-layer 3-D convolutional backbone with the vision layer API."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv3d(1, 4, (3, 5, 5), stride=(1, 4, 4), padding=(1, 2, 2))
        self.conv2 = nn.Conv3d(4, 8, (3, 3, 3), stride=(1, 2, 2), padding=1)

    def layer_names(self) -> list[str]:
        return ["conv1", "conv2"]

    def forward_layers(self, frames: Tensor) -> dict[str, Tensor]:
        x1 = torch.relu(self.conv1(frames.unsqueeze(1)))  # (B, C, T, H', W')
        x2 = torch.relu(self.conv2(x1))
        return {name: nn.functional.adaptive_avg_pool3d(x, (x.shape[2], 2, 2))
                .permute(0, 2, 1, 3, 4).flatten(2)
                for name, x in (("conv1", x1), ("conv2", x2))}


def _mae() -> MAE:
    return MAE(dataclasses.replace(PRESETS["tiny"], dim=32, depth=2, heads=2, decoder_dim=32,
                                   decoder_depth=1, decoder_heads=2))


def _batch(n: int, label: str, seed: int) -> dict:
    """Clips (n, 4, 64, 64) labelled by where they are bright under ``label``; the other
    labels random."""
    g = torch.Generator().manual_seed(seed)
    classes = torch.tensor([0, 0, 1, 0, 0, 2] * n)[:n][torch.randperm(n, generator=g)]
    frames = 0.3 + 0.05 * torch.randn(n, 4, 64, 64, generator=g)
    frames[classes == 1, :, :32, :] += 0.4
    frames[classes == 2, :, :, :32] += 0.4
    frames = frames.clamp(0, 1)
    batch = {key: torch.randint(0, N_CLASSES, (n,), generator=g)
             for key in ("shape", "direction", "texture")}
    return {**batch, "frames": frames, label: classes}


@pytest.mark.parametrize(("backbone", "label", "layer"), [
    (_mae, "shape", None), (Conv3dStub, "direction", None), (Conv3dStub, "shape", "conv1")])
def test_the_classifier_learns_a_separable_label_above_majority(backbone, label, layer):
    torch.manual_seed(0)
    module = ClipClassifier(backbone(), label, N_CLASSES, layer=layer)
    heldout = [_batch(12, label, seed=100 + i) for i in range(2)]
    before = evaluate(module, heldout, CPU, seed=0)
    optimizer = torch.optim.AdamW(module.parameters(), lr=1e-2)
    losses = []
    for step in range(80):
        module.train()
        out = module(_batch(12, label, seed=step))
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
        losses.append(float(out["loss"].detach()))
    after = evaluate(module, heldout, CPU, seed=0)
    assert after["majority_accuracy"] == pytest.approx(2 / 3)
    assert after["clips"] == 24
    assert learned(after) and after["accuracy"] >= 0.9, (before, after)
    assert sum(losses[-5:]) < sum(losses[:5])


def test_the_head_reads_the_named_layer():
    stub = Conv3dStub()
    assert ClipClassifier(stub, "shape", 4).head.in_features == 8 * 4  # conv2: 8 channels x 2x2
    assert ClipClassifier(stub, "shape", 4, layer="conv1").head.in_features == 4 * 4
    mae = _mae()
    assert ClipClassifier(mae, "direction", 8, layer="patch").layer == "patch"
    assert ClipClassifier(mae, "direction", 8).layer == "block2"


def test_bad_labels_and_layers_are_refused():
    stub = Conv3dStub()
    with pytest.raises(ValueError, match="label"):
        ClipClassifier(stub, "colour", 4)
    with pytest.raises(ValueError, match="conv3"):
        ClipClassifier(stub, "shape", 4, layer="conv3")
    module = ClipClassifier(stub, "shape", N_CLASSES)
    batch = _batch(4, "shape", seed=0)
    with pytest.raises(ValueError, match="per clip"):
        module({**batch, "shape": batch["shape"][:3]})
    assert not learned({"accuracy": 0.5, "majority_accuracy": 0.5})


def _frame_batch(n: int, seed: int) -> dict:
    """Clips whose label changes within the clip: each frame is class 1 (bright top half) or
    class 2 (bright left half), switching at a random frame."""
    g = torch.Generator().manual_seed(seed)
    frames = 0.3 + 0.05 * torch.randn(n, 6, 64, 64, generator=g)
    switch = torch.randint(1, 6, (n,), generator=g)
    first = torch.randint(1, 3, (n,), generator=g)
    labels = torch.where(torch.arange(6) < switch[:, None], first[:, None], 3 - first[:, None])
    frames[:, :, :32, :] += 0.4 * (labels == 1)[..., None, None]
    frames[:, :, :, :32] += 0.4 * (labels == 2)[..., None, None]
    return {"frames": frames.clamp(0, 1), "direction": labels,
            "shape": torch.zeros(n, dtype=torch.long)}


def test_a_per_frame_label_is_named_frame_by_frame():
    torch.manual_seed(0)
    module = ClipClassifier(Conv3dStub(), "direction", N_CLASSES)
    optimizer = torch.optim.AdamW(module.parameters(), lr=1e-2)
    for step in range(80):
        module.train()
        out = module(_frame_batch(12, seed=step))
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
    after = evaluate(module, [_frame_batch(12, seed=100)], CPU, seed=0)
    assert after["clips"] == 12 * 6  # every frame counts
    # A clip-averaged read-out could name at most the clip's majority label.
    assert after["accuracy"] >= 0.9, after


def test_a_cpc_backbone_is_read_through_its_position_invariant_embedding():
    net = CPCNet(CPCConfig.preset("tiny"))
    module = ClipClassifier(net, "shape", 4)
    assert module.layer == EMBEDDING
    assert module.head.in_features == net.config.feature_size
    frames = torch.rand(2, 10, 64, 64)
    shifted = torch.roll(frames, shifts=(8, 8), dims=(2, 3))
    net.eval()
    with torch.no_grad():
        assert module.logits(frames).shape == (2, 4)
        assert module.logits(frames, per_frame=True).shape == (2, 10, 4)
        # Averaged over space, the embedding barely moves when the scene is shifted.
        a, b = net.frame_embedding(frames), net.frame_embedding(shifted)
    assert torch.corrcoef(torch.stack([a.flatten(), b.flatten()]))[0, 1] > 0.95
