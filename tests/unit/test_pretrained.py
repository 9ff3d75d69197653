"""Published checkpoints imported through torchaudio: every layer equals the Hugging Face
model's own ``hidden_states``, the checkpoint written loads with weights_only=True, and a bad
source fails naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import (
    HubertConfig,
    HubertModel,
    Wav2Vec2Config,
    Wav2Vec2FeatureExtractor,
    Wav2Vec2Model,
)

from brainlike.errors import InputError
from brainlike.features.layers import _windowed_layers_reference, windowed_layers
from brainlike.models import checkpoint
from brainlike.models.import_pretrained import import_pretrained

SR = 16000
#: A small conv stack with the BASE model's 400-sample receptive field and 320-sample stride.
TINY = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
        "intermediate_size": 64, "conv_dim": (16,) * 7, "conv_kernel": (10, 3, 3, 3, 3, 2, 2),
        "conv_stride": (5, 2, 2, 2, 2, 2, 2), "num_conv_pos_embeddings": 16,
        "num_conv_pos_embedding_groups": 2}
#: name -> (transformers classes, extra config): BASE-like (group norm, post-LN), HuBERT,
#: and XLSR-like (layer-norm conv blocks with bias, pre-LN "stable layer norm").
KINDS = {
    "wav2vec2": (Wav2Vec2Config, Wav2Vec2Model, {}),
    "hubert": (HubertConfig, HubertModel, {}),
    "xlsr": (Wav2Vec2Config, Wav2Vec2Model,
             {"feat_extract_norm": "layer", "do_stable_layer_norm": True, "conv_bias": True}),
}


def save_tiny(kind: str, directory: Path, normalize: bool | None = None) -> Path:
    """A randomly initialised tiny model saved as a Hugging Face directory (with a
    preprocessor_config.json when ``normalize`` is given)."""
    config_cls, model_cls, extra = KINDS[kind]
    torch.manual_seed(0)
    model_cls(config_cls(**TINY, **extra)).save_pretrained(directory)
    if normalize is not None:
        Wav2Vec2FeatureExtractor(do_normalize=normalize).save_pretrained(directory)
    return directory


def _audio(n: int, batch: int = 2) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return 0.1 * torch.randn(batch, n, generator=g) + 0.02  # an offset normalising removes


def _reference(directory: Path, kind: str, x: torch.Tensor, normalize: bool):
    """Hugging Face's own layers: conv blocks and hidden_states, after its preprocessing."""
    model = KINDS[kind][1].from_pretrained(directory).eval()
    if normalize:
        extractor = Wav2Vec2FeatureExtractor.from_pretrained(directory)
        x = torch.from_numpy(np.stack(extractor(list(x.numpy()), sampling_rate=SR)
                                      ["input_values"]))
    with torch.no_grad():
        conv, h = [], x[:, None]
        for block in model.feature_extractor.conv_layers:
            h = block(h)
            conv.append(h.transpose(1, 2))
        hidden = model(x, output_hidden_states=True).hidden_states
    return conv + list(hidden)


@pytest.mark.parametrize("kind, normalize", [("wav2vec2", True), ("hubert", None),
                                             ("xlsr", True)])
def test_every_layer_equals_hugging_face(tmp_path: Path, kind: str, normalize) -> None:
    directory = save_tiny(kind, tmp_path / kind, normalize)
    model, meta = import_pretrained(directory, "huggingface")
    assert meta["model_type"] == ("hubert" if kind == "hubert" else "wav2vec2")
    assert model.config.normalize is bool(normalize)
    assert model.layer_names == [f"conv{i}" for i in range(1, 8)] + \
        ["transformer0", "transformer1", "transformer2"]
    x = _audio(6000)
    with torch.no_grad():
        ours = model.extract_features(x)
    theirs = _reference(directory, kind, x, bool(normalize))
    assert len(ours) == len(theirs) == len(model.layer_geometry)
    for name, a, b in zip(model.layer_names, ours, theirs):
        assert a.shape == b.shape, name
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5, msg=name)
    # the stable-LN model's transformer blocks really are pre-LN, not just renamed
    assert model.config.layer_norm_first is (kind == "xlsr")


def test_checkpoint_round_trip_and_windowed_extraction(tmp_path: Path) -> None:
    model, _ = import_pretrained(save_tiny("hubert", tmp_path / "hf", True), "huggingface")
    checkpoint.save(tmp_path / "model.pt", model, "pretrained", {"trained": False})
    loaded, extra = checkpoint.load(tmp_path / "model.pt")  # weights_only=True inside
    assert extra == {"trained": False} and loaded.config == model.config
    x = _audio(5000, batch=1)
    with torch.no_grad():
        for a, b in zip(model.extract_features(x), loaded.extract_features(x)):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
    # a story longer than one window: the batched pass gives what one window at a time gives
    audio = _audio(3 * SR, batch=1)[0].numpy()
    device = torch.device("cpu")
    batched = windowed_layers(loaded, audio, SR, 1.0, 0.5, 50.0, device)
    reference = _windowed_layers_reference(loaded, audio, SR, 1.0, 0.5, 50.0, device)
    assert len(batched) == len(loaded.layer_names)
    for a, b in zip(batched, reference):
        assert a.shape[0] == 150
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_normalize_overrides_the_preprocessor_config(tmp_path: Path) -> None:
    directory = save_tiny("wav2vec2", tmp_path / "hf", normalize=True)
    model, meta = import_pretrained(directory, "huggingface", normalize=False)
    assert not model.config.normalize and meta["normalize_from"] == "config"
    x = _audio(6000)
    with torch.no_grad():
        ours = model.extract_features(x)[-1]
        raw = Wav2Vec2Model.from_pretrained(directory).eval()(x).last_hidden_state
    torch.testing.assert_close(ours, raw, rtol=1e-5, atol=1e-5)


def test_a_directory_without_preprocessing_feeds_the_waveform_unchanged(tmp_path: Path) -> None:
    model, meta = import_pretrained(save_tiny("hubert", tmp_path / "hf"), "huggingface")
    assert not model.config.normalize and model.config.sample_rate == SR
    assert "no preprocessor_config.json" in meta["normalize_from"]


def test_bad_sources_fail_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(InputError, match="no-such-model: no such directory"):
        import_pretrained(missing, "huggingface")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"empty/config\.json: missing"):
        import_pretrained(empty, "huggingface")
    (empty / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(InputError, match=r"config\.json: model_type 'bert'"):
        import_pretrained(empty, "huggingface")
    (empty / "config.json").write_text(json.dumps({"model_type": "hubert"}))
    with pytest.raises(InputError, match="empty: cannot load the HubertModel weights"):
        import_pretrained(empty, "huggingface")
    with pytest.raises(InputError, match="not-a-file.pt: no such file"):
        import_pretrained(tmp_path / "not-a-file.pt", "fairseq")
    with pytest.raises(ValueError, match="unknown pretrained format"):
        import_pretrained(empty, "onnx")


def test_a_fairseq_checkpoint_without_fairseq_says_what_is_needed(tmp_path: Path) -> None:
    try:
        import fairseq  # noqa: F401
        pytest.skip("fairseq is installed: this checks the message given without it")
    except ImportError:
        pass
    path = tmp_path / "wav2vec_small.pt"
    torch.save({"model": {}}, path)
    with pytest.raises(InputError, match="wav2vec_small.pt: reading a fairseq checkpoint needs "
                                         "the fairseq package"):
        import_pretrained(path, "fairseq")
