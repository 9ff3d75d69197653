"""Layer and baseline features: frame pooling, scaling, the volume grid, windows, the store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import torch

from brainlike.errors import InputError
from brainlike.features import baselines
from brainlike.features.layers import windowed_layers
from brainlike.features.store import feature_info, read_layer, write_features
from brainlike.features.story import FeatureSpec, Stimulus, story_frames, volume_features
from brainlike.features.timeline import n_volumes, pool_to_rate, scale, to_volumes
from brainlike.io.schemas import write_table
from brainlike.models.configs import Wav2Vec2Config
from brainlike.models.wav2vec2 import Wav2Vec2
from brainlike.preprocess.utterances import make_row, rows_to_table

SR = 16000
CPU = torch.device("cpu")



@pytest.fixture(scope="module")
def tiny() -> Wav2Vec2:
    torch.manual_seed(0)
    return Wav2Vec2(Wav2Vec2Config.preset("tiny")).eval()


def _noise(seconds: float, seed: int = 0, amplitude: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (amplitude * rng.standard_normal(int(seconds * SR))).astype(np.float32)


# --- timeline ------------------------------------------------------------------------------

def test_n_volumes():
    assert n_volumes(10.0, 2.0, 20.0) == 15
    assert n_volumes(10.1, 2.0, 20.0) == 16
    assert n_volumes(3.0, 1.5, 0.0) == 2


def test_pool_to_rate_averages_and_interpolates():
    values = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0], [7.0, 70.0]])
    centres = np.array([0.010, 0.015, 0.050, 0.090])  # bins of 20 ms: 0, 0, 2, 4
    out = pool_to_rate(values, centres, rate=50.0, duration_s=0.1)
    assert out.dtype == np.float32
    expected = np.array([[2.0, 20.0],    # mean of frames 0 and 1
                         [3.5, 35.0],    # empty: halfway between bins 0 and 2
                         [5.0, 50.0],
                         [6.0, 60.0],    # empty: halfway between bins 2 and 4
                         [7.0, 70.0]])
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_pool_to_rate_edges():
    # empty edge bins hold the nearest filled bin; frames past the end land in the last bin
    out = pool_to_rate(np.array([[2.0], [4.0], [9.0]]), np.array([0.045, 0.065, 0.5]), 50.0, 0.1)
    np.testing.assert_allclose(out[:, 0], [2.0, 2.0, 2.0, 4.0, 9.0])
    # a single frame: every bin is that frame (not zeros around it)
    out = pool_to_rate(np.array([[4.0, -1.0]]), np.array([0.03]), 50.0, 0.1)
    np.testing.assert_allclose(out, np.tile([[4.0, -1.0]], (5, 1)))
    with pytest.raises(ValueError, match="one centre per frame"):
        pool_to_rate(np.zeros((3, 2)), np.zeros(2), 50.0, 0.1)
    with pytest.raises(ValueError, match="values must be"):
        pool_to_rate(np.zeros(3), np.zeros(3), 50.0, 0.1)


def test_scale():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (200, 3)).astype(np.float32)
    x[:, 1] = 0.7  # constant: its float mean is off by an ulp, it must still become 0
    z = scale(x, "zscore")
    assert z.dtype == np.float32
    np.testing.assert_allclose(z[:, [0, 2]].mean(axis=0), 0.0, atol=1e-6)
    np.testing.assert_allclose(z[:, [0, 2]].std(axis=0), 1.0, rtol=1e-5)
    assert np.all(z[:, 1] == 0.0)
    for c in (0.1, 0.3, 1e6, -2.5):
        assert np.all(scale(np.full((7, 1), c), "zscore") == 0.0), c

    m = scale(x, "minmax")
    assert m[:, [0, 2]].min() == 0.0 and m[:, [0, 2]].max() == pytest.approx(1.0)
    assert np.all((m >= 0.0) & (m <= 1.0))
    assert np.all(m[:, 1] == 0.0)
    np.testing.assert_allclose(scale(np.array([[2.0], [4.0], [3.0]]), "minmax")[:, 0],
                               [0.0, 1.0, 0.5])

    np.testing.assert_array_equal(scale(x, "none"), x)
    with pytest.raises(ValueError, match="unknown scaling 'robust'"):
        scale(x, "robust")


def test_to_volumes_hrf_of_an_impulse():
    rate, tr, n_trs = 10.0, 1.0, 30
    onset = 50  # frame 50 = 5.0 s
    x = np.zeros((200, 2), np.float32)
    x[onset, 0] = 1.0
    x[onset, 1] = 3.0
    y = to_volumes(x, rate, tr, n_trs, "hrf", ())
    assert y.shape == (n_trs, 2) and y.dtype == np.float32
    mid = (np.arange(n_trs) + 0.5) * tr
    before = mid < onset / rate
    np.testing.assert_allclose(y[before], 0.0, atol=1e-7)
    peak = mid[np.argmax(y[:, 0])] - onset / rate
    assert 4.0 <= peak <= 7.0
    assert y[:, 0].max() > 0
    np.testing.assert_allclose(y[:, 1], 3.0 * y[:, 0], rtol=1e-5, atol=1e-8)  # linear
    # undershoot after the peak: negative around 12 s
    assert y[onset // 10 + 12, 0] < 0


def test_to_volumes_fir_shifts_by_the_delays():
    rate, tr, n_trs = 10.0, 1.0, 8
    rng = np.random.default_rng(1)
    x = rng.normal(size=(45, 2)).astype(np.float32)  # 4.5 s of frames, volumes of 10 frames
    y = to_volumes(x, rate, tr, n_trs, "fir", fir_delays=(0, 2, 3))
    assert y.shape == (n_trs, 2 * 3)
    padded = np.zeros((80, 2), np.float32)
    padded[:45] = x
    means = padded.reshape(8, 10, 2).mean(axis=1)  # volume 4 has 5 frames and 5 zeros
    np.testing.assert_allclose(means[4], x[40:45].sum(axis=0) / 10, rtol=1e-6)
    for k, d in enumerate((0, 2, 3)):
        block = y[:, 2 * k:2 * k + 2]
        np.testing.assert_allclose(block[:d], 0.0)
        np.testing.assert_allclose(block[d:], means[:n_trs - d], rtol=1e-6)
    # frames past the grid are dropped, not wrapped
    long = to_volumes(np.ones((500, 1), np.float32), rate, tr, 3, "fir", fir_delays=(1,))
    np.testing.assert_allclose(long[:, 0], [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="unknown response model 'boxcar'"):
        to_volumes(x, rate, tr, n_trs, "boxcar", ())


# --- windowed layers -----------------------------------------------------------------------

def _full_pass(model, audio, rate):
    with torch.no_grad():
        outs = model.extract_features(torch.from_numpy(audio)[None])
    return [pool_to_rate(o[0].numpy(), g.centres(o.shape[1], SR).numpy(), rate, len(audio) / SR)
            for o, g in zip(outs, model.layer_geometry)]


def test_window_longer_than_audio_is_one_pass(tiny):
    audio = _noise(2.3, seed=3)
    windowed = windowed_layers(tiny, audio, SR, window_s=10.0, context_s=5.0, rate=50.0,
                               device=CPU)
    full = _full_pass(tiny, audio, 50.0)
    assert len(windowed) == len(tiny.layer_names) == 11
    for name, w, f in zip(tiny.layer_names, windowed, full):
        assert w.shape == (int(np.ceil(2.3 * 50)), 64 if name.startswith("conv") else 128)
        np.testing.assert_allclose(w, f, rtol=1e-5, atol=1e-6, err_msg=name)


def test_short_windows_shapes_determinism_and_causality(tiny):
    audio = _noise(2.0, seed=4)
    kwargs = dict(sample_rate=SR, window_s=0.5, context_s=0.5, rate=50.0, device=CPU)
    a = windowed_layers(tiny, audio, **kwargs)
    again = windowed_layers(tiny, audio, **kwargs)
    full = _full_pass(tiny, audio, 50.0)
    for name, x, y, f in zip(tiny.layer_names, a, again, full):
        assert x.shape == f.shape == (100, f.shape[1]), name
        assert np.isfinite(x).all(), name
        np.testing.assert_array_equal(x, y, err_msg=name)
    # transformer layers see only their window plus context, so they differ from a full pass
    assert not np.allclose(a[-1], full[-1], atol=1e-3)

    # New audio from 1.0 s + one receptive field on: the windows [0, 0.5) and [0.5, 1.0)
    # read one receptive field past their end (so the frames centred just before the end
    # exist), and nothing later.
    field = max(g.field for g in tiny.layer_geometry)
    changed = audio.copy()
    changed[SR + field:] = _noise(2.0, seed=99)[:len(audio) - SR - field]
    b = windowed_layers(tiny, changed, **kwargs)
    for name, x, y in zip(tiny.layer_names, a, b):
        np.testing.assert_array_equal(x[:50], y[:50], err_msg=name)
        assert not np.allclose(x[51:], y[51:]), name  # the later windows did change


def test_windowed_layers_rejects_2d_audio(tiny):
    with pytest.raises(ValueError, match=r"audio must be \(samples,\)"):
        windowed_layers(tiny, np.zeros((2, 8000), np.float32), SR, 1.0, 1.0, 50.0, CPU)


def test_story_shorter_than_the_receptive_field(tiny):
    out = windowed_layers(tiny, _noise(0.015, seed=5), SR, 5.0, 10.0, 50.0, CPU)
    assert all(o.shape[0] == 1 and np.isfinite(o).all() for o in out)


# --- baselines -----------------------------------------------------------------------------

def test_spectrogram_shape_and_loudness():
    audio = _noise(1.23, seed=6)
    spec = baselines.spectrogram(audio, SR, 50.0)
    assert spec.shape == (int(np.ceil(1.23 * 50)), baselines.N_MELS) == (62, 40)
    assert spec.dtype == np.float32 and np.isfinite(spec).all()
    loud = baselines.spectrogram(10 * audio, SR, 50.0)
    np.testing.assert_allclose(loud - spec, np.log(100.0), atol=1e-2)  # 20 dB more power
    silence = baselines.spectrogram(np.zeros(SR, np.float32), SR, 50.0)
    assert silence.max() < spec.min()
    assert baselines.spectrogram(audio, SR, 100.0).shape == (123, 40)


PHONEMES = pd.DataFrame({
    "phoneme": ["AH", "B", "AH"],
    "onset": [0.10, 0.14, 0.70],
    "offset": [0.14, 0.58, 0.82],  # silence over [0, 0.10), [0.58, 0.70) and from 0.82 s
})


def test_phonemes_one_hot():
    inventory = baselines.phoneme_inventory([PHONEMES, pd.DataFrame({"phoneme": ["Z", "AH"]})])
    assert inventory == ["AH", "B", "Z"]
    x = baselines.phonemes(PHONEMES, inventory, duration_s=1.0, rate=50.0)
    assert x.shape == (50, 3)
    frame = np.arange(50)
    ah = ((frame >= 5) & (frame < 7)) | ((frame >= 35) & (frame < 41))
    b = (frame >= 7) & (frame < 29)
    np.testing.assert_array_equal(x[:, 0], ah.astype(np.float32))
    np.testing.assert_array_equal(x[:, 1], b.astype(np.float32))
    np.testing.assert_array_equal(x[:, 2], 0.0)
    np.testing.assert_array_equal(x.sum(axis=1), (ah | b).astype(np.float32))
    # a phoneme shorter than a frame still gets its frame
    short = pd.DataFrame({"phoneme": ["B"], "onset": [0.301], "offset": [0.305]})
    np.testing.assert_array_equal(np.flatnonzero(baselines.phonemes(short, inventory, 1.0,
                                                                     50.0)[:, 1]), [15])
    with pytest.raises(ValueError, match=r"\['QQ'\] are not in the dataset inventory"):
        baselines.phonemes(pd.DataFrame({"phoneme": ["QQ"], "onset": [0.0], "offset": [0.1]}),
                           inventory, 1.0, 50.0)


WORDS = pd.DataFrame({
    "word": ["The", "cat", "the", "dog"],
    "onset": [0.10, 0.30, 0.58, 0.80],
    "offset": [0.30, 0.50, 0.70, 1.00],
    "sentence": [0, 0, 0, 0],
    "position": [0, 1, 2, 3],
})


def test_word_frequencies():
    freq = baselines.word_frequencies([WORDS, pd.DataFrame({"word": ["Dog", "bird"]})])
    assert freq == pytest.approx({"the": np.log10(2 / 6), "cat": np.log10(1 / 6),
                                  "dog": np.log10(2 / 6), "bird": np.log10(1 / 6)})


def test_words():
    freq = baselines.word_frequencies([WORDS])
    x = baselines.words(WORDS, freq, duration_s=1.2, rate=50.0)
    assert x.shape == (60, len(baselines.WORD_COLUMNS))
    starts = [5, 15, 29, 40]  # 0.58 s * 50 Hz is frame 29, though 0.58 * 50 < 29 in floats
    np.testing.assert_array_equal(np.flatnonzero(x[:, 0]), starts)
    assert x[:, 0].sum() == 4
    inside = np.zeros(60, bool)
    for a, b in ((5, 15), (15, 25), (29, 35), (40, 50)):
        inside[a:b] = True
    np.testing.assert_array_equal(x[:, 1], inside.astype(np.float32))
    # log-frequency is centred over the story's words
    at_onsets = x[starts, 2]
    assert at_onsets.mean() == pytest.approx(0.0, abs=1e-6)
    raw = np.array([np.log10(0.5), np.log10(0.25), np.log10(0.5), np.log10(0.25)])
    np.testing.assert_allclose(at_onsets, raw - raw.mean(), rtol=1e-5)
    np.testing.assert_array_equal(x[starts, 3], [3, 3, 3, 3])
    np.testing.assert_array_equal(x[starts, 4], [0, 1, 2, 3])
    np.testing.assert_array_equal(x[~inside, 1:], 0.0)
    # an unknown word gets the rarest frequency; unknown positions (-1) become 0
    other = WORDS.assign(word=["The", "zebra", "the", "dog"], position=[-1, -1, -1, -1])
    y = baselines.words(other, freq, 1.2, 50.0)
    rare = np.array([np.log10(0.5), np.log10(0.25), np.log10(0.5), np.log10(0.25)])
    np.testing.assert_allclose(y[starts, 2], rare - rare.mean(), rtol=1e-5)
    np.testing.assert_array_equal(y[:, 4], 0.0)


# --- one story end to end ------------------------------------------------------------------

def _stimulus_file(tmp_path, seconds=1.7, sample_rate=SR, name="story.parquet"):
    pcm = (_noise(seconds, seed=7, amplitude=0.2) * 32767).astype(np.int16)
    words = WORDS.copy()
    phonemes = PHONEMES.assign(word_index=[0, 0, 1])
    row = make_row("storyA", "en", "spk1", pcm, sample_rate, words, phonemes)
    path = tmp_path / name
    write_table(rows_to_table([row]), path, "utterance/1")
    return path, pcm


def test_stimulus_read(tmp_path):
    path, pcm = _stimulus_file(tmp_path)
    stim = Stimulus.read(path)
    assert stim.story == "storyA" and stim.sample_rate == SR
    np.testing.assert_array_equal(stim.audio, pcm.astype(np.float32) / 32768.0)
    assert stim.duration == pytest.approx(1.7)
    assert list(stim.words["word"]) == ["The", "cat", "the", "dog"]
    np.testing.assert_allclose(stim.phonemes["onset"], PHONEMES["onset"])


@pytest.mark.parametrize("response", ["hrf", "fir"])
def test_baseline_features_end_to_end(tmp_path, response):
    path, _ = _stimulus_file(tmp_path)
    stim = Stimulus.read(path)
    spec = FeatureSpec.from_config({"rate": 50.0, "response": response, "tail_s": 5.0,
                                  "fir_delays": [1, 2]})
    assert spec.fir_delays == (1, 2)
    tr = 0.5
    n = n_volumes(stim.duration, tr, spec.tail_s)
    assert n == 14
    widths = {"spectrogram": 40, "phonemes": 2, "words": 5}
    for kind, width in widths.items():
        frames = story_frames(kind, stim, [stim], spec)
        assert list(frames) == [kind]
        assert frames[kind].shape == (int(np.ceil(stim.duration * spec.rate)), width)
        vols = volume_features(frames, stim.duration, tr, spec)
        f = width * (2 if response == "fir" else 1)
        assert vols[kind].shape == (n, f), kind
        assert vols[kind].dtype == np.float32 and np.isfinite(vols[kind]).all()
        assert np.abs(vols[kind]).max() > 0
        if response == "fir":  # the first delay is one volume: volume 0 is zero
            np.testing.assert_array_equal(vols[kind][0], 0.0)


def test_model_features_end_to_end(tmp_path, tiny):
    path, _ = _stimulus_file(tmp_path)
    stim = Stimulus.read(path)
    spec = FeatureSpec.from_config({"rate": 50.0, "window_s": 1.0, "context_s": 0.5, "tail_s": 4.0})
    frames = story_frames("wav2vec2", stim, [stim], spec, model=tiny, device=CPU)
    assert list(frames) == tiny.layer_names
    vols = volume_features(frames, stim.duration, 1.0, spec)
    for name, v in vols.items():
        assert v.shape == (n_volumes(1.7, 1.0, 4.0), 64 if name.startswith("conv") else 128)
        assert np.isfinite(v).all()
    with pytest.raises(ValueError, match="not a baseline"):
        story_frames("wav2vec2", stim, [stim], spec)
    path8k, _ = _stimulus_file(tmp_path, sample_rate=8000, name="story8k.parquet")
    with pytest.raises(ValueError, match="8000 Hz.*16000 Hz"):
        story_frames("wav2vec2", Stimulus.read(path8k), [stim], spec, model=tiny, device=CPU)


# --- store ---------------------------------------------------------------------------------

def test_store_round_trip(tmp_path):
    rng = np.random.default_rng(8)
    layers = {"conv1": rng.normal(size=(12, 3)).astype(np.float32),
              "transformer1": rng.normal(size=(12, 5)).astype(np.float32),
              "spectrogram": rng.normal(size=(12, 1)).astype(np.float32)}
    path = tmp_path / "features.parquet"
    write_features(path, layers, tr=1.5, info={"model": "tiny", "rate": 50.0})
    assert pq.ParquetFile(path).num_row_groups == len(layers)
    info = feature_info(path)
    assert info["tr"] == 1.5 and info["model"] == "tiny" and info["rate"] == 50.0
    assert info["layers"] == {"conv1": 3, "transformer1": 5, "spectrogram": 1}
    for name, values in layers.items():
        times, read = read_layer(path, name)
        np.testing.assert_array_equal(times, np.arange(12) * 1.5)
        np.testing.assert_array_equal(read, values)
        assert read.shape == values.shape
    with pytest.raises(InputError, match="features.parquet.*no layer 'conv9'") as exc:
        read_layer(path, "conv9")
    assert exc.value.path == str(path)
    with pytest.raises(ValueError, match="one n_volumes"):
        write_features(tmp_path / "bad.parquet", {"a": np.zeros((3, 2)), "b": np.zeros((4, 2))},
                       1.0, {})
    assert not (tmp_path / "bad.parquet").exists()
