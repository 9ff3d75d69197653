"""Where a result came from: a ``<result>.provenance.json`` beside every result file.

Each names the config (sha256 of the validated config with its defaults), the code (the git
commit of the brainlike package, ``-dirty`` with uncommitted changes), the DataLad dataset id
and commit of every dataset, corpus and atlas the result was computed from (their acquisition
manifests), and the sha256 of every model checkpoint it read. ``collect`` gathers the sidecars
into ``results/provenance.json``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from brainlike.io.atomic import write_json

SUFFIX = ".provenance.json"


@dataclass(frozen=True)
class Sources:
    """What a job's results were computed from: filled in by the plan at parse time."""

    config_sha256: str
    code_commit: str
    manifests: tuple[str, ...]
    checkpoints: tuple[tuple[str, str], ...]  # (model, model.pt)


def config_sha256(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


@functools.cache
def code_commit() -> str:
    """The commit of the checkout the brainlike package runs from ("unknown" outside git)."""
    here = Path(__file__).resolve().parent

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(here), *args], text=True, capture_output=True,
                              check=False)

    head = git("rev-parse", "HEAD")
    if head.returncode != 0:
        return "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".").stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def record(sources: Sources) -> dict:
    """The provenance of a job's results, read from its manifests and checkpoints."""
    datasets = []
    for path in sources.manifests:
        manifest = json.loads(Path(path).read_text())
        datasets.append({"manifest": path, "source": manifest["source"],
                         "dataset_id": manifest["dataset_id"], "commit": manifest["commit"]})
    return {"config_sha256": sources.config_sha256, "code_commit": sources.code_commit,
            "datasets": datasets,
            "checkpoints": [{"model": m, "path": p, "sha256": file_sha256(p)}
                            for m, p in sources.checkpoints]}


def stamp(outputs: Iterable[str | Path], sources: Sources) -> dict:
    """Write the sidecar of every output (a directory's goes beside it); return the record."""
    rec = record(sources)
    for out in outputs:
        write_json(str(Path(out)) + SUFFIX, {"result": str(out), **rec})
    return rec


def collect(results: Iterable[str | Path], out: str | Path) -> dict:
    """results/provenance.json: every result's sidecar, keyed by the result's path."""
    table = {}
    for path in results:
        sidecar = Path(str(path) + SUFFIX)
        if not sidecar.exists():
            raise FileNotFoundError(f"{path}: no provenance sidecar ({sidecar.name})")
        table[str(path)] = json.loads(sidecar.read_text())
    write_json(out, table)
    return table
