"""Training corpora to sharded Parquet: ``<collection>/<speaker>/<chapter>.wav`` (+ alignment).

Shards hold about ``shard_minutes`` of audio each and are written in row groups of a few
chapters, so a streaming reader holds one row group in memory, never a shard or the corpus.
"""

from __future__ import annotations

import logging
from pathlib import Path

from brainlike.plan.datasets import Corpus
from brainlike.errors import InputError
from brainlike.io.atomic import atomic_directory, write_json
from brainlike.io.schemas import write_table
from brainlike.preprocess.gentle import read_gentle
from brainlike.preprocess.utterances import load_row, rows_to_table

log = logging.getLogger(__name__)

ALIGNMENT_SUFFIX = ".align.json"


def chapters(root: Path, collection: str) -> list[Path]:
    """The collection's WAV files, in a stable order (speaker, then chapter)."""
    folder = root / collection
    if not folder.is_dir():
        raise InputError(folder, "corpus collection folder is missing")
    wavs = sorted(folder.glob("*/*.wav"))
    if not wavs:
        raise InputError(folder, "corpus collection holds no <speaker>/<chapter>.wav files")
    return wavs


def build_shards(corpus: Corpus, root: Path, collection: str, out: Path) -> dict:
    """Write ``out/shard-NNNNN.parquet`` files and ``out/index.json``; return the index."""
    index: dict = {"corpus": corpus.name, "collection": collection,
                   "sample_rate": corpus.sample_rate, "shards": []}
    limit = corpus.shard_minutes * 60 * corpus.sample_rate
    with atomic_directory(out) as tmp:
        rows: list[dict] = []

        def flush() -> None:
            name = f"shard-{len(index['shards']):05d}.parquet"
            write_table(rows_to_table(rows), tmp / name, "utterance/1",
                        row_group_size=corpus.row_group_chapters)
            seconds = sum(r["n_samples"] for r in rows) / corpus.sample_rate
            index["shards"].append({"file": name, "rows": len(rows), "seconds": seconds})
            log.info("%s: %d chapters, %.1f min", name, len(rows), seconds / 60)
            rows.clear()

        for wav in chapters(root, collection):
            align = wav.with_name(wav.stem + ALIGNMENT_SUFFIX)
            words, phonemes = read_gentle(align) if align.exists() else (None, None)
            rows.append(load_row(wav, utt_id=wav.stem, collection=collection,
                                 speaker=wav.parent.name, sample_rate=corpus.sample_rate,
                                 words=words, phonemes=phonemes))
            if sum(r["n_samples"] for r in rows) >= limit:
                flush()
        if rows:
            flush()
        index["seconds"] = sum(s["seconds"] for s in index["shards"])
        write_json(tmp / "index.json", index)
    return index
