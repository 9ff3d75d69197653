"""Speaker-invariant articulatory features of every phone: place, manner, voicing, vowel quality.

Each phone label is spelt in IPA once (``_IPA``, per inventory), and its feature vector is
computed from the IPA segments (``_CONSONANTS``, ``_VOWELS``): binary columns are the union
over the segments, ``height``/``backness``/``rounded`` the mean over the vowel segments, and
``diphthong`` marks two or more vowel segments. The vector depends on the label alone, never
on the voice that spoke it.

Inventories:

* ``espeak-en``, ``espeak-fr``, ``espeak-cmn``: the espeak-ng mnemonics that
  ``brainlike.simulate.speech`` stores (voices en-us, fr, cmn; stress marks already stripped):
  every phone the three grammars produce, spoken word by word and in sentences, plus a few
  close relatives from the same espeak phoneme files;
* ``arpabet``: CMUdict/TIMIT ARPAbet, any case, with or without stress digits (``AA1``,
  ``ah``); stress is not an articulatory feature, so ``AH0`` and ``AH1`` are both [ʌ].

Gentle's position suffixes (``dh_B``, ``ah_I``, ``t_E``, ``s_S``) are stripped first, and its
non-phones (``oov``, ``sil``, ...) get the zero vector: they name no articulation.

Mandarin tone has no column: espeak-ng keeps a syllable's tone in the phoneme list's
``tone_ph`` field, which only ``espeak_TextToPhonemes`` writes out; its PHONEME events carry
the mnemonic (and stress) alone, so the alignments hold no tone to encode.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from brainlike.features.baselines import _boxcars
from brainlike.preprocess.gentle import POSITION_SUFFIXES
from brainlike.simulate.languages import default_voice

PLACES = ("bilabial", "labiodental", "dental", "alveolar", "postalveolar", "retroflex",
          "palatal", "velar", "uvular", "glottal")
#: ``rhotic`` is the r-like manner: rhotic approximant, uvular r, tap.
MANNERS = ("stop", "fricative", "affricate", "nasal", "approximant", "lateral", "rhotic")
#: height: 0 close .. 1 open; backness: 0 front .. 1 back (graded, IPA chart steps).
FEATURES: tuple[str, ...] = ("consonant", "vowel", "voiced", *PLACES, *MANNERS, "aspirated",
                             "height", "backness", "rounded", "nasalised", "diphthong")
INVENTORIES = ("espeak-en", "espeak-fr", "espeak-cmn", "arpabet")
#: Gentle's labels for stretches without a phone.
NON_PHONES = frozenset({"oov", "sil", "sp", "spn"})

_COL = {name: i for i, name in enumerate(FEATURES)}
_GRADED = [_COL["height"], _COL["backness"], _COL["rounded"]]

# Consonant segments, each described by FEATURES words (voiceless unless "voiced").
_CONSONANTS = {
    "p": "bilabial stop", "b": "voiced bilabial stop", "t": "alveolar stop",
    "d": "voiced alveolar stop", "k": "velar stop", "ɡ": "voiced velar stop",
    "ʔ": "glottal stop",
    "f": "labiodental fricative", "v": "voiced labiodental fricative",
    "θ": "dental fricative", "ð": "voiced dental fricative",
    "s": "alveolar fricative", "z": "voiced alveolar fricative",
    "ʃ": "postalveolar fricative", "ʒ": "voiced postalveolar fricative",
    "ʂ": "retroflex fricative", "ʐ": "voiced retroflex fricative",
    "ɕ": "palatal fricative",  # alveolo-palatal: Mandarin's palatal series
    "x": "velar fricative", "h": "glottal fricative",
    "ʁ": "voiced uvular fricative rhotic",
    "ts": "alveolar affricate", "tʃ": "postalveolar affricate",
    "dʒ": "voiced postalveolar affricate", "ʈʂ": "retroflex affricate",
    "tɕ": "palatal affricate",
    "m": "voiced bilabial nasal", "n": "voiced alveolar nasal", "ɲ": "voiced palatal nasal",
    "ŋ": "voiced velar nasal",
    "l": "voiced alveolar lateral approximant", "ɹ": "voiced alveolar approximant rhotic",
    "ɾ": "voiced alveolar rhotic",  # the tap, an r-like manner
    "j": "voiced palatal approximant",
    "w": "voiced bilabial velar approximant rounded",
    "ʍ": "bilabial velar approximant rounded",
    "ɥ": "voiced bilabial palatal approximant rounded",
}
# Vowel segments: (height, backness, rounded), then any extra FEATURES words.
_VOWELS = {
    "i": (0, 0, 0), "y": (0, 0, 1), "ɨ": (0, .5, 0), "ʉ": (0, .5, 1), "u": (0, 1, 1),
    # Mandarin apical vowels after dental (zi, ci, si) and retroflex (zhi, chi, shi, ri)
    # sibilants: close central, with the tongue tip where the sibilant had it.
    "ɿ": (0, .5, 0, "dental"), "ʅ": (0, .5, 0, "retroflex"),
    "ɪ": (1 / 6, .25, 0), "ᵻ": (1 / 6, .5, 0), "ʊ": (1 / 6, .75, 1),
    "e": (1 / 3, 0, 0), "ø": (1 / 3, 0, 1), "ɤ": (1 / 3, 1, 0), "o": (1 / 3, 1, 1),
    "ə": (.5, .5, 0), "ɚ": (.5, .5, 0, "rhotic"),
    "ɛ": (2 / 3, 0, 0), "œ": (2 / 3, 0, 1), "ɜ": (2 / 3, .5, 0), "ɝ": (2 / 3, .5, 0, "rhotic"),
    "ʌ": (2 / 3, 1, 0), "ɔ": (2 / 3, 1, 1),
    "æ": (5 / 6, 0, 0), "ɐ": (5 / 6, .5, 0), "a": (1, 0, 0), "ɑ": (1, 1, 0),
}
# Diacritics act on the segment before them; length and syllabicity are not features here.
_DIACRITICS = {"ʰ": "aspirated", "\u0303": "nasalised", "˞": "rhotic", "ː": None,
               "\u0329": None}

# Phone label -> IPA, per inventory.
_IPA: dict[str, dict[str, str]] = {
    "espeak-en": {  # en-us
        "0": "ɑː", "3": "ɚ", "3:": "ɝː",  # espeak prints [ɜː]; the en-us NURSE vowel is r-coloured
        "@": "ə", "@-": "ə", "@2": "ə", "@L": "əl", "A:": "ɑː", "A@": "ɑːɹ", "D": "ð",
        "E": "ɛ", "I": "ɪ", "I#": "ᵻ", "I2": "ɪ", "N": "ŋ", "O": "ɔ", "O2": "ɔ", "O:": "ɔː",
        "O@": "ɔːɹ", "OI": "ɔɪ", "S": "ʃ", "T": "θ", "U": "ʊ", "U@": "ʊɹ", "V": "ʌ",
        "Z": "ʒ", "?": "ʔ", "a": "æ", "a#": "ɐ", "aI": "aɪ", "aI3": "aɪɚ", "aI@": "aɪə",
        "aU": "aʊ", "aU@": "aʊə", "aa": "æ", "b": "b", "d": "d", "dZ": "dʒ", "e@": "ɛɹ",
        "eI": "eɪ", "f": "f", "g": "ɡ", "h": "h", "i": "i", "i:": "iː", "i@": "iə",
        "i@3": "ɪɹ", "j": "j", "k": "k", "l": "l", "m": "m", "n": "n", "o@": "ɔːɹ",
        "oU": "oʊ", "p": "p", "r": "ɹ", "r-": "ɹ", "s": "s", "t": "t", "t#": "ɾ", "t2": "t",
        "tS": "tʃ", "u:": "uː", "v": "v", "w": "w", "z": "z",
    },
    "espeak-fr": {
        "@": "ə", "@-": "ə", "A~": "ɑ̃", "E": "ɛ", "E-": "ɛ", "E~": "ɛ̃", "O": "ɔ", "O~": "ɔ̃",
        "S": "ʃ", "W": "œ", "W2": "œ", "W~": "œ̃", "Y": "ø", "Z": "ʒ", "a": "a", "a-": "a",
        "b": "b", "d": "d", "e": "e", "e-": "e", "f": "f", "g": "ɡ", "i": "i", "j": "j",
        "j.": "ɥ", "k": "k", "l": "l", "m": "m", "n": "n", "n2": "n", "n^": "ɲ", "o": "o",
        "p": "p", "p2": "p", "r": "ʁ", "r2": "ʁ", "s": "s", "t": "t", "t2": "t", "t3": "t",
        "u": "u", "u:": "u", "v": "v", "w": "w", "y": "y", "y-": "y", "z": "z", "z2": "z",
        "z3": "z",
    },
    "espeak-cmn": {
        "@": "ə", "@r": "ɚ", "A": "ɑ", "Au": "ɑu", "E": "ɛ", "N": "ŋ", "S;": "ɕ",
        "X": "x",  # espeak prints [χ]; Mandarin h is the velar fricative
        "a": "a", "ai": "ai", "ei": "ei", "f": "f", "i": "i", "i.": "ʅ", "iA": "iɑ",
        "iAu": "iɑu", "iE": "iɛ", "i[": "ɿ", "io": "io", "iou": "iou", "j": "j", "k": "k",
        "kh": "kʰ", "l": "l", "m": "m", "n": "n", "o": "o", "o-": "ɤ", "ong": "ʊŋ",
        "ou": "ou", "p": "p", "ph": "pʰ", "s": "s", "s.": "ʂ", "t": "t", "tS;": "tɕ",
        "tS;h": "tɕʰ", "th": "tʰ", "ts": "ts", "ts.": "ʈʂ", "ts.h": "ʈʂʰ", "tsh": "tsʰ",
        "u": "u", "u@": "uə", "uA": "uɑ", "ua": "ua", "uai": "uai", "uei": "uei", "uo": "uo",
        "w": "w", "y": "y", "y&": "yæ", "y@": "yə", "yE": "yɛ", "z.": "ʐ",
    },
    "arpabet": {
        "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "aʊ", "AX": "ə", "AXR": "ɚ",
        "AY": "aɪ", "EH": "ɛ", "ER": "ɝ", "EY": "eɪ", "IH": "ɪ", "IX": "ɨ", "IY": "i",
        "OW": "oʊ", "OY": "ɔɪ", "UH": "ʊ", "UW": "u", "UX": "ʉ",
        "B": "b", "CH": "tʃ", "D": "d", "DH": "ð", "DX": "ɾ", "EL": "əl", "EM": "əm",
        "EN": "ən", "F": "f", "G": "ɡ", "HH": "h", "JH": "dʒ", "K": "k", "L": "l", "M": "m",
        "N": "n", "NG": "ŋ", "NX": "ɾ̃", "P": "p", "Q": "ʔ", "R": "ɹ", "S": "s", "SH": "ʃ",
        "T": "t", "TH": "θ", "V": "v", "W": "w", "WH": "ʍ", "Y": "j", "Z": "z", "ZH": "ʒ",
    },
}


def _segment_vectors() -> dict[str, np.ndarray]:
    out = {}
    for symbol, words in _CONSONANTS.items():
        v = np.zeros(len(FEATURES))
        v[_COL["consonant"]] = 1.0
        for word in words.split():
            v[_COL[word]] = 1.0
        out[symbol] = v
    for symbol, (height, backness, rounded, *extra) in _VOWELS.items():
        v = np.zeros(len(FEATURES))
        v[[_COL["vowel"], _COL["voiced"]]] = 1.0
        v[_GRADED] = height, backness, rounded
        for word in extra:
            v[_COL[word]] = 1.0
        out[symbol] = v
    return out


_SEGMENTS = _segment_vectors()
_LONGEST = max(map(len, _SEGMENTS))


def ipa_vector(ipa: str) -> np.ndarray:
    """(len(FEATURES),) float64 features of an IPA string of the segments in this module.

    Binary columns are the union over its segments; height, backness and rounding the mean
    over its vowels (rounding of a consonant, as in [w], counts only without vowels);
    ``diphthong`` is 1 for two or more vowels. Raises ValueError for a symbol not covered.
    """
    segments: list[np.ndarray] = []
    i = 0
    while i < len(ipa):
        for size in range(_LONGEST, 0, -1):
            if ipa[i:i + size] in _SEGMENTS:
                segments.append(_SEGMENTS[ipa[i:i + size]].copy())
                i += size
                break
        else:
            if ipa[i] not in _DIACRITICS or not segments:
                raise ValueError(f"IPA symbol {ipa[i]!r} in {ipa!r} has no articulatory "
                                 "features; add it to brainlike/features/articulatory.py")
            if _DIACRITICS[ipa[i]] is not None:
                segments[-1][_COL[_DIACRITICS[ipa[i]]]] = 1.0
            i += 1
    if not segments:
        raise ValueError(f"empty IPA string {ipa!r}")
    stack = np.stack(segments)
    out = stack.max(axis=0)
    vowels = stack[stack[:, _COL["vowel"]] == 1.0]
    if len(vowels):
        out[_GRADED] = vowels[:, _GRADED].mean(axis=0)
    out[_COL["diphthong"]] = float(len(vowels) >= 2)
    return out


_VECTORS: dict[str, dict[str, np.ndarray]] = {
    inventory: {phone: ipa_vector(ipa) for phone, ipa in table.items()}
    for inventory, table in _IPA.items()}


def espeak_inventory(language: str) -> str:
    """The inventory of the phones synthesised for ``language`` ("en", "fr", "zh")."""
    return f"espeak-{default_voice(language).split('-')[0]}"


def _strip_position(phone: str) -> str:
    head, _, suffix = phone.rpartition("_")
    return head if head and suffix in POSITION_SUFFIXES else phone


def _key(phone: str, inventory: str) -> str:
    """``phone`` as spelt in ``inventory``'s table (ARPAbet: upper case, no stress digit)."""
    return phone.upper().rstrip("012") if inventory == "arpabet" else phone


