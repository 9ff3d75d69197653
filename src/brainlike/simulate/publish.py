"""Publish a generated tree as a DataLad dataset at its configured source location.

The generated datasets stand in for remote ones (OpenNeuro, DANDI): the workflow clones
from them through the same acquisition rule, so they must be real DataLad datasets with the
large files in git-annex, and servable over plain HTTP like a published dataset.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from brainlike.acquire import is_local
from brainlike.io.atomic import atomic_directory, write_json

log = logging.getLogger(__name__)

# Tables and JSON sidecars stay in git (diffable, always present after a clone); audio and
# GIfTI data go to git-annex so a clone fetches only what a configuration selects.
GITATTRIBUTES = """\
* annex.largefiles=(largerthan=16kb)
*.tsv annex.largefiles=nothing
*.json annex.largefiles=nothing
*.md annex.largefiles=nothing
"""


def _run(cmd: list[str], cwd: Path) -> str:
    proc = subprocess.run(cmd, cwd=cwd, text=True, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed in {cwd} (exit {proc.returncode}): "
                           f"{(proc.stderr or proc.stdout).strip()[-800:]}")
    return proc.stdout


def make_dataset(root: Path, message: str) -> dict:
    """Turn the tree at ``root`` into a saved DataLad dataset; return its id and commit."""
    root = root.resolve()
    _run(["datalad", "create", "--force", str(root)], cwd=root.parent)
    with (root / ".gitattributes").open("a") as f:
        f.write(GITATTRIBUTES)
    _run(["datalad", "save", "-d", str(root), "-m", message], cwd=root)
    # Dumb-HTTP clients (python -m http.server, any static web host) need the refs listed.
    _run(["git", "update-server-info"], cwd=root)
    commit = _run(["git", "rev-parse", "HEAD"], cwd=root).strip()
    dataset_id = _run(["git", "config", "-f", ".datalad/config", "--get",
                       "datalad.dataset.id"], cwd=root).strip()
    return {"commit": commit, "dataset_id": dataset_id}


def publish(source: str, record: str | Path, build: Callable[[Path], dict]) -> dict:
    """Build a tree with ``build(root)`` and publish it as a DataLad dataset at ``source``.

    ``build`` returns a summary (counts, durations) kept in the publication ``record``.
    Nothing appears at ``source`` unless generation and saving both succeed.
    """
    if not is_local(source):
        raise ValueError(f"a simulated dataset is published to a local path, not {source!r}")
    start = time.perf_counter()
    with atomic_directory(source) as root:
        summary = build(root)
        ids = make_dataset(root, "Generate simulated dataset")
    result = {"source": source, **ids, "summary": summary,
              "seconds": round(time.perf_counter() - start, 2)}
    write_json(record, result)
    log.info("published %s at commit %s in %.1f s", source, ids["commit"], result["seconds"])
    return result
