"""ctypes binding to libespeak-ng (as shipped by the PyPI package ``espeakng-loader``).

Only the small part of the C API needed to synthesise speech with a ground-truth alignment:
``espeak_Initialize`` in synchronous retrieval mode with phoneme events, a synth callback that
collects 22,050 Hz int16 audio plus WORD / PHONEME events, voice selection and the
rate / pitch / range / volume parameters.

Determinism: libespeak-ng keeps hidden static state between calls (glottal phase, flutter
index, AGC, ...) and seeds its noise generator from the clock, so two identical calls in one
process do not give identical audio. Every ``synthesize`` call therefore reloads a private copy
of the shared library (fresh static data; costs about a millisecond) and seeds the noise
generator explicitly. The copy is private so that another user of the same ``.so`` in this
process (phonemizer, kokoro, ...) neither blocks the unload nor is disturbed by it.
"""

from __future__ import annotations

import _ctypes
import atexit
import ctypes
import os
import shutil
import tempfile
import threading
from multiprocessing import util as mp_util
from pathlib import Path
from typing import NamedTuple

import numpy as np

SAMPLE_RATE = 22050

# Values from speak_lib.h (API revision 12).
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000
_EE_OK = 0

_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_MSG_TERMINATED = 6
_EVENT_PHONEME = 7

_PARAM_RATE = 1
_PARAM_VOLUME = 2
_PARAM_PITCH = 3
_PARAM_RANGE = 4

RATE_MIN, RATE_MAX = 80, 450
#: Variants that sound like ordinary speakers (the others include whisper, robots, croaks).
SPEAKER_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5")


class _EventId(ctypes.Union):
    _fields_ = [
        ("number", ctypes.c_int),  # WORD and SENTENCE events
        ("name", ctypes.c_char_p),  # MARK and PLAY events
        ("string", ctypes.c_char * 8),  # PHONEME events: mnemonic, NUL-terminated unless 8 bytes
    ]


class EspeakEvent(ctypes.Structure):
    """``espeak_EVENT`` exactly as laid out in speak_lib.h."""

    _fields_ = [
        ("type", ctypes.c_int),  # espeak_EVENT_TYPE (a C enum: int-sized)
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based, in characters (code points) of the text
        ("length", ctypes.c_int),  # word length in characters (WORD events)
        ("audio_position", ctypes.c_int),  # ms
        ("sample", ctypes.c_int),  # samples since the start of this espeak_Synth call
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(EspeakEvent))


class Synthesis(NamedTuple):
    """Result of one ``synthesize`` call.

    audio: (samples,) float32 in [-1, 1] at ``SAMPLE_RATE``.
    word_events: (char_offset, char_length, sample) per WORD event, char_offset 0-based into the
        synthesised text, in emission order.
    phoneme_events: (mnemonic, sample) per PHONEME event, including espeak's pseudo-phonemes
        (pauses ``_``, ``_:``, syllable boundaries ``_|``, ...), in emission order.
    """

    audio: np.ndarray
    word_events: list[tuple[int, int, int]]
    phoneme_events: list[tuple[str, int]]


def _loader_paths() -> tuple[Path, Path]:
    try:
        import espeakng_loader
    except ImportError as err:  # pragma: no cover - dependency of the package
        raise RuntimeError("speech synthesis needs the PyPI package 'espeakng-loader'") from err
    lib, data = Path(espeakng_loader.get_library_path()), Path(espeakng_loader.get_data_path())
    if not lib.is_file():
        raise RuntimeError(f"libespeak-ng not found at {lib}")
    return lib, data


def data_dir() -> Path:
    """The espeak-ng-data directory in use."""
    return _loader_paths()[1]


def available_variants() -> tuple[str, ...]:
    """Names of the voice variants (``m1``, ``f2``, ...) shipped in espeak-ng-data/voices/!v."""
    return tuple(sorted(p.name for p in (data_dir() / "voices" / "!v").iterdir() if p.is_file()))


def _remove_private_copy(directory: Path, owner_pid: int) -> None:
    # Forked children run atexit too; only the process that made the copy removes it.
    if os.getpid() == owner_pid:
        shutil.rmtree(directory, ignore_errors=True)


