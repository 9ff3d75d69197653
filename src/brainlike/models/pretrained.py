"""A published wav2vec 2.0 or HuBERT encoder (torchaudio's ``Wav2Vec2Model``) with every
layer exposed: the convolutional blocks, the transformer's input and each transformer block.

Layer ``transformer{i}`` is Hugging Face's ``hidden_states[i]`` (``output_hidden_states``):
``transformer0`` is the transformer's input (the projected conv features plus the
convolutional positional term, layer-normed in post-LN models), ``transformer{i}`` the output
of block ``i``. In pre-LN ("stable layer norm") models such as XLSR the encoder's final layer
norm is not applied to the last block, as in Hugging Face's ``hidden_states``.

The checkpoints are built by :mod:`brainlike.models.import_pretrained`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchaudio.models import Wav2Vec2Model, wav2vec2_model

from brainlike.models.configs import PretrainedConfig
from brainlike.models.geometry import LayerGeometry, conv_geometry
from brainlike.models.wav2vec2 import conv_outputs

#: Hugging Face's feature extractor adds this to the variance before normalising.
NORM_EPS = 1e-7


class PretrainedEncoder(nn.Module):
    """A published speech encoder exposing all its layers (always run in eval mode)."""

    def __init__(self, config: PretrainedConfig) -> None:
        super().__init__()
        self.config = c = config
        self.backbone = wav2vec2_model(
            extractor_mode=c.extractor_mode, extractor_conv_layer_config=list(c.conv_layers),
            extractor_conv_bias=c.conv_bias, encoder_embed_dim=c.embed_dim,
            encoder_projection_dropout=0.0, encoder_pos_conv_kernel=c.pos_conv_kernel,
            encoder_pos_conv_groups=c.pos_conv_groups, encoder_num_layers=c.num_layers,
            encoder_num_heads=c.num_heads, encoder_attention_dropout=0.0,
            encoder_ff_interm_features=c.ff_dim, encoder_ff_interm_dropout=0.0,
            encoder_dropout=0.0, encoder_layer_norm_first=c.layer_norm_first,
            encoder_layer_drop=0.0, aux_num_out=None)

    @property
    def layer_names(self) -> list[str]:
        return ([f"conv{i + 1}" for i in range(len(self.config.conv_layers))]
                + [f"transformer{i}" for i in range(self.config.num_layers + 1)])

    @property
    def layer_geometry(self) -> list[LayerGeometry]:
        geometry = conv_geometry(self.config.conv_layers)
        return geometry + [geometry[-1]] * (self.config.num_layers + 1)

    def frontend(self, waveforms: Tensor) -> Tensor:
        """(B, S) -> (B, S): each input normalised to zero mean and unit variance over time
        when the checkpoint's preprocessing does so (``config.normalize``), else unchanged."""
        if waveforms.ndim != 2:
            raise ValueError(f"waveforms must be (batch, time), found shape "
                             f"{tuple(waveforms.shape)}")
        if not self.config.normalize:
            return waveforms
        with torch.autocast(waveforms.device.type, enabled=False):
            x = waveforms.float()
            mean = x.mean(dim=1, keepdim=True)
            var = x.var(dim=1, keepdim=True, unbiased=False)
            return (x - mean) / torch.sqrt(var + NORM_EPS)

    def forward_conv(self, waveforms: Tensor) -> list[Tensor]:
        """Outputs of each convolutional block, each (batch, frames, channels)."""
        return conv_outputs(self.backbone.feature_extractor.conv_layers, waveforms)

    def forward_encoder(self, x: Tensor) -> list[Tensor]:
        """Last conv block's output (B, T, C) -> the transformer's input and each block's
        output, each (B, T, embed_dim)."""
        encoder = self.backbone.encoder
        # torchaudio's own first step of get_intermediate_outputs, kept here because that
        # method does not return the transformer's input (Hugging Face's hidden_states[0]).
        x = encoder.transformer._preprocess(encoder.feature_projection(x))
        outputs = [x]
        for layer in encoder.transformer.layers:
            x, _ = layer(x, None)
            outputs.append(x)
        return outputs

    def extract_features(self, waveforms: Tensor) -> list[Tensor]:
        """Every layer's output for waveforms (batch, time) at ``config.sample_rate``.

        Returns one (batch, frames_l, features_l) tensor per entry of ``layer_names``.
        """
        x = self.frontend(waveforms)
        min_len = self.layer_geometry[len(self.config.conv_layers) - 1].field
        if x.shape[1] < min_len:
            raise ValueError(f"waveforms of {x.shape[1]} samples are shorter than the "
                             f"encoder's receptive field ({min_len} samples)")
        conv = self.forward_conv(x)
        return conv + self.forward_encoder(conv[-1])


def config_of(backbone: Wav2Vec2Model, normalize: bool, sample_rate: int) -> PretrainedConfig:
    """The architecture of a torchaudio ``Wav2Vec2Model`` (as its importers build it), read
    off its modules, so that one config describes Hugging Face and fairseq imports alike."""
    blocks = backbone.feature_extractor.conv_layers
    encoder = backbone.encoder
    layers = encoder.transformer.layers
    pos_conv = encoder.transformer.pos_conv_embed.conv
    return PretrainedConfig(
        conv_layers=tuple((b.conv.out_channels, b.conv.kernel_size[0], b.conv.stride[0])
                          for b in blocks),
        extractor_mode="group_norm" if isinstance(blocks[0].layer_norm, nn.GroupNorm)
        else "layer_norm",
        conv_bias=blocks[0].conv.bias is not None,
        embed_dim=encoder.feature_projection.projection.out_features,
        num_layers=len(layers), num_heads=layers[0].attention.num_heads,
        ff_dim=layers[0].feed_forward.intermediate_dense.out_features,
        pos_conv_kernel=pos_conv.kernel_size[0], pos_conv_groups=pos_conv.groups,
        layer_norm_first=layers[0].layer_norm_first, normalize=bool(normalize),
        sample_rate=int(sample_rate))
