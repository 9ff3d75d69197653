"""Reading audio safely: a truncated or empty WAV is an error naming the file, not silence."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import soundfile as sf

from brainlike.errors import InputError


def _check_riff(path: Path) -> None:
    """Compare the WAV header's declared data size with the bytes actually on disk.

    libsndfile quietly reads what is there when a file was cut short (an interrupted copy, a
    git-annex get that never finished), which would shift every later alignment.
    """
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return  # not RIFF/WAVE: leave the format checks to libsndfile
        offset = 12
        while offset + 8 <= size:
            f.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"data":
                available = size - offset - 8
                if chunk_size > available:
                    raise InputError(path, f"truncated WAV: header declares {chunk_size} bytes "
                                     f"of audio, the file holds {available}")
                return
            offset += 8 + chunk_size + (chunk_size & 1)
    raise InputError(path, "WAV file has no data chunk")


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Return ``(audio, sample_rate)``: audio is (samples,) float32, channels averaged."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "audio file is missing (was it fetched with datalad get?)")
    _check_riff(path)
    try:
        audio, sr = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise InputError(path, f"unreadable audio ({exc})") from exc
    if audio.shape[0] == 0:
        raise InputError(path, "audio file holds no samples")
    audio = audio.mean(axis=1)
    if not np.isfinite(audio).all():
        raise InputError(path, "audio contains NaN or infinite samples")
    return audio, int(sr)


def audio_duration(path: str | Path) -> float:
    """Duration in seconds from the header (after the same integrity checks as read_audio)."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "audio file is missing")
    _check_riff(path)
    try:
        info = sf.info(path)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise InputError(path, f"unreadable audio ({exc})") from exc
    return info.frames / info.samplerate


def resample(audio: np.ndarray, orig_sr: int, new_sr: int) -> np.ndarray:
    """Band-limited resampling (torchaudio's sinc interpolation). audio: (samples,)."""
    if audio.ndim != 1:
        raise ValueError(f"audio must be (samples,), found shape {audio.shape}")
    if orig_sr == new_sr:
        return audio.astype(np.float32, copy=False)
    # Imported here: torch costs seconds at start-up, and most preprocessing jobs never resample.
    import torch
    import torchaudio.functional as AF

    out = AF.resample(torch.from_numpy(np.ascontiguousarray(audio)), orig_sr, new_sr)
    return out.numpy().astype(np.float32, copy=False)


def to_pcm16(audio: np.ndarray) -> np.ndarray:
    """float [-1, 1] -> int16 PCM (the Parquet storage type), clipping overshoot."""
    return np.clip(np.round(audio * 32768.0), -32768, 32767).astype(np.int16)
