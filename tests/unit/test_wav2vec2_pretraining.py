"""Pre-training the raw-waveform wav2vec2 (brainlike.models.wav2vec2): its staged forward
(frontend, forward_conv, forward_encoder with a mask) under the contrastive and HuBERT
objectives."""

from __future__ import annotations

import pytest
import torch

from brainlike.models import checkpoint
from brainlike.models.configs import Wav2Vec2Config
from brainlike.models.wav2vec2 import Wav2Vec2
from brainlike.objectives.hubert import HubertObjective
from brainlike.objectives.wav2vec2 import Contrastive, ObjectiveConfig

SR = 16000
N_CONV = 7


def _model(seed: int = 0) -> Wav2Vec2:
    torch.manual_seed(seed)
    return Wav2Vec2(Wav2Vec2Config.preset("tiny"))


def _audio(batch: int = 2, n: int = SR, seed: int = 1) -> torch.Tensor:
    return 0.1 * torch.randn(batch, n, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module")
def tiny() -> Wav2Vec2:
    return _model().eval()


# -- the staged forward -----------------------------------------------------------------------

def test_frontend_is_the_waveform(tiny):
    x = _audio()
    assert tiny.frontend(x) is x
    with pytest.raises(ValueError, match=r"\(batch, time\), found shape \(16000,\)"):
        tiny.frontend(x[0])


def test_extract_features_is_conv_then_encoder(tiny):
    x = _audio(n=12000)
    with torch.no_grad():
        layers = tiny.extract_features(x)
        conv = tiny.forward_conv(tiny.frontend(x))
        encoded = tiny.forward_encoder(conv[-1])
        first_two = tiny.forward_encoder(conv[-1], num_layers=2)
    assert len(layers) == len(tiny.layer_names) == N_CONV + 4
    for a, b in zip(layers, conv + encoded):
        assert torch.equal(a, b)
    assert len(first_two) == 2
    for a, b in zip(first_two, encoded):
        assert torch.equal(a, b)
    # the same transformer outputs as torchaudio's own forward
    with torch.no_grad():
        theirs, _ = tiny.backbone.extract_features(x)
    for a, b in zip(encoded, theirs):
        torch.testing.assert_close(a, b)


def test_an_empty_mask_changes_nothing(tiny):
    with torch.no_grad():
        conv = tiny.forward_conv(_audio())[-1]
        plain = tiny.forward_encoder(conv)
        empty = tiny.forward_encoder(conv, torch.zeros(conv.shape[:2], dtype=torch.bool))
    for a, b in zip(plain, empty):
        assert torch.equal(a, b)


def test_mask_replaces_masked_frames_after_the_projection(tiny):
    with torch.no_grad():
        conv = tiny.forward_conv(_audio())[-1]  # (2, 49, 64)
        mask = torch.zeros(conv.shape[:2], dtype=torch.bool)
        mask[0, 10:15], mask[1, 30:34] = True, True
        masked = tiny.forward_encoder(conv, mask)
        plain = tiny.forward_encoder(conv)
        projected = tiny.backbone.encoder.feature_projection(conv)
        projected[mask] = tiny.mask_embedding
        expected = tiny.backbone.encoder.transformer.get_intermediate_outputs(projected)
    for a, b in zip(masked, expected):
        torch.testing.assert_close(a, b)
    # the masked frames' output changes most; attention spreads some change to every frame
    change = (masked[-1] - plain[-1]).norm(dim=-1)
    assert change[0, 10:15].mean() > 3 * change[0, 30:].mean()
    assert change[1, 30:34].mean() > 3 * change[1, :20].mean()


def test_masked_frames_content_is_hidden(tiny):
    with torch.no_grad():
        conv = tiny.forward_conv(_audio())[-1]
        mask = torch.zeros(conv.shape[:2], dtype=torch.bool)
        mask[:, 20:25] = True
        base = tiny.forward_encoder(conv, mask)[-1]
        hidden = conv.clone()
        hidden[:, 20:25] += torch.randn(2, 5, conv.shape[-1])
        seen = conv.clone()
        seen[:, 5] += torch.randn(2, conv.shape[-1])
        assert torch.equal(tiny.forward_encoder(hidden, mask)[-1], base)
        assert not torch.allclose(tiny.forward_encoder(seen, mask)[-1], base)


def test_wrong_mask_shape(tiny):
    conv = torch.zeros(2, 49, 64)
    with pytest.raises(ValueError, match=r"mask must be \(batch, frames\) = \(2, 49\), found "
                                         r"shape \(2, 48\)"):
        tiny.forward_encoder(conv, torch.zeros(2, 48, dtype=torch.bool))


# -- gradients --------------------------------------------------------------------------------

def _head() -> ObjectiveConfig:
    return ObjectiveConfig.preset("small", unmasked_weight=0.0)


def _assert_every_parameter_learns(model: Wav2Vec2) -> None:
    missing = [n for n, p in model.named_parameters()
               if p.grad is None or not torch.isfinite(p.grad).all() or not p.grad.abs().sum()]
    assert missing == []
    assert model.mask_embedding.grad.abs().sum() > 0


def test_contrastive_backward_reaches_every_parameter():
    model = _model()
    objective = Contrastive(model, _head(), 0.4, (3, 5), "conv2").train()
    out = objective({"audio": _audio()}, torch.Generator().manual_seed(0))
    assert torch.isfinite(out["loss"])
    out["loss"].backward()
    _assert_every_parameter_learns(model)
    assert int(objective.step) == 1


def test_hubert_backward_reaches_every_parameter():
    model = _model()
    objective = HubertObjective(model, n_clusters=8, mask_prob=0.4, span=(3, 5),
                                unmasked_weight=0.0).train()
    audio = _audio()
    frames = model.forward_conv(audio)[-1].shape[1]
    targets = torch.randint(0, 8, (2, frames), generator=torch.Generator().manual_seed(2))
    out = objective({"audio": audio, "targets": targets, "length": torch.tensor([SR, SR])},
                    torch.Generator().manual_seed(0))
    assert out["n_masked"] > 0
    out["loss"].backward()
    _assert_every_parameter_learns(model)


# -- it learns --------------------------------------------------------------------------------

def test_contrastive_loss_falls_on_a_fixed_batch():
    model = _model()
    objective = Contrastive(model, _head(), 0.4, (3, 5), "conv2")
    batch = {"audio": _audio()}

    def held_out_loss() -> float:
        objective.eval()
        with torch.no_grad():
            loss = float(objective(batch, torch.Generator().manual_seed(5))["contrastive"])
        objective.train()
        return loss

    before = held_out_loss()
    optimizer = torch.optim.Adam(objective.parameters(), lr=5e-4)
    objective.train()
    for step in range(15):
        loss = objective(batch, torch.Generator().manual_seed(100 + step))["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = held_out_loss()
    # measured: 2.84 -> 2.56 (seeds 0-5 fall by 0.3 to 0.7 at lr 5e-4 to 1e-3)
    assert after < before - 0.15
    assert int(objective.step) == 15


def test_logmel_targets_need_a_logmel_encoder():
    with pytest.raises(ValueError, match="needs a log-mel encoder"):
        Contrastive(_model(), _head(), 0.4, (3, 5), quantize="logmel")
    with pytest.raises(ValueError, match="unknown quantize 'conv3'"):
        Contrastive(_model(), _head(), 0.4, (3, 5), quantize="conv3")


def test_logmel_targets_are_the_mel_window_under_each_conv2_frame():
    torch.manual_seed(0)
    encoder = checkpoint.from_preset("logmel", "tiny")
    objective = Contrastive(encoder, _head(), 0.4, (3, 5), quantize="logmel")
    mel = encoder.frontend(_audio(n=SR + 123))
    features = encoder.forward_conv(mel)[-1]
    windows = objective.quantizer_input(mel, features)
    assert windows.shape == (2, features.shape[1], 80 * 5)
    # conv2 frame j sees mel frames 2j .. 2j+4 (kernels 3 and 3, strides 1 and 2)
    g = encoder.layer_geometry[1]
    assert (g.stride, g.field) == (2 * 160, 400 + 4 * 160)
    for j in (0, 7, features.shape[1] - 1):
        assert torch.equal(windows[:, j], mel[:, 2 * j:2 * j + 5].transpose(1, 2).flatten(1))
    out = objective({"audio": _audio()}, torch.Generator().manual_seed(0))
    out["loss"].backward()
    # the targets are fixed features: the convolutions learn only through the transformer
    assert encoder.conv1.weight.grad.abs().sum() > 0
    assert objective.objective.quantizer.logits.weight.shape[1] == 400
