"""K-means targets for HuBERT-style masked prediction, and the baselines that judge learning.

Iteration 1 clusters MFCCs (13 + deltas + delta-deltas, 39-d); iteration 2 clusters the
features of one layer of a trained encoder. Either way the features are computed at the
encoder's output frames (conv2, 50 Hz) so target ``j`` describes the same audio as frame
``j``, standardised with statistics fitted on the sample, and clustered with scikit-learn's
``MiniBatchKMeans``. A ``TargetLabeler`` is just the feature source plus (centres, mean,
scale): ``state_dict()`` holds plain tensors, strings and ints, so it rides in a checkpoint
that loads with ``torch.load(weights_only=True)``.

The baselines (copying the nearest visible label, always naming the majority label) are what
a model that learned nothing scores; the HuBERT and supervised learning checks use them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
from sklearn.cluster import MiniBatchKMeans
from torch import Tensor, nn
from torchaudio.functional import compute_deltas
from torchaudio.transforms import MFCC

from brainlike.models.geometry import LayerGeometry

IGNORE = -100  # target of frames with no label (padding past a crop's valid length)


def _check_audio(audio: Tensor) -> None:
    if audio.ndim != 2:
        raise ValueError(f"audio must be (batch, samples), found shape {tuple(audio.shape)}")


def _frames(n_samples: int, geometry: LayerGeometry) -> int:
    return max(0, (n_samples - geometry.field) // geometry.stride + 1)


class MfccFeatures:
    """(B, S) audio -> (B, T, 39) MFCC + deltas at the frames of ``geometry``.

    MFCCs are computed at 100 Hz (25 ms windows, 10 ms hop, unpadded) and the 100 Hz frame
    whose centre equals each output frame's centre is taken (deltas carry the context), so
    frame ``j`` is centred at ``j * stride + field / 2`` samples, as the encoder's frame ``j``.
    """

    kind = "mfcc"

    def __init__(self, geometry: LayerGeometry, sample_rate: int = 16000, n_mfcc: int = 13,
                 n_mels: int = 23, n_fft: int = 400, hop_length: int = 160) -> None:
        # n_mels 23: Kaldi's MFCC default, as HuBERT's first-iteration labels.
        self.geometry, self.sample_rate = geometry, sample_rate
        offset, rest = divmod((geometry.field - n_fft) / 2, hop_length)
        step, rest2 = divmod(geometry.stride, hop_length)
        if rest or rest2 or offset < 0:
            raise ValueError(f"output frames {geometry} do not fall on {hop_length}-sample "
                             f"MFCC frames centred like them")
        self.offset, self.step = int(offset), int(step)
        self.mfcc = MFCC(sample_rate, n_mfcc=n_mfcc, log_mels=True,
                         melkwargs={"n_fft": n_fft, "hop_length": hop_length,
                                    "n_mels": n_mels, "center": False})

    @property
    def dim(self) -> int:
        return 3 * self.mfcc.n_mfcc

    @torch.no_grad()
    def __call__(self, audio: Tensor) -> Tensor:
        _check_audio(audio)
        n = _frames(audio.shape[1], self.geometry)
        if n == 0:
            raise ValueError(f"audio of shape {tuple(audio.shape)} is shorter than one frame "
                             f"({self.geometry.field} samples)")
        mfcc = self.mfcc.to(audio.device)(audio.float())  # (B, 13, T100)
        d1 = compute_deltas(mfcc)
        feats = torch.cat([mfcc, d1, compute_deltas(d1)], dim=1)  # (B, 39, T100)
        idx = self.offset + self.step * torch.arange(n, device=audio.device)
        return feats[:, :, idx].transpose(1, 2)

    def state(self) -> dict:
        return {"kind": self.kind, "stride": self.geometry.stride, "field": self.geometry.field,
                "sample_rate": self.sample_rate}


class LayerFeatures:
    """(B, S) audio -> (B, T2, F) output of one 50 Hz layer (conv2 or transformerK) of a
    staged encoder (``frontend``/``forward_conv``/``forward_encoder``), in eval mode."""

    kind = "layer"

    def __init__(self, encoder: nn.Module, layer: str) -> None:
        names = encoder.layer_names
        if layer not in names:
            raise ValueError(f"unknown layer {layer!r}; choose from {names}")
        self.geometry = encoder.layer_geometry[names.index(layer)]
        if self.geometry != encoder.layer_geometry[-1]:
            raise ValueError(f"layer {layer!r} ({self.geometry}) is not at the encoder's "
                             f"output rate ({encoder.layer_geometry[-1]})")
        self.encoder, self.layer = encoder, layer
        n_conv = len(names) - encoder.config.num_layers
        self.depth = names.index(layer) - n_conv + 1  # transformer layers to run (0: conv)

    @torch.no_grad()
    def __call__(self, audio: Tensor) -> Tensor:
        _check_audio(audio)
        was_training = self.encoder.training
        self.encoder.eval()
        try:
            device = next(self.encoder.parameters()).device
            x = self.encoder.forward_conv(self.encoder.frontend(audio.to(device)))[-1]
            if self.depth > 0:
                x = self.encoder.forward_encoder(x, num_layers=self.depth)[-1]
        finally:
            self.encoder.train(was_training)
        return x.float()

    def state(self) -> dict:
        return {"kind": self.kind, "layer": self.layer}


def _batches(audio_batches: Iterable[Tensor | dict]) -> Iterable[tuple[Tensor, Tensor | None]]:
    for item in audio_batches:
        if isinstance(item, dict):
            yield item["audio"], item.get("length")
        else:
            yield item, None


class TargetLabeler:
    """Maps audio (B, S) to (B, T2) int64 cluster ids; -100 past each row's valid length."""

    def __init__(self, features: MfccFeatures | LayerFeatures, centres: np.ndarray,
                 mean: np.ndarray, scale: np.ndarray) -> None:
        self.features = features
        self.centres = np.asarray(centres, np.float32)  # (K, D), in standardised units
        self.mean = np.asarray(mean, np.float32)  # (D,)
        self.scale = np.asarray(scale, np.float32)  # (D,)

    @property
    def n_clusters(self) -> int:
        return len(self.centres)

    @classmethod
    def fit(cls, features: MfccFeatures | LayerFeatures, audio_batches: Iterable[Tensor | dict],
            *, n_clusters: int, seed: int, max_frames: int = 200_000,
            batch_size: int = 4096) -> TargetLabeler:
        """K-means on the features of every valid frame of ``audio_batches``.

        audio_batches: (B, S) tensors, or dicts with ``audio`` and optional ``length``
            (valid samples per row). At most ``max_frames`` frames (a seeded random subset)
            are clustered. The same seed and data give the same centres.
        n_clusters: ``training.targets.clusters`` of the model's config.
        """
        rows = []
        for audio, lengths in _batches(audio_batches):
            feats = features(audio)  # (B, T2, D)
            valid = _valid_frames(feats.shape[:2], lengths, features.geometry, feats.device)
            rows.append(feats[valid].cpu().numpy())
        x = np.concatenate(rows).astype(np.float64)
        if len(x) < n_clusters:
            raise ValueError(f"{len(x)} frames are too few for {n_clusters} clusters")
        rng = np.random.default_rng(seed)
        if len(x) > max_frames:
            x = x[np.sort(rng.choice(len(x), max_frames, replace=False))]
        mean, scale = x.mean(0), x.std(0)
        scale[scale < 1e-8] = 1.0  # a constant dimension carries no information
        kmeans = MiniBatchKMeans(n_clusters=n_clusters, random_state=seed,
                                 batch_size=batch_size, n_init=3)
        kmeans.fit((x - mean) / scale)
        return cls(features, kmeans.cluster_centers_, mean, scale)

    def standardised(self, audio: Tensor) -> Tensor:
        """(B, S) -> (B, T2, D) features in the units the centres live in.

        Always float32, even inside a bf16 autocast region (a training step): targets must
        not depend on where they were computed, and bf16 distances would flip assignments.
        """
        with torch.autocast(audio.device.type, enabled=False):
            return self._standardised(audio)

    def _standardised(self, audio: Tensor) -> Tensor:
        feats = self.features(audio)
        mean = torch.from_numpy(self.mean).to(feats.device)
        return (feats - mean) / torch.from_numpy(self.scale).to(feats.device)

    @torch.no_grad()
    def __call__(self, audio: Tensor, lengths: Tensor | None = None) -> Tensor:
        """(B, S) audio (+ (B,) valid samples) -> (B, T2) int64 ids of the nearest centre."""
        with torch.autocast(audio.device.type, enabled=False):
            x = self._standardised(audio)
            c = torch.from_numpy(self.centres).to(x.device)
            # ||x - c||^2 without the ||x||^2 term, which does not change the argmin.
            ids = (c.square().sum(-1) - 2 * x @ c.T).argmin(-1)
        valid = _valid_frames(ids.shape, lengths, self.features.geometry, ids.device)
        return torch.where(valid, ids, torch.full_like(ids, IGNORE))

    def state_dict(self) -> dict:
        """Plain tensors, strings and ints (loadable with weights_only=True)."""
        return {**self.features.state(), "centres": torch.from_numpy(self.centres),
                "mean": torch.from_numpy(self.mean), "scale": torch.from_numpy(self.scale)}

    @classmethod
    def from_state_dict(cls, state: dict, encoder: nn.Module | None = None) -> TargetLabeler:
        """Rebuild a labeler; layer targets need the (trained) ``encoder`` they came from."""
        if state["kind"] == "mfcc":
            features = MfccFeatures(LayerGeometry(int(state["stride"]), int(state["field"])),
                                    int(state["sample_rate"]))
        elif state["kind"] == "layer":
            if encoder is None:
                raise ValueError(f"layer targets ({state['layer']}) need their encoder")
            features = LayerFeatures(encoder, state["layer"])
        else:
            raise ValueError(f"unknown target features {state['kind']!r}")
        return cls(features, *(np.asarray(state[k]) for k in ("centres", "mean", "scale")))


