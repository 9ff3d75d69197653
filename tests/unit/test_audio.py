"""Safe audio reading, resampling and PCM conversion (brainlike.preprocess.audio)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from brainlike.errors import InputError
from brainlike.preprocess.audio import audio_duration, read_audio, resample, to_pcm16


def _sine(freq: float, sr: int, seconds: float, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(sr * seconds))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_valid_wav_reads_back(tmp_path):
    path = tmp_path / "ok.wav"
    pcm = to_pcm16(_sine(440.0, 16000, 0.25))
    sf.write(path, pcm, 16000, subtype="PCM_16")
    audio, sr = read_audio(path)
    assert sr == 16000
    assert audio.dtype == np.float32 and audio.shape == pcm.shape
    assert np.max(np.abs(audio - pcm / 32768.0)) <= 1 / 32768
    assert np.max(np.abs(audio - _sine(440.0, 16000, 0.25))) <= 1 / 32768


def test_float_written_wav_within_one_lsb(tmp_path):
    path = tmp_path / "float_in.wav"
    x = _sine(300.0, 22050, 0.1, amp=0.9)
    sf.write(path, x, 22050, subtype="PCM_16")
    audio, sr = read_audio(path)
    assert sr == 22050
    assert np.max(np.abs(audio - x)) <= 1 / 32768 + 1e-7


def test_truncated_wav_is_an_error(tmp_path):
    path = tmp_path / "cut.wav"
    sf.write(path, to_pcm16(_sine(440.0, 16000, 0.5)), 16000, subtype="PCM_16")
    raw = path.read_bytes()
    path.write_bytes(raw[:-1000])
    # libsndfile alone would read the remaining samples without complaint
    assert len(sf.read(path)[0]) < 8000
    with pytest.raises(InputError, match="truncated") as err:
        read_audio(path)
    assert str(path) in str(err.value)
    with pytest.raises(InputError, match="truncated"):
        audio_duration(path)


def test_header_only_wav_is_an_error(tmp_path):
    path = tmp_path / "header.wav"
    sf.write(path, to_pcm16(_sine(440.0, 16000, 0.1)), 16000, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:12])  # RIFF/WAVE, no chunks at all
    with pytest.raises(InputError) as err:
        read_audio(path)
    assert str(path) in str(err.value)


def test_zero_sample_wav_is_an_error(tmp_path):
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0, np.int16), 16000, subtype="PCM_16")
    with pytest.raises(InputError, match="no samples") as err:
        read_audio(path)
    assert str(path) in str(err.value)


def test_non_audio_file_is_an_error(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("not audio at all\n" * 20)
    with pytest.raises(InputError, match="unreadable audio") as err:
        read_audio(path)
    assert str(path) in str(err.value)
    with pytest.raises(InputError):
        audio_duration(path)


def test_missing_file_is_an_error(tmp_path):
    path = tmp_path / "absent.wav"
    with pytest.raises(InputError, match="missing") as err:
        read_audio(path)
    assert str(path) in str(err.value)
    with pytest.raises(InputError, match="missing"):
        audio_duration(path)


def test_nonfinite_samples_are_an_error(tmp_path):
    path = tmp_path / "nan.wav"
    x = _sine(440.0, 8000, 0.1)
    x[10] = np.nan
    sf.write(path, x, 8000, subtype="FLOAT")
    with pytest.raises(InputError, match="NaN"):
        read_audio(path)


def test_audio_duration_matches_length(tmp_path):
    path = tmp_path / "d.wav"
    sf.write(path, np.zeros(11025, np.int16), 22050, subtype="PCM_16")
    assert audio_duration(path) == pytest.approx(0.5)
    audio, sr = read_audio(path)
    assert audio_duration(path) == pytest.approx(len(audio) / sr)


def test_stereo_is_averaged(tmp_path):
    path = tmp_path / "stereo.wav"
    left = to_pcm16(_sine(440.0, 16000, 0.1, amp=0.5))
    right = to_pcm16(np.full(1600, 0.25, np.float32))
    sf.write(path, np.stack([left, right], axis=1), 16000, subtype="PCM_16")
    audio, sr = read_audio(path)
    assert audio.shape == (1600,)
    expected = (left.astype(np.float64) + right) / 2 / 32768.0
    np.testing.assert_allclose(audio, expected, atol=1e-6)


def test_resample_keeps_length_and_frequency():
    freq = 440.0
    x = _sine(freq, 22050, 1.0)
    y = resample(x, 22050, 16000)
    assert y.dtype == np.float32
    assert y.shape == (16000,)
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    peak_hz = np.argmax(spectrum) * 16000 / len(y)
    assert abs(peak_hz - freq) <= 1.0
    # amplitude preserved away from the edges
    assert np.max(np.abs(y[1000:-1000])) == pytest.approx(0.5, abs=0.02)


def test_resample_removes_content_above_new_nyquist():
    x = _sine(10000.0, 22050, 1.0)  # above 8 kHz: must be filtered, not aliased to 6 kHz
    y = resample(x, 22050, 16000)
    assert np.sqrt(np.mean(y[1000:-1000] ** 2)) < 0.02


def test_resample_same_rate_is_identity():
    x = _sine(100.0, 16000, 0.1)
    np.testing.assert_array_equal(resample(x, 16000, 16000), x)


def test_resample_rejects_multichannel():
    with pytest.raises(ValueError):
        resample(np.zeros((100, 2), np.float32), 22050, 16000)


def test_to_pcm16_scales_and_clips():
    out = to_pcm16(np.array([0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -2.0, 1e-5], np.float32))
    assert out.dtype == np.int16
    assert out.tolist() == [0, 16384, -16384, 32767, -32768, 32767, -32768, 0]