def _check_inventory(inventory: str) -> None:
    if inventory not in _VECTORS:
        raise ValueError(f"unknown inventory {inventory!r}; expected one of {INVENTORIES}")


def _readings(phone: str, inventories: Iterable[str]) -> dict[str, np.ndarray]:
    return {inv: _VECTORS[inv][_key(phone, inv)] for inv in inventories
            if _key(phone, inv) in _VECTORS[inv]}


def articulatory_vector(phone: str, inventory: str | None = None) -> np.ndarray:
    """(len(FEATURES),) float64 articulatory features of one phone label (a copy).

    ``inventory`` (one of INVENTORIES) says how to read the label; None reads it in every
    inventory and needs them to agree: ``S`` is [ʃ] in espeak but [s] in ARPAbet and ``r``
    is [ɹ] in English but [ʁ] in French, so such labels raise ValueError without one.
    Gentle suffixes (``_B``/``_I``/``_E``/``_S``) are stripped; NON_PHONES give zeros.
    Raises ValueError naming a label that no inventory (or not the one given) holds.
    """
    name = _strip_position(str(phone).strip())
    if inventory is not None:
        _check_inventory(inventory)
    if name.lower() in NON_PHONES:
        return np.zeros(len(FEATURES))
    readings = _readings(name, INVENTORIES if inventory is None else (inventory,))
    if not readings:
        where = "any of " + ", ".join(INVENTORIES) if inventory is None else inventory
        raise ValueError(f"phone {phone!r} is not in {where}; extend the _IPA table in "
                         "brainlike/features/articulatory.py")
    vectors = list(readings.values())
    if any(not np.array_equal(v, vectors[0]) for v in vectors[1:]):
        spelt = ", ".join(f"{inv} [{_IPA[inv][_key(name, inv)]}]" for inv in readings)
        raise ValueError(f"phone {phone!r} reads differently in {spelt}; pass inventory=")
    return vectors[0].copy()


