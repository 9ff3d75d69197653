"""Reading Praat TextGrid word (and phone) alignments, as Le Petit Prince ships them.

Both of Praat's text formats are read: the long one (``xmin = 0.5``, ``intervals [3]:``) and
the short one (bare values, one per line). Praat writes UTF-16 with a byte-order mark when a
label is not ASCII (French and Mandarin words) and UTF-8 otherwise; both are decoded. Without
its labels ("xmin =", "intervals [3]:"), the long format is the short one's sequence of
values, so one tokenizer reads both.

``read_textgrid`` returns the same ``(words, phonemes)`` frames as ``gentle.read_gentle``.
A file with a word tier only (Le Petit Prince's) gives an empty phonemes frame: a dataset
without phones cannot have the phoneme baseline or the phone probe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from brainlike.errors import InputError

WORD_COLUMNS = ["word", "onset", "offset", "sentence", "position"]
PHONEME_COLUMNS = ["phoneme", "onset", "offset", "word_index"]
#: Interval labels that are not words: silence, pauses, and the "#" that marks the breaks
#: between sentences in Le Petit Prince's word tiers.
NOT_WORDS = frozenset({"", "#", "sil", "sp", "<sil>"})
WORD_TIERS = ("words", "word")
PHONE_TIERS = ("phones", "phone", "phonemes", "phoneme")

_TOKEN = re.compile(r'"((?:[^"]|"")*)"|<(exists|absent)>|\[[^\]\n]*\]|'
                    r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|[A-Za-z_?][A-Za-z_?]*")


@dataclass(frozen=True)
class Tier:
    """One tier: ``intervals`` are (start, end, label); a point tier's start == end."""

    name: str
    kind: str
    intervals: list[tuple[float, float, str]]


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"TextGrid is neither UTF-16 (with BOM) nor UTF-8 ({exc})") from exc


def _tokens(text: str) -> list[str | float]:
    """Quoted strings (str), numbers (float), flags (str '<exists>'); labels dropped."""
    out: list[str | float] = []
    for m in _TOKEN.finditer(text):
        string, flag, number = m.group(1), m.group(2), m.group(3)
        if string is not None:
            out.append(string.replace('""', '"'))
        elif flag is not None:
            out.append(f"<{flag}>")
        elif number is not None:
            out.append(float(number))
    return out


