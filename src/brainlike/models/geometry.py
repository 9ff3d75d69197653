"""Where each layer's frames sit in the input, shared by every model family."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class LayerGeometry:
    """Where a layer's frame ``j`` sits in the input: samples [j*stride, j*stride+field)."""

    stride: int
    field: int

    def centres(self, n_frames: int, sample_rate: int) -> Tensor:
        """(n_frames,) frame centres in seconds from the start of the input."""
        return (torch.arange(n_frames) * self.stride + self.field / 2) / sample_rate


def conv_geometry(conv_layers: tuple[tuple[int, int, int], ...]) -> list[LayerGeometry]:
    """Geometry of each block of a raw-waveform conv stack, (channels, kernel, stride) each."""
    geometry, stride, field = [], 1, 1
    for _, kernel, step in conv_layers:
        field += (kernel - 1) * stride
        stride *= step
        geometry.append(LayerGeometry(stride, field))
    return geometry