def table_inventory(phones: Iterable[str]) -> str | None:
    """The first inventory that holds every label in ``phones`` (suffixes stripped,
    NON_PHONES ignored), or None when none holds them all.

    Raises ValueError when several hold them all but read some label differently (a short
    table such as ``s t r`` is English or French): pass the inventory then.
    """
    names = {_strip_position(str(p).strip()) for p in phones}
    names = {n for n in names if n.lower() not in NON_PHONES}
    holders = [inv for inv in INVENTORIES
               if all(_key(n, inv) in _VECTORS[inv] for n in names)]
    for name in sorted(names):
        vectors = list(_readings(name, holders).values())
        if any(not np.array_equal(v, vectors[0]) for v in vectors[1:]):
            raise ValueError(f"phones {sorted(names)[:8]} fit inventories {holders}, which "
                             f"read {name!r} differently; pass inventory=")
    return holders[0] if holders else None


def articulatory_frames(table: pd.DataFrame, duration_s: float, rate: float,
                        inventory: str | None = None) -> np.ndarray:
    """(ceil(duration_s * rate), len(FEATURES)) float32: each phone's vector held over its
    [onset, offset) frames, as the baselines hold theirs (a time on a frame boundary
    starts that frame). ``table`` has columns phoneme, onset, offset (seconds).

    ``inventory`` None: ``table_inventory`` of the table's phones, or each label on its own
    when no single inventory holds them all (see ``articulatory_vector``).
    """
    missing = [c for c in ("phoneme", "onset", "offset") if c not in table.columns]
    if missing:
        raise ValueError(f"phone table lacks columns {missing}; found {list(table.columns)}")
    if not duration_s > 0 or not rate > 0:
        raise ValueError(f"duration_s and rate must be positive, got {duration_s}, {rate}")
    labels = table["phoneme"].astype(str)
    if inventory is None:
        inventory = table_inventory(labels)
    vectors = {p: articulatory_vector(p, inventory) for p in pd.unique(labels)}
    codes = np.stack([vectors[p] for p in labels]) if len(table) else \
        np.zeros((0, len(FEATURES)))
    return _boxcars(table["onset"].to_numpy(float), table["offset"].to_numpy(float),
                    codes.astype(np.float32), int(np.ceil(duration_s * rate)), rate)


def articulatory_table() -> pd.DataFrame:
    """One row per (inventory, phone): columns phone, inventory, ipa, then FEATURES."""
    rows = [(phone, inv, ipa, *_VECTORS[inv][phone])
            for inv, table in _IPA.items() for phone, ipa in table.items()]
    return pd.DataFrame(rows, columns=["phone", "inventory", "ipa", *FEATURES])
