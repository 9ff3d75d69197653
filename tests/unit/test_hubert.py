"""HuBERT masked prediction (brainlike.objectives.hubert) and its k-means targets
(brainlike.objectives.cluster_targets): a real overfitting run, alignment, determinism,
checkpoints."""

from __future__ import annotations

import math

import pytest
import torch
from torchaudio.transforms import MFCC

from brainlike.models import checkpoint
from brainlike.models.configs import LogMelEncoderConfig
from brainlike.models.logmel_encoder import LogMelEncoder
from brainlike.objectives.cluster_targets import (LayerFeatures, MfccFeatures, TargetLabeler,
                                                  copy_nearest_baseline, majority_baseline)
from brainlike.objectives.hubert import IGNORE, HubertObjective

SR = 16000
SMALL = LogMelEncoderConfig(conv_channels=64, embed_dim=64, num_layers=2, num_heads=2,
                            ff_dim=128, pos_conv_kernel=7, pos_conv_groups=4, dropout=0.0)



def _speechlike(batch: int, n: int, seed: int) -> torch.Tensor:
    """Chirps, tones and noise bursts switching every ~0.1 s: frames that cluster well."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(n) / SR
    out = torch.zeros(batch, n)
    for b in range(batch):
        for start in range(0, n, 1600):
            seg = slice(start, min(n, start + 1600))
            kind = int(torch.randint(3, (), generator=g))
            f = 150 + 2500 * torch.rand((), generator=g)
            if kind == 0:
                out[b, seg] = 0.3 * torch.sin(2 * math.pi * f * t[seg])
            elif kind == 1:
                out[b, seg] = 0.3 * torch.sin(2 * math.pi * f * t[seg] * (1 + 2 * t[seg]))
            else:
                out[b, seg] = 0.05 * torch.randn(seg.stop - seg.start, generator=g)
    return out + 0.003 * torch.randn(batch, n, generator=g)


@pytest.fixture(scope="module")
def encoder() -> LogMelEncoder:
    torch.manual_seed(0)
    return LogMelEncoder(SMALL)


@pytest.fixture(scope="module")
def mfcc_labeler(encoder) -> TargetLabeler:
    audio = _speechlike(4, SR, seed=0)
    return TargetLabeler.fit(MfccFeatures(encoder.layer_geometry[1]), [audio], n_clusters=12,
                             seed=0)


# -- the objective ----------------------------------------------------------------------------

def test_overfits_one_batch(mfcc_labeler):
    torch.manual_seed(1)
    encoder = LogMelEncoder(SMALL)
    objective = HubertObjective(encoder, n_clusters=12, mask_prob=0.5, span=5,
                                unmasked_weight=0.0)
    audio = _speechlike(2, SR, seed=3)
    batch = {"audio": audio, "targets": mfcc_labeler(audio)}
    optimizer = torch.optim.Adam(objective.parameters(), lr=3e-3)
    history = []
    for _ in range(30):
        terms = objective(batch, torch.Generator().manual_seed(0))  # the same mask every step
        optimizer.zero_grad()
        terms["loss"].backward()
        optimizer.step()
        history.append({k: float(v.detach()) for k, v in terms.items()})
    first, last = history[0], history[-1]
    mask = objective.draw_mask(2, batch["targets"].shape[1], torch.Generator().manual_seed(0))
    majority = majority_baseline(batch["targets"], mask)
    assert last["loss"] < 0.5 * first["loss"]
    assert first["masked_accuracy"] < 0.3
    assert last["masked_accuracy"] > max(0.7, majority + 0.3)
    assert last["n_masked"] == mask.sum().item()


def test_terms_ignore_and_validation(encoder):
    objective = HubertObjective(encoder, n_clusters=5, mask_prob=0.5, span=3, head="linear",
                                unmasked_weight=0.1)
    audio = _speechlike(2, 8000, seed=4)
    frames = encoder.output_frames(8000)
    targets = torch.randint(5, (2, frames), generator=torch.Generator().manual_seed(0))
    targets[1] = IGNORE
    mask = torch.zeros(2, frames, dtype=torch.bool)
    mask[:, :6] = True
    terms = objective({"audio": audio, "targets": targets}, mask=mask)
    assert set(terms) >= {"loss", "masked_accuracy", "n_masked"}
    assert all(v.ndim == 0 for v in terms.values())
    assert terms["n_masked"].item() == 6  # row 1 has no labels
    assert torch.isfinite(terms["loss"]) and terms["loss"] > terms["masked_loss"]
    terms["loss"].backward()
    assert encoder.conv1.weight.grad is not None
    encoder.zero_grad()
    with pytest.raises(ValueError, match=r"targets must be \(batch, frames\) = \(2, 22\).*"
                                         r"\(2, 21\)"):
        objective({"audio": audio, "targets": targets[:, 1:]})
    with pytest.raises(ValueError, match="head"):
        HubertObjective(encoder, 5, mask_prob=0.5, span=3, unmasked_weight=0.0, head="mlp")


def test_padding_is_never_masked(encoder):
    objective = HubertObjective(encoder, n_clusters=4, mask_prob=0.8, span=3,
                                unmasked_weight=0.0)
    batch = {"audio": _speechlike(3, SR, seed=5), "length": torch.tensor([SR, 8000, 4000])}
    frame_lengths = objective.frame_lengths(batch["length"])
    assert frame_lengths.tolist() == [encoder.output_frames(n) for n in (SR, 8000, 4000)]
    mask = objective.draw_mask(3, 47, torch.Generator().manual_seed(0), frame_lengths)
    for row, n in zip(mask, frame_lengths.tolist()):
        assert row[:n].any() and not row[n:].any()
    targets = torch.zeros(3, 47, dtype=torch.long)
    terms = objective({**batch, "targets": targets}, torch.Generator().manual_seed(0))
    assert terms["n_masked"].item() == mask.sum().item()
    # the cluster embeddings learn through the cosine head
    terms["loss"].backward()
    assert objective.cluster_embeddings.grad.abs().sum() > 0
    objective.zero_grad()


def test_bf16_autocast_keeps_targets_and_logits_float32(encoder, mfcc_labeler):
    """The training loop autocasts on CUDA; CPU bf16 autocast exercises the same code."""
    objective = HubertObjective(encoder, n_clusters=12, mask_prob=0.4, span=(3, 5),
                                unmasked_weight=0.0)
    audio = _speechlike(2, 8000, seed=10)
    targets = mfcc_labeler(audio)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert torch.equal(mfcc_labeler(audio), targets)
        assert encoder.frontend(audio).dtype == torch.float32
        hidden = encoder.forward_encoder(encoder.forward_conv(encoder.frontend(audio))[-1])[-1]
        assert objective.logits(hidden).dtype == torch.float32
        terms = objective({"audio": audio, "targets": targets}, torch.Generator().manual_seed(0))
    assert torch.isfinite(terms["loss"]) and terms["loss"].dtype == torch.float32


# -- targets ----------------------------------------------------------------------------------

def test_mfcc_frames_are_centred_on_conv2_frames(encoder):
    features = MfccFeatures(encoder.layer_geometry[1])
    for n in (1040, 1359, 1360, 4000, SR):
        assert features(torch.zeros(1, n)).shape == (1, encoder.output_frames(n), 39)
    audio = _speechlike(1, 6000, seed=6)
    feats = features(audio)
    # the static coefficients of frame j are those of the 25 ms window centred on conv2
    # frame j's centre, j * 320 + 520
    single = MFCC(SR, n_mfcc=13, log_mels=True,
                  melkwargs={"n_fft": 400, "hop_length": 160, "n_mels": 23, "center": False})
    centres = encoder.layer_geometry[1].centres(feats.shape[1], SR) * SR
    for j in (0, 5, feats.shape[1] - 1):
        c = int(centres[j])
        window = audio[:, c - 200:c + 200]
        torch.testing.assert_close(feats[0, j, :13], single(window)[0, :, 0], rtol=1e-4,
                                   atol=1e-3)
    with pytest.raises(ValueError, match=r"\(4000,\)"):
        features(torch.zeros(4000))


def test_kmeans_labels_are_deterministic(encoder):
    features = MfccFeatures(encoder.layer_geometry[1])
    audio = _speechlike(3, SR, seed=7)
    a = TargetLabeler.fit(features, [audio[:2], audio[2:]], n_clusters=10, seed=4)
    b = TargetLabeler.fit(features, [audio[:2], audio[2:]], n_clusters=10, seed=4)
    c = TargetLabeler.fit(features, [audio[:2], audio[2:]], n_clusters=10, seed=5)
    assert a.centres.shape == (10, 39)
    assert (a.centres == b.centres).all() and not (a.centres == c.centres).all()
    labels = a(audio)
    assert labels.shape == (3, encoder.output_frames(SR)) and labels.dtype == torch.int64
    assert torch.equal(labels, b(audio))
    assert len(labels.unique()) >= 8
    # nearest centre in standardised units, as k-means assigns
    x = a.standardised(audio)
    brute = torch.cdist(x, torch.from_numpy(a.centres)[None].expand(3, -1, -1)).argmin(-1)
    assert (brute == labels).float().mean() > 0.99
    # frames past a row's valid samples get no label
    padded = a(audio, lengths=torch.tensor([SR, 8000, 1039]))
    n = encoder.output_frames(8000)
    assert (padded[1, n:] == IGNORE).all() and (padded[1, :n] == labels[1, :n]).all()
    assert (padded[2] == IGNORE).all() and torch.equal(padded[0], labels[0])


def test_labeler_rides_in_a_checkpoint(tmp_path, encoder, mfcc_labeler):
    path = tmp_path / "model.pt"
    checkpoint.save(path, encoder, "logmel", extra={"targets": mfcc_labeler.state_dict()})
    model, extra = checkpoint.load(path)  # weights_only=True inside
    labeler = TargetLabeler.from_state_dict(extra["targets"])
    audio = _speechlike(2, 8000, seed=8)
    assert torch.equal(labeler(audio), mfcc_labeler(audio))
    assert isinstance(model, LogMelEncoder)


def test_second_iteration_layer_targets(tmp_path, encoder):
    audio = _speechlike(2, SR, seed=9)
    features = LayerFeatures(encoder, "transformer1")
    labeler = TargetLabeler.fit(features, [{"audio": audio, "length": torch.tensor([SR, SR])}],
                                n_clusters=6, seed=0)
    assert labeler.centres.shape == (6, SMALL.embed_dim)
    labels = labeler(audio)
    assert labels.shape == (2, encoder.output_frames(SR))
    assert encoder.training  # the labeler ran it in eval mode and restored the mode
    path = tmp_path / "t.pt"
    torch.save(labeler.state_dict(), path)
    state = torch.load(path, weights_only=True)
    again = TargetLabeler.from_state_dict(state, encoder=encoder)
    assert torch.equal(again(audio), labels)
    with pytest.raises(ValueError, match="need their encoder"):
        TargetLabeler.from_state_dict(state)
    with pytest.raises(ValueError, match="not at the encoder's output rate"):
        LayerFeatures(encoder, "conv1")
    assert LayerFeatures(encoder, "conv2")(audio).shape == (2, 47, SMALL.conv_channels)


def test_baselines():
    targets = torch.tensor([[1, 1, 2, 2, 3, 3, IGNORE, 4]])
    mask = torch.tensor([[False, True, True, False, True, False, True, True]])
    # masked labelled frames: 1 (nearest visible 0 -> 1, hit), 2 (visible 0 and 3 tie ->
    # 0 is 2 away, 3 is 1 away -> 2, hit), 4 (visible 3 and 5 tie -> earlier, 3: 2 != 3,
    # miss), 7 (nearest visible 5 -> 3, miss)
    assert copy_nearest_baseline(targets, mask) == pytest.approx(2 / 4)
    assert majority_baseline(targets, mask) == pytest.approx(1 / 4)
    assert majority_baseline(targets, mask, majority=2) == pytest.approx(1 / 4)
    assert majority_baseline(targets) == pytest.approx(2 / 7)
    assert copy_nearest_baseline(targets, torch.ones_like(mask)) == 0.0