def _valid_frames(shape: tuple[int, ...], lengths: Tensor | None, geometry: LayerGeometry,
                  device: torch.device) -> Tensor:
    """(B, T) bool: frames whose whole window lies inside each row's valid samples."""
    frames = torch.arange(shape[1], device=device)
    if lengths is None:
        return torch.ones(shape, dtype=torch.bool, device=device)
    n = torch.as_tensor(lengths, device=device).long()
    n_frames = ((n - geometry.field).div(geometry.stride, rounding_mode="floor") + 1).clamp(min=0)
    return frames[None, :] < n_frames[:, None]


# -- baselines --------------------------------------------------------------------------------

def copy_nearest_baseline(targets: Tensor, mask: Tensor) -> float:
    """Accuracy on masked frames of copying the id of the nearest unmasked frame.

    targets: (B, T) int64 (-100 = ignore); mask: (B, T) bool. Ties go to the earlier frame;
    a row with no visible labelled frame counts its masked frames as wrong. A model that
    beats this uses more than label continuity.
    """
    t, m = np.asarray(targets.cpu()), np.asarray(mask.cpu())
    hits = total = 0
    for row, row_mask in zip(t, m):
        valid = row != IGNORE
        query = np.flatnonzero(row_mask & valid)
        visible = np.flatnonzero(~row_mask & valid)
        total += len(query)
        if not len(query) or not len(visible):
            continue
        right = np.clip(np.searchsorted(visible, query), 0, len(visible) - 1)
        left = np.clip(right - 1, 0, len(visible) - 1)
        nearest = np.where(np.abs(query - visible[left]) <= np.abs(visible[right] - query),
                           visible[left], visible[right])
        hits += int((row[nearest] == row[query]).sum())
    return hits / max(1, total)


def majority_baseline(targets: Tensor, mask: Tensor | None = None,
                      majority: int | None = None) -> float:
    """Accuracy on (masked) labelled frames of always predicting one id.

    majority: the id to predict, e.g. the most frequent in training labels; by default the
    most frequent among the judged frames themselves (an optimistic constant predictor).
    """
    t = np.asarray(targets.cpu())
    keep = t != IGNORE
    if mask is not None:
        keep &= np.asarray(mask.cpu())
    judged = t[keep]
    if not len(judged):
        return 0.0
    if majority is None:
        majority = int(np.bincount(judged).argmax())
    return float((judged == majority).mean())
