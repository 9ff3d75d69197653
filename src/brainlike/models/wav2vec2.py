"""wav2vec 2.0 (Baevski et al. 2020) built from torchaudio's components, with every layer exposed.

The layers scored against the brain are the seven convolutional blocks of the feature encoder
and every transformer block, as in Millet et al. 2022.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchaudio.models import wav2vec2_model

from brainlike.models.configs import Wav2Vec2Config
from brainlike.models.geometry import LayerGeometry, conv_geometry



def conv_outputs(conv_layers, waveforms: Tensor) -> list[Tensor]:
    """Each of torchaudio's feature-extractor blocks' outputs, (batch, frames, channels)."""
    x, outputs = waveforms.unsqueeze(1), []
    for block in conv_layers:
        x, _ = block(x, None)
        outputs.append(x.transpose(1, 2))
    return outputs

class Wav2Vec2(nn.Module):
    """A wav2vec 2.0 backbone (feature encoder + transformer) exposing all its layers."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__()
        self.config = c = config
        self.backbone = wav2vec2_model(
            extractor_mode="group_norm", extractor_conv_layer_config=list(c.conv_layers),
            extractor_conv_bias=False, encoder_embed_dim=c.embed_dim,
            encoder_projection_dropout=c.dropout, encoder_pos_conv_kernel=c.pos_conv_kernel,
            encoder_pos_conv_groups=c.pos_conv_groups, encoder_num_layers=c.num_layers,
            encoder_num_heads=c.num_heads, encoder_attention_dropout=c.dropout,
            encoder_ff_interm_features=c.ff_dim, encoder_ff_interm_dropout=c.dropout,
            encoder_dropout=c.dropout, encoder_layer_norm_first=c.layer_norm_first,
            encoder_layer_drop=0.0, aux_num_out=None)
        # Pre-training replaces masked frames by this learned vector after the projection
        # (torchaudio ships the backbone only; the paper's masking is ours to add).
        self.mask_embedding = nn.Parameter(torch.empty(c.embed_dim).uniform_())

    @property
    def layer_names(self) -> list[str]:
        n_conv = len(self.config.conv_layers)
        return ([f"conv{i + 1}" for i in range(n_conv)]
                + [f"transformer{i + 1}" for i in range(self.config.num_layers)])

    @property
    def layer_geometry(self) -> list[LayerGeometry]:
        geometry = conv_geometry(self.config.conv_layers)
        return geometry + [geometry[-1]] * self.config.num_layers

    def forward_conv(self, waveforms: Tensor) -> list[Tensor]:
        """Outputs of each convolutional block, each (batch, frames, channels)."""
        return conv_outputs(self.backbone.feature_extractor.conv_layers, waveforms)

    def frontend(self, waveforms: Tensor) -> Tensor:
        """The raw waveform is the convolutions' input: nothing to compute before them."""
        if waveforms.ndim != 2:
            raise ValueError(f"waveforms must be (batch, time), found shape {tuple(waveforms.shape)}")
        return waveforms

    def forward_encoder(self, x: Tensor, mask: Tensor | None = None,
                        num_layers: int | None = None) -> list[Tensor]:
        """Last conv block's output (B, T, C) -> one (B, T, embed_dim) tensor per transformer
        layer; ``mask`` (B, T) bool frames are replaced by the mask embedding first."""
        encoder = self.backbone.encoder
        x = encoder.feature_projection(x)
        if mask is not None:
            if mask.shape != x.shape[:2]:
                raise ValueError(f"mask must be (batch, frames) = {tuple(x.shape[:2])}, "
                                 f"found shape {tuple(mask.shape)}")
            x = torch.where(mask.to(x.device).unsqueeze(-1), self.mask_embedding.to(x.dtype), x)
        return encoder.transformer.get_intermediate_outputs(x, num_layers=num_layers)

    def extract_features(self, waveforms: Tensor) -> list[Tensor]:
        """Every layer's output for waveforms (batch, time) at ``config.sample_rate``.

        Returns one (batch, frames_l, features_l) tensor per entry of ``layer_names``.
        """
        if waveforms.ndim != 2:
            raise ValueError(f"waveforms must be (batch, time), found shape {tuple(waveforms.shape)}")
        min_len = self.layer_geometry[len(self.config.conv_layers) - 1].field
        if waveforms.shape[1] < min_len:
            raise ValueError(f"waveforms of {waveforms.shape[1]} samples are shorter than the "
                             f"encoder's receptive field ({min_len} samples)")
        conv = self.forward_conv(waveforms)
        return conv + self.forward_encoder(conv[-1])
