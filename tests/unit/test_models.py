"""wav2vec2 with every layer exposed, and checkpoints that load with weights_only=True."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from brainlike.errors import InputError
from brainlike.models import checkpoint
from brainlike.models.configs import PAPER_CONV, Wav2Vec2Config
from brainlike.models.wav2vec2 import Wav2Vec2

SR = 16000



@pytest.fixture(scope="module")
def tiny() -> Wav2Vec2:
    torch.manual_seed(0)
    return Wav2Vec2(Wav2Vec2Config.preset("tiny")).eval()


def _audio(n: int, batch: int = 1, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 0.1 * torch.randn(batch, n, generator=g)


def _conv_frames(n: int, conv_layers) -> list[int]:
    """Frames after each valid (unpadded) convolution, from kernel and stride."""
    frames = []
    for _, kernel, stride in conv_layers:
        n = (n - kernel) // stride + 1
        frames.append(n)
    return frames


def test_tiny_layer_names_and_shapes(tiny):
    cfg = tiny.config
    assert tiny.layer_names == [f"conv{i}" for i in range(1, 8)] + \
        [f"transformer{i}" for i in range(1, 5)]
    n = SR  # one second
    outputs = tiny.extract_features(_audio(n, batch=2))
    assert len(outputs) == 11
    frames = _conv_frames(n, cfg.conv_layers)
    for out, name, f in zip(outputs[:7], tiny.layer_names, frames):
        assert out.shape == (2, f, 64), name
    for out, name in zip(outputs[7:], tiny.layer_names[7:]):
        assert out.shape == (2, frames[-1], 128), name
    assert frames[-1] == 49  # 20 ms frames, 25 ms receptive field, as the BASE model
    assert all(torch.isfinite(o).all() for o in outputs)


def test_transformer_outputs_equal_torchaudio(tiny):
    x = _audio(12000, batch=2)
    with torch.no_grad():
        ours = tiny.extract_features(x)
        theirs, lengths = tiny.backbone.extract_features(x)
        assert lengths is None
        assert len(theirs) == tiny.config.num_layers
        for k, (a, b) in enumerate(zip(ours[7:], theirs)):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
            # the all-layer pass agrees with a pass stopped after layer k+1
            partial, _ = tiny.backbone.extract_features(x, num_layers=k + 1)
            assert len(partial) == k + 1
            torch.testing.assert_close(a, partial[-1], rtol=0, atol=0)
        # the last conv block is what torchaudio feeds its encoder
        conv_out, _ = tiny.backbone.feature_extractor(x, None)
        torch.testing.assert_close(ours[6], conv_out, rtol=0, atol=0)


def test_batched_equals_single(tiny):
    x = _audio(8000, batch=3, seed=5)
    x[1] *= 20.0  # very different loudness: GroupNorm must normalise per sample
    with torch.no_grad():
        batched = tiny.extract_features(x)
        for b in range(3):
            single = tiny.extract_features(x[b:b + 1])
            for name, whole, one in zip(tiny.layer_names, batched, single):
                torch.testing.assert_close(whole[b:b + 1], one, rtol=1e-4, atol=1e-5,
                                           msg=lambda m, name=name: f"{name}: {m}")


def test_layer_geometry_strides_and_fields(tiny):
    geometry = tiny.layer_geometry
    assert len(geometry) == 11
    assert [g.stride for g in geometry[:7]] == [5, 10, 20, 40, 80, 160, 320]
    assert [g.field for g in geometry[:7]] == [10, 20, 40, 80, 160, 240, 400]
    assert all(g == geometry[6] for g in geometry[7:])
    # the same geometry as the paper's BASE model, whatever the width
    base = SimpleNamespace(config=Wav2Vec2Config.preset("base"))
    base_geometry = Wav2Vec2.layer_geometry.fget(base)
    assert len(base_geometry) == 7 + 12
    assert base_geometry[:8] == geometry[:8]
    # frames produced: exactly those whose receptive field fits in the input
    for n in (400, 401, 719, 720, 5000, 16000):
        with torch.no_grad():
            outs = tiny.extract_features(_audio(n))
        for g, out, name in zip(geometry, outs, tiny.layer_names):
            assert out.shape[1] == (n - g.field) // g.stride + 1, (name, n)
    # frame centres in seconds
    centres = geometry[6].centres(3, SR)
    torch.testing.assert_close(centres, torch.tensor([200, 520, 840]) / SR)


def test_bad_inputs_raise(tiny):
    with pytest.raises(ValueError, match=r"\(batch, time\).*\(16000,\)"):
        tiny.extract_features(torch.zeros(16000))
    with pytest.raises(ValueError, match=r"399 samples.*400 samples"):
        tiny.extract_features(torch.zeros(1, 399))
    with torch.no_grad():
        assert tiny.extract_features(torch.zeros(1, 400))[-1].shape == (1, 1, 128)
    with pytest.raises(ValueError, match="unknown waveform preset 'huge'"):
        Wav2Vec2Config.preset("huge")
    with pytest.raises(ValueError, match="unknown model family"):
        checkpoint.build("hubert", Wav2Vec2Config.preset("tiny"))


def test_presets():
    base = Wav2Vec2Config.preset("base")
    assert base.conv_layers == PAPER_CONV
    assert (base.embed_dim, base.num_layers, base.num_heads) == (768, 12, 12)
    assert Wav2Vec2Config.from_dict(base.to_dict()) == base
    tiny = Wav2Vec2Config.preset("tiny")
    assert Wav2Vec2Config.from_dict(tiny.to_dict()) == tiny


def test_checkpoint_round_trip(tmp_path, tiny):
    path = tmp_path / "model.pt"
    checkpoint.save(path, tiny, "waveform", extra={"step": 7, "loss": 1.5})
    model, extra = checkpoint.load(path)
    assert extra == {"step": 7, "loss": 1.5}
    assert not model.training
    assert model.config == tiny.config
    assert isinstance(model.config.conv_layers[0], tuple)
    mine, theirs = tiny.state_dict(), model.state_dict()
    assert mine.keys() == theirs.keys()
    for key in mine:
        assert torch.equal(mine[key], theirs[key]), key
    x = _audio(4000)
    with torch.no_grad():
        for a, b in zip(tiny.extract_features(x), model.extract_features(x)):
            assert torch.equal(a, b)
    # plain types only: loadable without unpickling code
    payload = torch.load(path, weights_only=True)
    assert payload["family"] == "waveform"
    assert payload["config"]["embed_dim"] == 128


def test_load_of_truncated_or_foreign_file_names_it(tmp_path, tiny):
    path = tmp_path / "model.pt"
    checkpoint.save(path, tiny, "waveform")
    raw = path.read_bytes()
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError, match="truncated.pt") as info:
        checkpoint.load(truncated)
    assert info.value.path == str(truncated)

    foreign = tmp_path / "foreign.pt"
    torch.save({"family": "bert", "config": {}, "state_dict": {}}, foreign)
    with pytest.raises(InputError, match="foreign.pt.*unknown model family 'bert'"):
        checkpoint.load(foreign)
    tensor = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), tensor)
    with pytest.raises(InputError, match="tensor.pt"):
        checkpoint.load(tensor)
    missing = tmp_path / "missing.pt"
    with pytest.raises(InputError, match="missing.pt"):
        checkpoint.load(missing)


def test_seeded_init_is_deterministic():
    cfg = Wav2Vec2Config.preset("tiny")
    torch.manual_seed(123)
    a = checkpoint.build("waveform", cfg).state_dict()
    torch.manual_seed(123)
    b = checkpoint.build("waveform", cfg).state_dict()
    torch.manual_seed(124)
    c = checkpoint.build("waveform", cfg).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a if a[k].is_floating_point())
