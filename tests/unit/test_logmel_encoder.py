"""The log-mel encoder: layer API, staged forward, geometry, input checks, checkpoints."""

from __future__ import annotations

import pytest
import torch

from brainlike.models import checkpoint
from brainlike.models.configs import LogMelEncoderConfig
from brainlike.models.logmel_encoder import LogMelEncoder

SR = 16000



@pytest.fixture(scope="module")
def tiny() -> LogMelEncoder:
    torch.manual_seed(0)
    return LogMelEncoder(LogMelEncoderConfig.preset("tiny")).eval()


def _audio(n: int, batch: int = 1, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 0.1 * torch.randn(batch, n, generator=g)


def test_layer_names_and_shapes(tiny):
    assert tiny.layer_names == ["conv1", "conv2"] + [f"transformer{i}" for i in range(1, 5)]
    with torch.no_grad():
        outputs = tiny.extract_features(_audio(SR, batch=2))
    assert len(outputs) == 6
    # 100 Hz mel (98 frames in 1 s, unpadded) -> conv1 k3 s1 -> conv2 k3 s2 (50 Hz)
    assert outputs[0].shape == (2, 96, 256)
    assert outputs[1].shape == (2, 47, 256)
    for out in outputs[2:]:
        assert out.shape == (2, 47, 256)
    assert all(torch.isfinite(o).all() for o in outputs)
    assert tiny.output_frames(SR) == 47
    assert 3.4e6 < sum(p.numel() for p in tiny.parameters()) < 3.8e6


def test_small_widens_only_the_transformer(tiny):
    small = LogMelEncoder(LogMelEncoderConfig.preset("small")).eval()
    assert small.layer_names == tiny.layer_names
    assert small.layer_geometry == tiny.layer_geometry  # same frames, so same targets
    with torch.no_grad():
        outputs = small.extract_features(_audio(SR))
    assert [o.shape[-1] for o in outputs] == [256, 256] + [512] * 4


def test_stages_compose_and_layers_are_prefixes(tiny):
    x = _audio(12000, batch=2)
    with torch.no_grad():
        every = tiny.extract_features(x)
        mel = tiny.frontend(x)
        assert mel.shape == (2, (12000 - 400) // 160 + 1, 80)
        conv = tiny.forward_conv(mel)
        for a, b in zip(conv, every[:2]):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
        for k in range(1, 5):
            partial = tiny.forward_encoder(conv[-1], num_layers=k)
            assert len(partial) == k
            torch.testing.assert_close(partial[-1], every[1 + k], rtol=0, atol=0)
        torch.testing.assert_close(tiny(x), every[-1], rtol=0, atol=0)


def test_frontend_is_normalised_per_utterance(tiny):
    x = _audio(SR, batch=2)
    mel = tiny.frontend(x)
    torch.testing.assert_close(mel.mean(1), torch.zeros(2, 80), atol=1e-4, rtol=0)
    torch.testing.assert_close(mel.std(1, unbiased=False), torch.ones(2, 80), atol=1e-3, rtol=0)
    # gain only shifts the log, which the normalisation removes
    torch.testing.assert_close(tiny.frontend(8.0 * x), mel, atol=1e-2, rtol=0)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert tiny.frontend(x).dtype == torch.float32


def test_batched_equals_single(tiny):
    x = _audio(8000, batch=3, seed=5)
    x[1] *= 20.0  # very different loudness: each item is normalised on its own
    with torch.no_grad():
        batched = tiny.extract_features(x)
        for b in range(3):
            single = tiny.extract_features(x[b:b + 1])
            for name, whole, one in zip(tiny.layer_names, batched, single):
                torch.testing.assert_close(whole[b:b + 1], one, rtol=1e-4, atol=1e-4,
                                           msg=lambda m, name=name: f"{name}: {m}")


def test_layer_geometry_matches_frame_counts(tiny):
    geometry = tiny.layer_geometry
    assert len(geometry) == 6
    assert [(g.stride, g.field) for g in geometry[:2]] == [(160, 720), (320, 1040)]
    assert all(g == geometry[1] for g in geometry[2:])
    for n in (1040, 1041, 1359, 1360, 5000, 16000):
        with torch.no_grad():
            outs = tiny.extract_features(_audio(n))
        for g, out, name in zip(geometry, outs, tiny.layer_names):
            assert out.shape[1] == (n - g.field) // g.stride + 1, (name, n)
        assert outs[-1].shape[1] == tiny.output_frames(n)
    # conv2 frame j is centred on the 100 Hz mel frame 2j + 2
    centres = geometry[1].centres(3, SR)
    torch.testing.assert_close(centres, (torch.tensor([2, 4, 6]) * 160 + 200) / SR)


def test_masked_frames_lose_their_content(tiny):
    x = _audio(SR, batch=2)
    with torch.no_grad():
        conv = tiny.forward_conv(tiny.frontend(x))[-1]
        mask = torch.zeros(conv.shape[:2], dtype=torch.bool)
        mask[:, 10:15] = True
        altered = conv.clone()
        altered[:, 10:15] = torch.randn_like(altered[:, 10:15])
        a = tiny.forward_encoder(conv, mask=mask)
        b = tiny.forward_encoder(altered, mask=mask)
        for u, v in zip(a, b):
            torch.testing.assert_close(u, v, rtol=0, atol=0)
        unmasked = tiny.forward_encoder(conv)
        assert not torch.allclose(unmasked[0][:, 10:15], a[0][:, 10:15])
    with pytest.raises(ValueError, match=r"mask must be \(batch, frames\).*\(2, 3\)"):
        tiny.forward_encoder(conv, mask=torch.zeros(2, 3, dtype=torch.bool))


def test_bad_inputs_raise(tiny):
    with pytest.raises(ValueError, match=r"\(batch, time\).*\(16000,\)"):
        tiny.extract_features(torch.zeros(16000))
    with pytest.raises(ValueError, match=r"\(1, 1039\).*1040 samples"):
        tiny.extract_features(torch.zeros(1, 1039))
    with torch.no_grad():
        assert tiny.extract_features(torch.zeros(1, 1040))[-1].shape == (1, 1, 256)
    with pytest.raises(ValueError, match="unknown logmel preset 'huge'"):
        LogMelEncoderConfig.preset("huge")
    with pytest.raises(ValueError, match="pos_conv_kernel must be odd"):
        LogMelEncoderConfig(pos_conv_kernel=32)


def test_presets_round_trip():
    for name in ("tiny", "base"):
        cfg = LogMelEncoderConfig.preset(name)
        assert LogMelEncoderConfig.from_dict(cfg.to_dict()) == cfg
    base = LogMelEncoderConfig.preset("base")
    assert (base.embed_dim, base.num_layers) == (768, 12)
    # the same frame timing whatever the size, so layers line up across presets
    tiny = LogMelEncoderConfig.preset("tiny")
    timing = ("n_fft", "hop_length", "conv_kernels", "conv_strides", "sample_rate")
    assert all(getattr(base, k) == getattr(tiny, k) for k in timing)


def test_checkpoint_round_trip(tmp_path, tiny):
    path = tmp_path / "logmel.pt"
    checkpoint.save(path, tiny, "logmel", extra={"step": 3})
    model, extra = checkpoint.load(path)
    assert extra == {"step": 3} and not model.training
    assert isinstance(model, LogMelEncoder) and model.config == tiny.config
    assert isinstance(model.config.conv_kernels, tuple)
    mine, theirs = tiny.state_dict(), model.state_dict()
    assert mine.keys() == theirs.keys()
    assert all(torch.equal(mine[k], theirs[k]) for k in mine)
    x = _audio(4000)
    with torch.no_grad():
        for a, b in zip(tiny.extract_features(x), model.extract_features(x)):
            assert torch.equal(a, b)
    assert torch.load(path, weights_only=True)["family"] == "logmel"


def _transformer_input(model: LogMelEncoder, conv: torch.Tensor, **kw) -> torch.Tensor:
    """What the first transformer layer receives (positions already combined)."""
    seen = []
    handle = model.layers[0].register_forward_pre_hook(lambda _, args: seen.append(args[0]))
    try:
        model.forward_encoder(conv, num_layers=1, **kw)
    finally:
        handle.remove()
    return seen[0]


@pytest.mark.parametrize("preset, width, pos_dims", [("tiny-split", 256, 64),
                                                     ("small-split", 512, 128)])
def test_split_positions_keep_their_own_channels(tiny, preset, width, pos_dims):
    torch.manual_seed(0)
    split = LogMelEncoder(LogMelEncoderConfig.preset(preset)).eval()
    assert split.layer_names == tiny.layer_names
    assert split.layer_geometry == tiny.layer_geometry
    with torch.no_grad():
        outputs = split.extract_features(_audio(SR))
        assert [o.shape[-1] for o in outputs] == [256, 256] + [width] * 4
        conv = split.forward_conv(split.frontend(_audio(SR, batch=2)))[-1]
        seen = _transformer_input(split, conv)
        content = split.projection(split.feature_norm(conv))
        assert content.shape[-1] == width - pos_dims
        # the frame's content reaches the transformer untouched; positions sit beside it
        torch.testing.assert_close(seen[..., :width - pos_dims], content, rtol=0, atol=0)
        assert seen[..., width - pos_dims:].abs().sum() > 0
        # added (the default presets): no channel carries the projection alone
        conv_tiny = tiny.forward_conv(tiny.frontend(_audio(SR, batch=2)))[-1]
        added = _transformer_input(tiny, conv_tiny)
        alone = tiny.projection(tiny.feature_norm(conv_tiny))
        assert (added - alone).abs().amax(dim=(0, 1)).min() > 0
        # masking hides the content channels, not the positions' existence
        mask = torch.zeros(conv.shape[:2], dtype=torch.bool)
        mask[:, 10:15] = True
        hidden = _transformer_input(split, conv, mask=mask)
        assert torch.equal(hidden[:, 10:15, :width - pos_dims],
                           split.mask_embedding.expand(2, 5, -1))
    assert LogMelEncoderConfig.from_dict(split.config.to_dict()) == split.config


def test_configs_saved_before_pos_dims_load_as_added_positions():
    old = LogMelEncoderConfig.preset("tiny").to_dict()
    del old["pos_dims"]
    assert LogMelEncoderConfig.from_dict(old).pos_dims == 0
    with pytest.raises(ValueError, match="pos_dims 256 must be in"):
        LogMelEncoderConfig(pos_dims=256)
    with pytest.raises(ValueError, match="pos_dims 20 .* divide by pos_conv_groups 16"):
        LogMelEncoderConfig(pos_dims=20)
