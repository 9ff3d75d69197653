"""Every layer's activations for a long story, computed in windows with left context.

A story is minutes long; models see seconds. As Millet et al., the audio is cut into
``window_s`` windows, each fed with ``context_s`` of preceding audio, and only the frames
that fall inside the window are kept, so each frame sees the same amount of past.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from brainlike.features.timeline import pool_to_rate


@torch.no_grad()
def windowed_layers(model: nn.Module, audio: np.ndarray, sample_rate: int, window_s: float,
                    context_s: float, rate: float, device: torch.device) -> list[np.ndarray]:
    """Activations of every layer pooled to ``rate`` Hz. audio: (samples,) float32.

    Returns one (ceil(duration * rate), F_l) array per ``model.layer_names`` entry.
    """
    if audio.ndim != 1:
        raise ValueError(f"audio must be (samples,), found shape {audio.shape}")
    window, context = int(window_s * sample_rate), int(context_s * sample_rate)
    geometry = model.layer_geometry
    min_len = max(g.field for g in geometry)
    values: list[list[np.ndarray]] = [[] for _ in geometry]
    centres: list[list[np.ndarray]] = [[] for _ in geometry]
    model = model.to(device).eval()
    for start in range(0, len(audio), window):
        end = min(start + window, len(audio))
        first = max(0, start - context)
        # One receptive field past the window, so the frames centred just before its end
        # exist in this chunk (the next chunk drops them: their centres precede its start).
        chunk = audio[first:max(end + min_len, first + min_len)]
        if len(chunk) < min_len:  # a story shorter than the receptive field
            chunk = np.pad(chunk, (0, min_len - len(chunk)))
        x = torch.from_numpy(np.ascontiguousarray(chunk, np.float32))[None].to(device)
        for i, (out, g) in enumerate(zip(model.extract_features(x), geometry)):
            t = g.centres(out.shape[1], sample_rate).numpy() + first / sample_rate
            keep = (t >= start / sample_rate) & (t < end / sample_rate)
            values[i].append(out[0, torch.from_numpy(keep).to(device)].float().cpu().numpy())
            centres[i].append(t[keep])
    duration = len(audio) / sample_rate
    return [pool_to_rate(np.concatenate(v), np.concatenate(c), rate, duration)
            for v, c in zip(values, centres)]
