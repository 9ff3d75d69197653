"""A cheap log-mel speech encoder (HuBERT-style) exposing every layer.

80-d log-mel frames at 100 Hz, two 1-D convolutions down to 50 Hz, a pre-LN transformer.
Unlike the paper's raw-waveform wav2vec 2.0, this learns at small CPU scale with masked
prediction of cluster ids (``brainlike.objectives.hubert``).

Design choices:

* Normalisation: ``log(mel + 1e-6)`` then per-utterance, per-mel-bin mean/variance
  normalisation over time (CMVN), so the model is invariant to recording gain. A frame
  therefore depends (through two statistics per bin) on the whole input; ``layer_geometry``
  describes the local window only. Each batch item is normalised on its own, so batched and
  single-sample outputs agree.
* Positions: a grouped convolutional positional embedding (relative, as wav2vec 2.0/HuBERT),
  not sinusoidal, so the encoder does not depend on absolute position and transfers from
  4 s training crops to longer windows. By default it is added to each frame's projection,
  as theirs; with ``pos_dims`` > 0 it gets its own ``pos_dims`` channels, concatenated to a
  narrower projection. Added, the local-context term superposes on the frame's content: a
  linear phone read-out of the sum is .05 worse than of the projection alone (untrained),
  and wav2vec 2.0's objective grows that term until the transformer layers read the phone
  worse than the untrained copy's (README, "where the phone goes").
* All convolutions are unpadded ("valid"), so frame ``j`` of a layer sees exactly samples
  ``[j*stride, j*stride + field)`` and a layer has ``(n - field) // stride + 1`` frames.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchaudio.transforms import MelSpectrogram

from brainlike.models.configs import LogMelEncoderConfig
from brainlike.models.geometry import LayerGeometry

LOG_OFFSET = 1e-6  # mel power floor before the log: ~-14, far below speech (~0..10)
CMVN_EPS = 1e-5



class LogMelEncoder(nn.Module):
    """Log-mel front end + 2 convolutions + pre-LN transformer, exposing all its layers."""

    def __init__(self, config: LogMelEncoderConfig) -> None:
        super().__init__()
        self.config = c = config
        self.mel = MelSpectrogram(sample_rate=c.sample_rate, n_fft=c.n_fft,
                                  hop_length=c.hop_length, n_mels=c.n_mels, center=False,
                                  power=2.0)
        (k1, k2), (s1, s2) = c.conv_kernels, c.conv_strides
        self.conv1 = nn.Conv1d(c.n_mels, c.conv_channels, k1, stride=s1)
        self.conv2 = nn.Conv1d(c.conv_channels, c.conv_channels, k2, stride=s2)
        self.feature_norm = nn.LayerNorm(c.conv_channels)
        self.projection = nn.Linear(c.conv_channels, c.content_dim)
        self.mask_embedding = nn.Parameter(torch.empty(c.content_dim).uniform_())
        self.pos_conv = nn.Conv1d(c.content_dim, c.pos_dims or c.embed_dim, c.pos_conv_kernel,
                                  padding=c.pos_conv_kernel // 2, groups=c.pos_conv_groups)
        self.dropout = nn.Dropout(c.dropout)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(c.embed_dim, c.num_heads, c.ff_dim, c.dropout,
                                       activation="gelu", batch_first=True, norm_first=True)
            for _ in range(c.num_layers))

    # -- the layer API --------------------------------------------------------------------

    @property
    def layer_names(self) -> list[str]:
        return ["conv1", "conv2"] + [f"transformer{i + 1}" for i in range(self.config.num_layers)]

    @property
    def mel_geometry(self) -> LayerGeometry:
        return LayerGeometry(self.config.hop_length, self.config.n_fft)

    @property
    def layer_geometry(self) -> list[LayerGeometry]:
        g = self.mel_geometry
        stride, field, geometry = g.stride, g.field, []
        for kernel, step in zip(self.config.conv_kernels, self.config.conv_strides):
            field += (kernel - 1) * stride
            stride *= step
            geometry.append(LayerGeometry(stride, field))
        return geometry + [geometry[-1]] * self.config.num_layers

    def output_frames(self, n_samples: int) -> int:
        """Frames of conv2 and the transformer (the 50 Hz rate targets live at) for an input."""
        g = self.layer_geometry[1]
        return max(0, (n_samples - g.field) // g.stride + 1)

    def extract_features(self, waveforms: Tensor) -> list[Tensor]:
        """Every layer's output for waveforms (batch, time) at ``config.sample_rate``.

        Returns one (batch, frames_l, features_l) tensor per entry of ``layer_names``:
        conv1 (B, T1, conv_channels), conv2 (B, T2, conv_channels), then each transformer
        layer (B, T2, embed_dim) (the residual stream after the layer).
        """
        conv = self.forward_conv(self.frontend(waveforms))
        return conv + self.forward_encoder(conv[-1])

    # -- the stages -----------------------------------------------------------------------

    def frontend(self, waveforms: Tensor) -> Tensor:
        """(B, S) waveforms -> (B, T_mel, n_mels) normalised log-mel, T_mel = (S-400)//160+1.

        Always float32, even under autocast: the log of small bf16 powers loses the floor.
        """
        if waveforms.ndim != 2:
            raise ValueError(f"waveforms must be (batch, time), found shape "
                             f"{tuple(waveforms.shape)}")
        need = self.layer_geometry[1].field
        if waveforms.shape[1] < need:
            raise ValueError(f"waveforms of shape {tuple(waveforms.shape)} ({waveforms.shape[1]} "
                             f"samples) are shorter than the encoder's receptive field "
                             f"({need} samples)")
        with torch.autocast(waveforms.device.type, enabled=False):
            logmel = torch.log(self.mel(waveforms.float()) + LOG_OFFSET)  # (B, n_mels, T)
            mean = logmel.mean(dim=-1, keepdim=True)
            var = logmel.var(dim=-1, keepdim=True, unbiased=False)
            return ((logmel - mean) / torch.sqrt(var + CMVN_EPS)).transpose(1, 2)

    def forward_conv(self, mel: Tensor) -> list[Tensor]:
        """(B, T_mel, n_mels) -> [conv1 (B, T1, C), conv2 (B, T2, C)] after GELU."""
        x = nn.functional.gelu(self.conv1(mel.transpose(1, 2)))
        y = nn.functional.gelu(self.conv2(x))
        return [x.transpose(1, 2), y.transpose(1, 2)]

    def forward_encoder(self, x: Tensor, mask: Tensor | None = None,
                        num_layers: int | None = None) -> list[Tensor]:
        """conv2 output (B, T2, C) -> one (B, T2, embed_dim) tensor per transformer layer.

        mask: (B, T2) bool; True frames are replaced by the learned mask embedding after the
            projection, before positions are added or concatenated (so the frame's content is
            hidden but its position is not).
        num_layers: stop after this many layers (a prefix of the all-layer output).
        """
        x = self.projection(self.feature_norm(x))
        if mask is not None:
            if mask.shape != x.shape[:2]:
                raise ValueError(f"mask must be (batch, frames) = {tuple(x.shape[:2])}, "
                                 f"found shape {tuple(mask.shape)}")
            x = torch.where(mask.to(x.device).unsqueeze(-1), self.mask_embedding.to(x.dtype), x)
        positions = nn.functional.gelu(self.pos_conv(x.transpose(1, 2))).transpose(1, 2)
        x = torch.cat([x, positions], dim=-1) if self.config.pos_dims else x + positions
        x = self.dropout(x)
        outputs = []
        for layer in self.layers[:num_layers]:
            x = layer(x)
            outputs.append(x)
        return outputs

    def forward(self, waveforms: Tensor) -> Tensor:
        """(B, S) -> last transformer layer (B, T2, embed_dim)."""
        return self.forward_encoder(self.forward_conv(self.frontend(waveforms))[-1])[-1]
