"""The parallel-pathway contrastive-predictive-coding video network of Bakhtiari, Mineault,
Lillicrap, Pack & Richards 2021, as in its public code (a Dense Predictive Coding model,
Han et al. 2019, with their ``VisualNet`` backbone).

Architecture (``CPCNet``), grayscale frames average-pooled to ``input_size`` first:

* stem: a 5x7x7 3-D convolution, spatial stride 2, whose filters are the four 90-degree
  rotations of ``stem_channels / 4`` learned ones (the public code's ``SymmetricConv3d``),
  then BatchNorm, LeakyReLU(0.1) and a 1x3x3 max pool of stride 2;
* ``pathways`` parallel stacks of 3-D bottleneck residual blocks (SlowFast's ``ResBlock``:
  Tx1x1 -> 1x3x3 -> 1x1x1 convolutions with BatchNorm, temporal kernel alternating 1 and 3,
  bottleneck width ``channels / bottleneck``), one width per block in ``pathway_channels``;
* their outputs concatenated and averaged over the frames of each block into a latent
  (C, h, w), C = pathways * pathway_channels[-1];
* a ConvGRU with 1x1 kernels over the blocks' latents (the aggregator) and a 1x1-conv
  predictor from its state to the next block's latent, applied step by step with its ReLU'd
  prediction fed back into the GRU (DPC's ``DPC_RNN``).

Blocks go through the convolutions independently, as in DPC, so a future block's latent
holds nothing of the context frames. Two deliberate departures from the public code:
temporal padding is causal by default (``causal``; padding with the block's first frame, so
frame t's activations read frames <= t only), and the stochastic depth and dropout of the
backbone are left out (training stays a deterministic function of the weights and batch).

``forward_layers`` runs the convolutions over a whole movie at once (not block by block), so
every frame has its full causal temporal context; the aggregator then reads the per-block
means of that output.
"""

from __future__ import annotations

import itertools
import re

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from brainlike.models.vision_configs import CPC_PRESETS as PRESETS
from brainlike.models.vision_configs import CPCConfig

__all__ = ["PRESETS", "CPCConfig", "CPCNet", "pathway_of"]

STEM_KERNEL = (5, 7, 7)
# The public code's OnePathNet: res0 has temporal kernel 1, res1 3, res2 1, ...
RES_TEMPORAL_KERNELS = (1, 3)


_PATHWAY_LAYER = re.compile(r"p(\d+)\.res(\d+)")


def pathway_of(layer: str) -> str | None:
    """The pathway ("1", "2", ...) a layer name belongs to; None for shared layers."""
    if layer in ("stem", "agg"):
        return None
    match = _PATHWAY_LAYER.fullmatch(layer)
    if match is None:
        raise ValueError(f"not a CPCNet layer name: {layer!r}")
    return match.group(1)


