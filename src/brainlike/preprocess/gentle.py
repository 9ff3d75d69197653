"""Reading word/phone alignments in Gentle's ``align.json`` format (as Narratives ships them)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from brainlike.errors import InputError

log = logging.getLogger(__name__)

POSITION_SUFFIXES = {"B", "I", "E", "S"}  # Gentle marks a phone's place in its word


def read_gentle(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(words, phonemes)`` from a Gentle alignment.

    words: columns word, onset, offset (seconds), sentence, position (-1 where unknown). phonemes: phoneme, onset, offset, word_index
    (row of ``words``); Gentle's position suffixes (_B, _I, _E, _S) are stripped. Words Gentle
    could not find in the audio have no times: they are skipped and counted in the log.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "alignment is missing (was it fetched with datalad get?)")
    try:
        doc = json.loads(path.read_text())
        entries = doc["words"]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, f"alignment is not valid JSON ({exc})") from exc
    except (KeyError, TypeError) as exc:
        raise InputError(path, "alignment has no 'words' list (not Gentle's format)") from exc
    words, phonemes, skipped = [], [], 0
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "word" not in entry:
            raise InputError(path, f"word entry {i} is malformed: {entry!r:.80}")
        timed = "start" in entry and "end" in entry
        if entry.get("case") == "success" and not timed:
            raise InputError(path, f"word {i} ({entry['word']!r}) is 'success' without times")
        if entry.get("case") != "success":  # not-found-in-audio / not-found-in-transcript
            skipped += 1
            continue
        start, end = float(entry["start"]), float(entry["end"])
        if end < start:
            raise InputError(path, f"word {i} ({entry['word']!r}) ends before it starts")
        t = start
        for phone in entry.get("phones", []):
            duration = float(phone["duration"])
            name, _, suffix = str(phone["phone"]).rpartition("_")
            name = name if suffix in POSITION_SUFFIXES and name else str(phone["phone"])
            phonemes.append({"phoneme": name, "onset": t,
                             "offset": t + duration, "word_index": len(words)})
            t += duration
        # sentence/position are not Gentle's; the simulated datasets add them, real ones lack them.
        words.append({"word": str(entry["word"]), "onset": start, "offset": end,
                      "sentence": int(entry.get("sentence", -1)),
                      "position": int(entry.get("position", -1))})
    if skipped:
        log.warning("%s: %d of %d words were not aligned and are skipped", path, skipped,
                    len(entries))
    if not words:
        raise InputError(path, "alignment holds no aligned words")
    words_df = pd.DataFrame(words, columns=["word", "onset", "offset", "sentence", "position"])
    words_df.attrs["n_not_found"] = skipped
    return words_df, pd.DataFrame(phonemes, columns=["phoneme", "onset", "offset", "word_index"])
