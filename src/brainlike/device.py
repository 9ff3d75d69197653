"""The one place that chooses where tensors live: CUDA when present, else the CPU."""

from __future__ import annotations

import os

import torch


def pick_device(requested: str | None = None) -> torch.device:
    """``requested`` ("cpu", "cuda", "cuda:1") wins; else $BRAINLIKE_DEVICE; else cuda if any."""
    name = requested or os.environ.get("BRAINLIKE_DEVICE")
    if name:
        device = torch.device(name)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {name!r} requested but CUDA is not available")
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
