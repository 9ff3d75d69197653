"""The supervised control: the same encoder trained to name the phone under every frame."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class SupervisedObjective(nn.Module):
    """Frame-level phone classification from one encoder layer (cross-entropy).

    batch: ``audio`` (B, S) float32 and ``phones`` (B, T_l) int64 labels at the layer's frame
    rate (-100 where no phoneme is spoken), label ``f`` naming the phone under the centre of
    frame ``f``: ``label_offset_s`` is where frame 0 is centred, for the data stream. Frames
    beyond the shorter of the two are ignored.
    """

    def __init__(self, encoder: nn.Module, n_phones: int, layer: int = -1) -> None:
        super().__init__()
        self.encoder, self.layer = encoder, layer
        device = next(encoder.parameters()).device  # the encoder may already sit on a GPU
        width = encoder.extract_features(torch.zeros(1, 16000, device=device))[layer].shape[-1]
        self.head = nn.Linear(width, n_phones)
        # Labelling frame f at its start instead would teach the encoder to name the phone
        # half a receptive field (32 ms for the log-mel encoder) before the one it is read at.
        geometry = encoder.layer_geometry[layer]
        self.label_offset_s = geometry.field / 2 / encoder.config.sample_rate

    def forward(self, batch: dict, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        features = self.encoder.extract_features(batch["audio"])[self.layer]  # (B, T, D)
        labels = batch["phones"]
        n = min(features.shape[1], labels.shape[1])
        logits = self.head(features[:, :n])
        labels = labels[:, :n]
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                               ignore_index=-100)
        valid = labels != -100
        accuracy = (logits.argmax(-1)[valid] == labels[valid]).float().mean()
        # frames: how many label columns were judged (the evaluator's baseline uses the same)
        return {"loss": loss, "accuracy": accuracy.detach(), "frames": torch.tensor(n)}