class _Engine:
    """Process-wide owner of libespeak-ng; all access goes through ``lock``."""

    def __init__(self) -> None:
        src, self.data = _loader_paths()
        self._src = src
        self._tmp = Path(tempfile.mkdtemp(prefix="brainlike-espeak-"))
        atexit.register(_remove_private_copy, self._tmp, os.getpid())
        # Pool workers leave through os._exit, which skips atexit but runs these finalizers.
        mp_util.Finalize(None, _remove_private_copy, args=(self._tmp, os.getpid()),
                         exitpriority=0)
        self.lib_path = self._tmp / src.name
        shutil.copyfile(src, self.lib_path)
        self.lock = threading.Lock()
        # A child forked mid-synthesis would inherit a held lock.
        os.register_at_fork(after_in_child=self._after_fork)
        self._lib: ctypes.CDLL | None = None
        # Kept as an attribute: the C side holds a pointer to it, so it must outlive every call.
        self._callback = _SynthCallback(self._on_synth)
        self._chunks: list[np.ndarray] = []
        self._words: list[tuple[int, int, int]] = []
        self._phonemes: list[tuple[str, int]] = []
        self._error: BaseException | None = None

    def _on_synth(self, wav: ctypes._Pointer, n: int, events: ctypes._Pointer) -> int:
        try:
            if wav and n > 0:
                self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
            if events:
                i = 0
                while (ev := events[i]).type != _EVENT_LIST_TERMINATED:
                    if ev.type == _EVENT_WORD:
                        self._words.append((ev.text_position - 1, ev.length, ev.sample))
                    elif ev.type == _EVENT_PHONEME:
                        name = bytes(ev.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
                        self._phonemes.append((name, ev.sample))
                    elif ev.type == _EVENT_MSG_TERMINATED:
                        break
                    i += 1
            return 0
        except BaseException as err:  # an exception must not unwind through C; abort instead
            self._error = err
            return 1

    def _after_fork(self) -> None:
        self.lock = threading.Lock()

    def _reload(self) -> ctypes.CDLL:
        if self._lib is not None:
            self._lib.espeak_Terminate()
            _ctypes.dlclose(self._lib._handle)
            self._lib = None
        if not self.lib_path.is_file():  # e.g. a temp-directory cleaner removed it
            self.lib_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self._src, self.lib_path)
        lib = ctypes.CDLL(str(self.lib_path), mode=ctypes.RTLD_LOCAL)
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        if not hasattr(lib, "espeak_ng_SetRandSeed"):
            raise RuntimeError(f"{self._src} lacks espeak_ng_SetRandSeed (espeak-ng >= 1.52 is "
                               "needed for reproducible audio); upgrade espeakng-loader")
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, str(self.data).encode(),
                                     _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT)
        if rate != SAMPLE_RATE:
            raise RuntimeError(f"espeak_Initialize with data {self.data} returned {rate}, "
                               f"expected sample rate {SAMPLE_RATE}")
        lib.espeak_SetSynthCallback(self._callback)
        self._lib = lib
        return lib

    def synthesize(self, text: str, voice: str, rate: int, pitch: int, volume: int,
                   variant: str | None, pitch_range: int, seed: int) -> Synthesis:
        name = voice if variant is None else f"{voice}+{variant}"
        # espeak silently ignores an unknown variant, so check for its file first.
        if variant is not None and not (self.data / "voices" / "!v" / variant).is_file():
            raise ValueError(f"espeak-ng voice variant {variant!r} not found in "
                             f"{self.data / 'voices' / '!v'}")
        with self.lock:
            lib = self._reload()
            status = lib.espeak_SetVoiceByName(name.encode())
            if status != _EE_OK:
                raise ValueError(f"espeak-ng voice {name!r} not found (status {status}) "
                                 f"in {self.data}")
            for param, value in ((_PARAM_RATE, rate), (_PARAM_VOLUME, volume),
                                 (_PARAM_PITCH, pitch), (_PARAM_RANGE, pitch_range)):
                lib.espeak_SetParameter(param, int(value), 0)
            lib.espeak_ng_SetRandSeed(int(seed) & 0x7FFFFFFF)
            self._chunks, self._words, self._phonemes, self._error = [], [], [], None
            encoded = text.encode("utf-8") + b"\0"
            buf = ctypes.create_string_buffer(encoded, len(encoded))
            status = lib.espeak_Synth(buf, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8,
                                      None, None)
            if self._error is not None:
                raise RuntimeError(f"espeak synth callback failed for {text!r}") from self._error
            if status != _EE_OK:
                raise RuntimeError(f"espeak_Synth returned {status} for {text!r} ({name})")
            pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
            words, phonemes = self._words, self._phonemes
            self._chunks, self._words, self._phonemes = [], [], []
        audio = pcm.astype(np.float32) / np.float32(32768.0)
        return Synthesis(audio, words, phonemes)


_engine: _Engine | None = None
_engine_lock = threading.Lock()


def _get_engine() -> _Engine:
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = _Engine()
        return _engine


def synthesize(text: str, voice: str, rate: int = 175, pitch: int = 50, volume: int = 100,
               variant: str | None = None, pitch_range: int = 50, seed: int = 0) -> Synthesis:
    """Synthesise ``text`` (UTF-8, plain text) with espeak-ng.

    voice: espeak voice name (``en-us``, ``fr``, ``cmn``, ...); variant: a file name from
    ``available_variants()`` (``m3``, ``f2``, ...) or None. rate: words per minute (80-450);
    pitch, pitch_range: 0-100 (50 = voice default); volume: 0-200 (100 = normal);
    seed: seeds espeak's noise generator (breathy variants use it).
    Returns ``Synthesis`` (audio (samples,) float32 at 22,050 Hz, word and phoneme events whose
    sample positions count from the start of this audio). Identical arguments give identical
    output. Raises ValueError for an unknown voice or variant, RuntimeError if espeak fails.
    """
    if not RATE_MIN <= rate <= RATE_MAX:
        raise ValueError(f"espeak rate must be in [{RATE_MIN}, {RATE_MAX}] wpm, got {rate}")
    for label, value, hi in (("pitch", pitch, 100), ("pitch_range", pitch_range, 100),
                             ("volume", volume, 200)):
        if not 0 <= value <= hi:
            raise ValueError(f"espeak {label} must be in [0, {hi}], got {value}")
    return _get_engine().synthesize(text, voice, rate, pitch, volume, variant, pitch_range, seed)
