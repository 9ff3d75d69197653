"""Checkpoints that carry their model's config and load without unpickling code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from brainlike.errors import InputError
from brainlike.io.atomic import atomic_path
from brainlike.models.causal_lm import CausalLM
from brainlike.models.configs import FAMILY_CONFIGS
from brainlike.models.cpc import CPCNet
from brainlike.models.logmel_encoder import LogMelEncoder
from brainlike.models.mae import MAE
from brainlike.models.pretrained import PretrainedEncoder
from brainlike.models.wav2vec2 import Wav2Vec2

#: A causal LM's checkpoint also keeps its vocabulary (``causal_lm.save_lm``/``load_lm``);
#: ``load`` rebuilds its model like any other, the vocabulary staying in ``extra``.
FAMILIES = {"waveform": Wav2Vec2, "logmel": LogMelEncoder, "pretrained": PretrainedEncoder,
            "causal_lm": CausalLM, "cpc": CPCNet, "mae": MAE}
#: Family names that earlier checkpoints carry.
RENAMED = {"wav2vec2": "waveform"}


def build(family: str, config: Any) -> nn.Module:
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; choose from {sorted(FAMILIES)}")
    return FAMILIES[family](config)


def from_preset(family: str, preset: str) -> nn.Module:
    """A freshly initialised model of ``family`` with its named preset (e.g. "tiny")."""
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; choose from {sorted(FAMILIES)}")
    return build(family, FAMILY_CONFIGS[family].preset(preset))


def save(path: str | Path, model: nn.Module, family: str, extra: dict | None = None) -> None:
    """Write weights, family and config (plain types only, so weights_only loading works)."""
    payload = {"family": family, "config": model.config.to_dict(),
               "state_dict": model.state_dict(), "extra": extra or {}}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """Rebuild the model a checkpoint describes; returns (model in eval mode, extra)."""
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # a truncated or foreign file: say which
        raise InputError(path, f"not a loadable brainlike checkpoint ({exc})") from exc
    family = payload.get("family") if isinstance(payload, dict) else None
    family = RENAMED.get(family, family)
    if family not in FAMILIES:
        raise InputError(path, f"checkpoint names unknown model family {family!r}")
    model = build(family, FAMILY_CONFIGS[family].from_dict(payload["config"]))
    model.load_state_dict(payload["state_dict"])
    return model.eval(), payload.get("extra", {})