def _pad_time(x: Tensor, kernel: int, causal: bool) -> Tensor:
    """(N, C, T, H, W) padded in time so a valid convolution of ``kernel`` keeps T frames."""
    if kernel == 1:
        return x
    if causal:
        return F.pad(x, (0, 0, 0, 0, kernel - 1, 0), mode="replicate")
    return F.pad(x, (0, 0, 0, 0, kernel // 2, (kernel - 1) // 2))


class SymmetricConv3d(nn.Module):
    """A 3-D convolution whose filters are the four 90-degree spatial rotations of
    ``out_channels / 4`` learned ones; padded in time by the caller, in space here."""

    def __init__(self, in_channels: int, out_channels: int, kernel: tuple[int, int, int],
                 stride: tuple[int, int, int]) -> None:
        super().__init__()
        fan_in = in_channels * kernel[0] * kernel[1] * kernel[2]
        bound = fan_in ** -0.5
        self.weight = nn.Parameter(torch.empty(out_channels // 4, in_channels, *kernel)
                                   .uniform_(-bound, bound))
        self.stride, self.padding = stride, (0, kernel[1] // 2, kernel[2] // 2)

    def forward(self, x: Tensor) -> Tensor:
        w = torch.cat([torch.rot90(self.weight, k, (3, 4)) for k in range(4)])
        return F.conv3d(x, w, stride=self.stride, padding=self.padding)


class Stem(nn.Module):
    """(N, 1, T, S, S) -> (N, stem_channels, T, S/4, S/4)."""

    def __init__(self, channels: int, causal: bool) -> None:
        super().__init__()
        self.causal = causal
        self.conv = SymmetricConv3d(1, channels, STEM_KERNEL, (1, 2, 2))
        self.bn = nn.BatchNorm3d(channels)
        self.pool = nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(_pad_time(x, STEM_KERNEL[0], self.causal))
        return self.pool(F.leaky_relu(self.bn(x), 0.1))


class ResBlock3d(nn.Module):
    """A bottleneck residual block (Tx1x1, 1x3x3, 1x1x1 with BatchNorm), a projected skip
    when the width changes; (N, c_in, T, h, w) -> (N, c_out, T, h, w)."""

    def __init__(self, c_in: int, c_out: int, temporal_kernel: int, inner: int,
                 causal: bool) -> None:
        super().__init__()
        self.temporal_kernel, self.causal = temporal_kernel, causal
        self.a = nn.Conv3d(c_in, inner, (temporal_kernel, 1, 1), bias=False)
        self.a_bn = nn.BatchNorm3d(inner)
        self.b = nn.Conv3d(inner, inner, (1, 3, 3), padding=(0, 1, 1), bias=False)
        self.b_bn = nn.BatchNorm3d(inner)
        self.c = nn.Conv3d(inner, c_out, 1, bias=False)
        self.c_bn = nn.BatchNorm3d(c_out)
        self.skip = (nn.Sequential(nn.Conv3d(c_in, c_out, 1, bias=False), nn.BatchNorm3d(c_out))
                     if c_in != c_out else nn.Identity())

    def forward(self, x: Tensor) -> Tensor:
        y = F.relu(self.a_bn(self.a(_pad_time(x, self.temporal_kernel, self.causal))))
        y = F.relu(self.b_bn(self.b(y)))
        return F.relu(self.skip(x) + self.c_bn(self.c(y)))


class ConvGRUCell(nn.Module):
    """DPC's ConvGRU cell: (N, c_in, h, w) input, (N, hidden, h, w) state."""

    def __init__(self, c_in: int, hidden: int, kernel: int = 1) -> None:
        super().__init__()
        self.hidden = hidden
        self.gates = nn.Conv2d(c_in + hidden, 2 * hidden, kernel, padding=kernel // 2)
        self.out = nn.Conv2d(c_in + hidden, hidden, kernel, padding=kernel // 2)

    def forward(self, x: Tensor, h: Tensor | None) -> Tensor:
        if h is None:
            h = x.new_zeros(x.shape[0], self.hidden, *x.shape[2:])
        reset, update = torch.sigmoid(self.gates(torch.cat([x, h], 1))).chunk(2, 1)
        candidate = torch.tanh(self.out(torch.cat([x, h * reset], 1)))
        return h * (1 - update) + candidate * update


class CPCNet(nn.Module):
    """Stem, parallel residual pathways, ConvGRU aggregator and latent predictor."""

    def __init__(self, config: CPCConfig) -> None:
        super().__init__()
        self.config = c = config
        self.stem = Stem(c.stem_channels, c.causal)
        self.pathways = nn.ModuleList()
        for _ in range(c.pathways):
            widths = (c.stem_channels, *c.pathway_channels)
            self.pathways.append(nn.ModuleList(
                ResBlock3d(w_in, w_out, RES_TEMPORAL_KERNELS[i % 2],
                           w_out // c.bottleneck, c.causal)
                for i, (w_in, w_out) in enumerate(itertools.pairwise(widths))))
        self.agg = ConvGRUCell(c.feature_size, c.hidden)
        self.predictor = nn.Sequential(nn.Conv2d(c.hidden, c.feature_size, 1), nn.ReLU(),
                                       nn.Conv2d(c.feature_size, c.feature_size, 1))
        # DPC's initialisation of its aggregator and predictor
        for module in (self.agg, self.predictor):
            for name, p in module.named_parameters():
                if "bias" in name:
                    nn.init.zeros_(p)
                else:
                    nn.init.orthogonal_(p)

    def layer_names(self) -> list[str]:
        blocks = len(self.config.pathway_channels)
        return (["stem"] + [f"p{p + 1}.res{i + 1}" for p in range(self.config.pathways)
                            for i in range(blocks)] + ["agg"])

    def frontend(self, frames: Tensor) -> Tensor:
        """frames (B, T, H, W) in [0, 1] -> (B, 1, T, S, S), average-pooled to input_size."""
        if frames.ndim != 4 or frames.shape[1] < 1:
            raise ValueError(f"frames must be (batch, time, height, width) with >= 1 frame, "
                             f"found shape {tuple(frames.shape)}")
        s = self.config.input_size
        if frames.shape[2:] != (s, s):
            frames = F.adaptive_avg_pool2d(frames, s)
        return frames.unsqueeze(1)

    def forward_backbone(self, x: Tensor) -> dict[str, Tensor]:
        """(N, 1, T, S, S) -> every convolutional layer's (N, C, T, h, w), by layer name."""
        x = self.stem(x)
        out = {"stem": x}
        for p, blocks in enumerate(self.pathways):
            y = x
            for i, block in enumerate(blocks):
                y = block(y)
                out[f"p{p + 1}.res{i + 1}"] = y
        return out

    def latents(self, maps: dict[str, Tensor]) -> Tensor:
        """The pathways' last maps concatenated: (N, feature_size, T, h, w)."""
        blocks = len(self.config.pathway_channels)
        return torch.cat([maps[f"p{p + 1}.res{blocks}"] for p in range(self.config.pathways)], 1)

    def encode_blocks(self, frames: Tensor) -> Tensor:
        """frames (B, n_blocks * block_frames, H, W) -> latents (B, n_blocks, C, h, w), each
        block through the convolutions on its own and averaged over its frames."""
        c = self.config
        x = self.frontend(frames)
        b, t = x.shape[0], x.shape[2]
        if t != c.clip_frames:
            raise ValueError(f"frames must hold n_blocks * block_frames = {c.clip_frames} frames, "
                             f"found shape {tuple(frames.shape)}")
        x = x.view(b, 1, c.n_blocks, c.block_frames, *x.shape[3:]).transpose(1, 2)
        x = x.reshape(b * c.n_blocks, 1, c.block_frames, *x.shape[4:])
        z = self.latents(self.forward_backbone(x)).mean(2)
        return z.view(b, c.n_blocks, *z.shape[1:])

    def aggregate(self, latents: Tensor, h: Tensor | None = None) -> Tensor:
        """latents (B, N, C, h, w) -> the ConvGRU state after each block (B, N, hidden, h, w)."""
        states = []
        for k in range(latents.shape[1]):
            h = self.agg(F.relu(latents[:, k]), h)
            states.append(h)
        return torch.stack(states, 1)

    def predict_future(self, state: Tensor, steps: int) -> Tensor:
        """The context's last state (B, hidden, h, w) -> predicted latents of the next
        ``steps`` blocks (B, steps, C, h, w), each prediction fed back into the GRU."""
        preds = []
        for _ in range(steps):
            p = self.predictor(state)
            preds.append(p)
            state = self.agg(F.relu(p), state)
        return torch.stack(preds, 1)

    def forward_layers(self, frames: Tensor) -> dict[str, Tensor]:
        """frames (B, T, H, W) in [0, 1] -> layer name -> (B, T, D) per-frame features, each
        feature map average-pooled onto pool_grid x pool_grid (D = channels * pool_grid**2).

        The convolutions run over all T frames at once (causal by default: frame t reads
        frames <= t). ``agg`` is the aggregator's state after each block of block_frames
        frames (a last, shorter block included), repeated over that block's frames.
        """
        c = self.config
        x = self.frontend(frames)
        t = x.shape[2]
        maps = self.forward_backbone(x)
        out = {name: self._per_frame(m) for name, m in maps.items()}
        z = self.latents(maps)
        block_means = torch.stack([chunk.mean(2) for chunk in z.split(c.block_frames, 2)], 1)
        states = self.aggregate(block_means)  # (B, n, hidden, h, w)
        per_block = self._per_frame(states.permute(0, 2, 1, 3, 4))
        out["agg"] = per_block.repeat_interleave(c.block_frames, 1)[:, :t]
        return {name: out[name] for name in self.layer_names()}

    def frame_embedding(self, frames: Tensor) -> Tensor:
        """frames (B, T, H, W) -> (B, T, feature_size): the pathways' last maps averaged over
        space (what a supervised read-out of this backbone names a clip from)."""
        return self.latents(self.forward_backbone(self.frontend(frames))).mean((3, 4)) \
            .transpose(1, 2)

    def _per_frame(self, m: Tensor) -> Tensor:
        """(B, C, T, h, w) -> (B, T, C * g * g), pooled onto the g x g grid."""
        b, ch, t = m.shape[:3]
        g = self.config.pool_grid
        pooled = F.adaptive_avg_pool2d(m.transpose(1, 2).reshape(b * t, ch, *m.shape[3:]), g)
        return pooled.view(b, t, ch * g * g)
