"""Unit tests of the synthetic-fMRI simulation: HRF, surface, drivers, listeners."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from brainlike.simulate.driver_frames import phoneme_code, word_embedding
from brainlike.simulate.drivers import DRIVER_SETS, compute_drivers
from brainlike.simulate.listeners import ROI_DRIVERS, simulate_subject
from brainlike.simulate.speech_types import Speech
from brainlike.simulate.surface import (ROI_NAMES, edge_graph, icosphere, make_hemisphere,
                                        read_label_gifti, read_surface_gifti,
                                        write_label_gifti, write_surface_gifti)
from brainlike.hrf import convolve_and_sample, glover_hrf

PHONES = ["AA1", "IY1", "UW1", "EH1", "P", "T", "K", "S", "M", "N", "L", "R"]
VOCAB = [f"w{i}" for i in range(60)]
TR = 1.0
RUN_SECONDS = 240.0


def fake_speech(seed: int, duration: float = RUN_SECONDS, sr: int = 8000,
                language: str = "en") -> Speech:
    """Band-noise 'speech': each phoneme sets four band gains, each word a loudness; sentences
    are separated by pauses, so the slow envelope is shared by every feature level."""
    rng = np.random.default_rng(seed)
    words, phones = [], []
    t, sent = 0.5, 0
    while t < duration - 3:
        for pos in range(int(rng.integers(4, 12))):
            dur = rng.uniform(0.2, 0.6)
            words.append((VOCAB[rng.integers(len(VOCAB))], t, t + dur, sent, pos, language))
            edges = t + np.sort(np.r_[0, rng.uniform(0, dur, int(rng.integers(1, 5))), dur])
            for a, b in zip(edges[:-1], edges[1:]):
                phones.append((PHONES[rng.integers(len(PHONES))], a, b, len(words) - 1))
            t += dur + rng.uniform(0.0, 0.15)
        t += rng.uniform(0.3, 2.0)
        sent += 1
    n = int(duration * sr)
    spec = np.fft.rfft(rng.standard_normal((4, n)), axis=1)
    freqs = np.fft.rfftfreq(n, 1 / sr)
    cuts = [100, 500, 1200, 2500, 3900]
    for i in range(4):
        spec[i, (freqs < cuts[i]) | (freqs >= cuts[i + 1])] = 0
    bands = np.fft.irfft(spec, n=n, axis=1)
    bands /= bands.std(axis=1, keepdims=True)
    gains = np.zeros((4, n))
    loud = rng.uniform(0.3, 1.0, len(words))
    for ph, a, b, wi in phones:
        g = np.random.default_rng(PHONES.index(ph)).uniform(0.1, 1.0, 4)
        gains[:, int(a * sr):int(b * sr)] = g[:, None] * loud[wi]
    audio = np.clip(0.1 * (gains * bands).sum(0), -1, 1).astype(np.float32)
    return Speech(audio=audio, sample_rate=sr,
                  words=pd.DataFrame(words, columns=["word", "onset", "offset", "sentence",
                                                     "position", "language"]),
                  phonemes=pd.DataFrame(phones, columns=["phoneme", "onset", "offset",
                                                         "word_index"]),
                  language=language)


@pytest.fixture(scope="module")
def speeches() -> list[Speech]:
    return [fake_speech(1), fake_speech(2)]


@pytest.fixture(scope="module")
def drivers(speeches):
    n = int(RUN_SECONDS / TR)
    return compute_drivers(speeches, TR, [n, n], {"en"},
                           log_frequency=lambda lang, w: -np.log1p(int(w[1:])))


@pytest.fixture(scope="module")
def labels() -> np.ndarray:
    return np.concatenate([make_hemisphere(h).labels for h in ("left", "right")])


@pytest.fixture(scope="module")
def subject(drivers, labels):
    return simulate_subject(drivers, labels, subject_seed=7, group_seed=100)


# --- HRF -------------------------------------------------------------------------------------

def test_hrf_peak_and_unit_sum():
    h = glover_hrf(0.01)
    t = np.arange(len(h)) * 0.01
    assert 4.0 <= t[np.argmax(h)] <= 7.0
    assert 10.0 <= t[np.argmin(h)] <= 16.0 and h.min() < 0
    assert h.sum() == pytest.approx(1.0)


def test_convolve_impulse_gives_hrf():
    fs, tr, n_trs = 10.0, 1.0, 30
    impulse = np.zeros((400, 2))
    impulse[0] = [1.0, 2.0]
    out = convolve_and_sample(impulse, fs, tr, n_trs)
    # Volume i is sampled at (i + 0.5) * tr, i.e. HRF sample 5 + 10 i at 10 Hz.
    expected = glover_hrf(1 / fs)[5::10][:n_trs]
    assert out.shape == (n_trs, 2)
    np.testing.assert_allclose(out[:, 0], expected, atol=1e-12)
    np.testing.assert_allclose(out[:, 1], 2 * expected, atol=1e-12)


def test_convolve_shape_errors():
    with pytest.raises(ValueError, match=r"\(100,\)"):
        convolve_and_sample(np.zeros(100), 10.0, 1.0, 5)
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        convolve_and_sample(np.zeros((2, 3, 4)), 10.0, 1.0, 5)
    with pytest.raises(ValueError):
        convolve_and_sample(np.zeros((10, 1)), 10.0, 1.0, 0)


# --- surface ---------------------------------------------------------------------------------

def test_icosphere_level3():
    v, f = icosphere(3)
    assert v.shape == (642, 3) and f.shape == (1280, 3)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-6)
    normals = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    assert np.all(np.einsum("ij,ij->i", normals, v[f].mean(axis=1)) > 0)


def test_roi_patches_contiguous_and_sized():
    from scipy.sparse.csgraph import connected_components
    hemi = make_hemisphere("left", patch_sizes={1: 60, 2: 70, 3: 80, 4: 90})
    assert np.bincount(hemi.labels, minlength=5)[1:].tolist() == [60, 70, 80, 90]
    graph = edge_graph(hemi.vertices, hemi.faces)
    for code in (1, 2, 3, 4):
        idx = np.flatnonzero(hemi.labels == code)
        assert connected_components(graph[idx][:, idx])[0] == 1
    assert np.array_equal(hemi.labels, make_hemisphere("left", patch_sizes={
        1: 60, 2: 70, 3: 80, 4: 90}).labels)


def test_gifti_round_trip(tmp_path):
    hemi = make_hemisphere("right")
    surf = write_surface_gifti(tmp_path / "hemi-R.surf.gii", hemi.vertices, hemi.faces, "right")
    lab = write_label_gifti(tmp_path / "hemi-R.label.gii", hemi.labels, hemi="right")
    v, f = read_surface_gifti(surf)
    np.testing.assert_array_equal(v, hemi.vertices)
    np.testing.assert_array_equal(f, hemi.faces)
    labels, names = read_label_gifti(lab)
    np.testing.assert_array_equal(labels, hemi.labels)
    assert names == ROI_NAMES
    with pytest.raises(ValueError, match="hemi-R.surf.gii"):
        read_label_gifti(surf)
    junk = tmp_path / "junk.label.gii"
    junk.write_text("not xml")
    with pytest.raises(ValueError, match="junk.label.gii"):
        read_label_gifti(junk)


# --- drivers ---------------------------------------------------------------------------------

def _corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a[:, a.std(0) > 0], b[:, b.std(0) > 0]  # the default log-frequency column is all 0
    za = (a - a.mean(0)) / a.std(0)
    zb = (b - b.mean(0)) / b.std(0)
    return za.T @ zb / len(a)


def test_drivers_orthogonalised(drivers):
    assert drivers.acoustic.shape == (480, 16)
    assert drivers.phonetic.shape == (480, 9) and drivers.word.shape == (480, 10)
    assert drivers.boundaries.tolist() == [0, 240, 480]
    for x in drivers.sets().values():
        np.testing.assert_allclose(x.mean(0), 0, atol=1e-10)
        np.testing.assert_allclose(x.std(0), 1, atol=1e-10)
    assert np.abs(_corr(drivers.acoustic, drivers.phonetic)).max() < 0.05
    assert np.abs(_corr(drivers.acoustic, drivers.word)).max() < 0.05
    assert np.abs(_corr(drivers.phonetic, drivers.word)).max() < 0.05
    table = drivers.cross_correlations()
    raw = table[table.stage == "raw"].set_index(["set_a", "set_b"])
    after = table[table.stage == "orthogonalised"]
    assert raw.loc[("acoustic", "phonetic"), "max_abs_r"] > 0.2  # the problem being solved
    assert after.max_abs_r.max() < 0.05 and after.r2_b_from_a.abs().max() < 1e-6


def test_non_native_words_give_zero_word_driver(speeches):
    d = compute_drivers(speeches, TR, [240, 240], {"fr"})
    assert np.all(d.word == 0)
    assert np.abs(d.phonetic).sum() > 0  # sounds are still heard
    # A non-native listener's word ROI then carries no planted signal.
    lab = np.repeat([0, 1, 2, 3, 4], 20)
    sim = simulate_subject(d, lab, subject_seed=1, group_seed=2)
    assert np.all(sim.truth.loc[sim.truth.roi_id == 3, "snr"] == 0)
    assert np.all(sim.signal[:, lab == 3] == 0)


def test_non_native_run_stays_zero_in_mixed_session(speeches):
    d = compute_drivers([speeches[0], fake_speech(3, language="fr")], TR, [240, 240], {"en"})
    assert np.all(d.word[d.run(1)] == 0) and np.abs(d.word[d.run(0)]).sum() > 0
    assert np.abs(_corr(np.column_stack([d.acoustic, d.phonetic]), d.word)).max() < 0.05


def test_codes_deterministic_across_processes():
    code = ("from brainlike.simulate.driver_frames import phoneme_code, word_embedding;"
            "print(list(phoneme_code('AA1')) + list(word_embedding('en', 'story')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONHASHSEED": "123", **_env()})
    here = list(phoneme_code("AA1")) + list(word_embedding("en", "story"))
    assert eval(out.stdout) == here  # noqa: S307 - our own subprocess output
    assert phoneme_code("AA1")[-1] == 1 and phoneme_code("T")[-1] == -1


def _env() -> dict[str, str]:
    import os
    return {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"} | {
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


# --- listeners -------------------------------------------------------------------------------

def test_planted_snr_reproduced(subject, labels):
    truth = subject.truth
    assert len(truth) == len(labels) == subject.responses.shape[1]
    assert subject.responses.dtype == np.float32
    driven = truth.driver.to_numpy() != "none"
    assert np.all(truth.snr[~driven] == 0)
    snr = truth.snr.to_numpy()[driven]
    assert snr.min() < 0.1 and snr.max() > 1.5  # wide spread of ceilings
    emp = subject.signal.var(0)[driven] / subject.noise.var(0)[driven]
    assert np.corrcoef(np.log(emp), np.log(snr))[0, 1] > 0.97
    assert np.median(np.abs(emp / snr - 1)) < 0.1
    # In response units the total variance is signal_var + noise_var.
    total = subject.responses.astype(np.float64).var(0)
    ratio = total / (truth.signal_var + truth.noise_var).to_numpy()
    assert np.median(np.abs(ratio - 1)) < 0.1
    np.testing.assert_allclose(truth.ceiling_r, np.sqrt(truth.snr / (1 + truth.snr)))
    # Data are in scanner-like units, not standardised.
    assert subject.responses.mean() > 100


def test_noise_is_ar1(subject):
    n = subject.noise.astype(np.float64)
    lag1 = np.mean([np.corrcoef(n[1:240, v], n[:239, v])[0, 1] for v in range(n.shape[1])])
    assert lag1 == pytest.approx(0.3, abs=0.05)


def test_planted_driver_explains_each_roi_best(subject, drivers, labels):
    y = subject.responses.astype(np.float64)
    y = y - y.mean(0)
    r2 = {}
    for name, x in drivers.sets().items():
        design = np.column_stack([np.ones(len(x)), x])
        beta, *_ = np.linalg.lstsq(design, y, rcond=None)
        r2[name] = 1 - (y - design @ beta).var(0) / y.var(0)
    for code, driver in ROI_DRIVERS.items():
        in_roi = labels == code
        means = {name: r2[name][in_roi].mean() for name in DRIVER_SETS}
        if driver == "none":
            # Chance level: k <= 16 columns, T = 480, inflated by autocorrelation (~0.06).
            assert max(means.values()) < 0.1
        else:
            assert max(means, key=means.get) == driver
            assert means[driver] > 3 * max(v for k, v in means.items() if k != driver)


def test_subjects_share_group_component(drivers, labels):
    a = simulate_subject(drivers, labels, subject_seed=1, group_seed=5)
    b = simulate_subject(drivers, labels, subject_seed=2, group_seed=5)
    c = simulate_subject(drivers, labels, subject_seed=1, group_seed=6)
    driven = labels > 0
    driven &= labels < 4

    def mean_corr(p, q):
        return np.mean([np.corrcoef(p.signal[:, v], q.signal[:, v])[0, 1]
                        for v in np.flatnonzero(driven)])

    assert mean_corr(a, b) > 0.85
    assert abs(mean_corr(a, c)) < 0.2
    # The group SNR map is shared too: per-vertex SNRs of two subjects track each other.
    assert np.corrcoef(np.log(a.truth.snr[driven]), np.log(b.truth.snr[driven]))[0, 1] > 0.9


def test_determinism(speeches, drivers, labels, subject):
    n = int(RUN_SECONDS / TR)
    again = compute_drivers(speeches, TR, [n, n], {"en"},
                            log_frequency=lambda lang, w: -np.log1p(int(w[1:])))
    for name in DRIVER_SETS:
        np.testing.assert_array_equal(getattr(again, name), getattr(drivers, name))
    sim = simulate_subject(drivers, labels, subject_seed=7, group_seed=100)
    np.testing.assert_array_equal(sim.responses, subject.responses)
    pd.testing.assert_frame_equal(sim.truth, subject.truth)
    other = simulate_subject(drivers, labels, subject_seed=8, group_seed=100)
    assert not np.array_equal(other.responses, subject.responses)