def read_tiers(path: str | Path) -> list[Tier]:
    """Every tier of a TextGrid (long or short text format)."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "TextGrid is missing (was it fetched with datalad get?)")
    tokens = _tokens(_decode(path, path.read_bytes()))
    pos = 0

    def take(kind: type, what: str):  # type: ignore[no-untyped-def]
        nonlocal pos
        if pos >= len(tokens):
            raise InputError(path, f"TextGrid ends early (expected {what})")
        value = tokens[pos]
        if not isinstance(value, kind):
            raise InputError(path, f"TextGrid has {value!r} where {what} should be")
        pos += 1
        return value

    if tokens[:2] != ["ooTextFile", "TextGrid"]:
        raise InputError(path, "not a Praat TextGrid (no 'ooTextFile' / 'TextGrid' header)")
    pos = 2
    take(float, "xmin")
    take(float, "xmax")
    if take(str, "<exists>") != "<exists>":
        return []
    n_tiers = int(take(float, "the number of tiers"))
    tiers = []
    for _ in range(n_tiers):
        kind = take(str, "a tier class")
        name = take(str, "a tier name")
        take(float, "tier xmin")
        take(float, "tier xmax")
        n = int(take(float, "the number of intervals"))
        items = []
        for _ in range(n):
            if kind == "IntervalTier":
                start, end = take(float, "xmin"), take(float, "xmax")
            elif kind == "TextTier":
                start = end = take(float, "a point's time")
            else:
                raise InputError(path, f"unknown tier class {kind!r}")
            items.append((start, end, take(str, "a label")))
        tiers.append(Tier(name=name, kind=kind, intervals=items))
    return tiers


def _pick(path: Path, tiers: list[Tier], names: tuple[str, ...], required: bool) -> Tier | None:
    intervals = [t for t in tiers if t.kind == "IntervalTier"]
    named = [t for t in intervals if t.name.strip().lower() in names]
    if named:
        return named[0]
    if required and len(intervals) == 1:
        return intervals[0]  # Le Petit Prince: a single, variously named, word tier
    if required:
        raise InputError(path, f"no word tier among tiers "
                         f"{[t.name for t in tiers]} (expected one named {names[0]!r}, or "
                         "a single interval tier)")
    return None


def read_textgrid(path: str | Path, word_tier: str | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(words, phonemes)`` as ``gentle.read_gentle`` does.

    words: word, onset, offset (seconds), sentence, position (-1: a TextGrid does not say).
    phonemes: phoneme, onset, offset, word_index (row of ``words`` whose interval holds the
    phone's midpoint, -1 if none); empty when the file has no phone tier. Labels in
    ``NOT_WORDS`` (silences, sentence breaks) are not words. ``word_tier`` names the tier to
    read when the file has several.
    """
    path = Path(path)
    tiers = read_tiers(path)
    if word_tier is not None:
        chosen = [t for t in tiers if t.name == word_tier and t.kind == "IntervalTier"]
        if not chosen:
            raise InputError(path, f"no interval tier named {word_tier!r} (has "
                             f"{[t.name for t in tiers]})")
        words_tier: Tier = chosen[0]
    else:
        words_tier = _pick(path, tiers, WORD_TIERS, required=True)  # type: ignore[assignment]
    rows = []
    for start, end, label in words_tier.intervals:
        if label.strip() in NOT_WORDS:
            continue
        if end < start:
            raise InputError(path, f"word {label!r} ends ({end}) before it starts ({start})")
        rows.append((label.strip(), start, end, -1, -1))
    if not rows:
        raise InputError(path, f"tier {words_tier.name!r} holds no words")
    words = pd.DataFrame(rows, columns=WORD_COLUMNS)
    phones_tier = _pick(path, [t for t in tiers if t is not words_tier], PHONE_TIERS,
                        required=False)
    phones = []
    if phones_tier is not None:
        onsets, offsets = words["onset"].to_numpy(), words["offset"].to_numpy()
        for start, end, label in phones_tier.intervals:
            if label.strip() in NOT_WORDS:
                continue
            mid = 0.5 * (start + end)
            inside = (onsets <= mid) & (mid <= offsets)
            phones.append((label.strip(), start, end, int(inside.argmax()) if inside.any() else -1))
    return words, pd.DataFrame(phones, columns=PHONEME_COLUMNS)


def _num(x: float) -> str:
    return repr(float(x))  # float(): numpy 2 scalars repr as "np.float64(...)"


def _quote(label: str) -> str:
    return '"' + label.replace('"', '""') + '"'


def write_textgrid(path: str | Path, tiers: list[Tier], xmax: float,
                   encoding: str = "utf-8") -> None:
    """Write interval tiers in Praat's long text format (``encoding`` utf-16 adds the BOM).

    Used by the simulated Le Petit Prince layout; gaps between intervals are filled with
    empty intervals, as Praat requires a tier to cover [0, xmax].
    """
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "",
             "xmin = 0 ", f"xmax = {_num(xmax)} ", "tiers? <exists> ", f"size = {len(tiers)} ",
             "item []: "]
    for i, tier in enumerate(tiers, 1):
        filled: list[tuple[float, float, str]] = []
        t = 0.0
        for start, end, label in sorted(tier.intervals):
            start, end = float(start), float(end)
            if start > t:
                filled.append((t, start, ""))
            filled.append((start, end, label))
            t = end
        if t < xmax:
            filled.append((t, xmax, ""))
        lines += [f"    item [{i}]:", '        class = "IntervalTier" ',
                  f"        name = {_quote(tier.name)} ", "        xmin = 0 ",
                  f"        xmax = {_num(xmax)} ", f"        intervals: size = {len(filled)} "]
        for k, (start, end, label) in enumerate(filled, 1):
            lines += [f"        intervals [{k}]:", f"            xmin = {_num(start)} ",
                      f"            xmax = {_num(end)} ", f"            text = {_quote(label)} "]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines) + "\n", encoding=encoding)
