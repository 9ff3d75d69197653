"""Acquisition through DataLad: the only way data enters the workflow.

``acquire`` clones a dataset (a URL, a DataLad shortcut such as ``///labs/hasson/narratives``
or a local path), fetches only the files a configuration selects, and returns a manifest
(dataset id and commit, and for every file its annex key) so that a result can name exactly
which bytes it was computed from.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

from brainlike.errors import InputError
from brainlike.io.atomic import atomic_directory

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class AcquisitionError(RuntimeError):
    """DataLad could not clone or fetch; the message names the source."""


def _env_for(source: str) -> dict[str, str]:
    env = dict(os.environ)
    # git-annex refuses loopback addresses unless told; a local test server needs them.
    if urlparse(source).hostname in LOOPBACK_HOSTS:
        n = int(env.get("GIT_CONFIG_COUNT", "0"))
        env[f"GIT_CONFIG_KEY_{n}"] = "annex.security.allowed-ip-addresses"
        env[f"GIT_CONFIG_VALUE_{n}"] = "all"
        env["GIT_CONFIG_COUNT"] = str(n + 1)
    return env


def _run(cmd: Sequence[str], source: str, cwd: Path | None = None) -> str:
    log.info("$ %s", " ".join(cmd))
    proc = subprocess.run(list(cmd), cwd=cwd, env=_env_for(source), text=True,
                          capture_output=True, check=False)
    if proc.stdout.strip():
        log.info(proc.stdout.strip())
    if proc.stderr.strip():
        log.info(proc.stderr.strip())
    if proc.returncode != 0:
        raise AcquisitionError(
            f"{cmd[0]} {cmd[1]} failed for source {source!r} (exit {proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()[-800:]}")
    return proc.stdout


def is_local(source: str) -> bool:
    """True for a local path; False for a URL, an scp-like host:path or a DataLad shortcut."""
    return "://" not in source and not source.startswith("///") and ":" not in source.split("/")[0]


def local_commit(source: str) -> str:
    """The commit a local dataset is at, or "" where there is none to read (a typo'd path is
    reported by acquisition, which names it)."""
    proc = subprocess.run(["git", "-C", source, "rev-parse", "--verify", "--quiet", "HEAD"],
                          text=True, capture_output=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def check_source(source: str) -> None:
    """Fail early with a clear message for a local source that is not a dataset."""
    if is_local(source):
        path = Path(source)
        if not (path / ".git").exists():
            raise InputError(source, "dataset source is not a DataLad/git dataset "
                             "(no such directory or no .git in it)")


def _manifest(clone: Path, source: str, paths: Sequence[str]) -> dict:
    commit = _run(["git", "rev-parse", "HEAD"], source, cwd=clone).strip()
    dataset_id = _run(["git", "config", "-f", ".datalad/config", "--get", "datalad.dataset.id"],
                      source, cwd=clone).strip()
    annexed: dict[str, dict] = {}
    out = _run(["git", "annex", "find", "--include=*",
                "--format=${file}\\t${key}\\t${bytesize}\\n", "--", *paths], source, cwd=clone)
    for line in out.splitlines():
        file, key, size = line.split("\t")
        annexed[file] = {"annex_key": key, "bytes": int(size)}
    files = []
    tracked = _run(["git", "ls-files", "-s", "--", *paths], source, cwd=clone)
    for line in tracked.splitlines():
        meta, file = line.split("\t", 1)
        entry = {"path": file, "git_blob": meta.split()[1]}
        entry.update(annexed.get(file, {"annex_key": None,
                                        "bytes": (clone / file).stat().st_size}))
        entry["present"] = (clone / file).exists()
        files.append(entry)
    return {"source": source, "dataset_id": dataset_id, "commit": commit, "files": files}


def _checkout(clone: Path, source: str, version: str) -> None:
    found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{version}^{{commit}}"],
                           cwd=clone, text=True, capture_output=True, check=False)
    if found.returncode != 0:
        raise InputError(source, f"the dataset has no commit, tag or branch {version!r} "
                         "(the configured `version`)")
    _run(["git", "checkout", "--quiet", "--detach", found.stdout.strip()], source, cwd=clone)


def acquire(source: str, dest: str | Path, paths: Sequence[str],
            version: str | None = None) -> dict:
    """Clone ``source`` into ``dest`` and ``datalad get`` only ``paths``; return the manifest.

    version: a commit, tag or branch to check out before getting (None: the source's HEAD).

    The clone is made in a temporary directory beside ``dest`` and renamed only once every
    selected file is present, so a failure never leaves a half-cloned dataset under ``dest``.
    paths: file or directory paths relative to the dataset root.
    """
    if not paths:
        raise ValueError("acquire needs at least one path to get")
    check_source(source)
    # A relative local path is resolved now: the clone's origin then works from anywhere.
    clone_source = str(Path(source).resolve()) if is_local(source) else source
    dest = Path(dest)
    with atomic_directory(dest) as tmp:
        _run(["datalad", "clone", clone_source, str(tmp)], source)
        if version:
            _checkout(tmp, source, version)
        missing = [p for p in paths if not os.path.lexists(tmp / p)]
        if missing:
            raise InputError(source, f"the dataset has no {missing[:5]}"
                             f"{' and more' if len(missing) > 5 else ''} "
                             "(check subjects/tasks in the config)")
        _run(["datalad", "get", "-d", ".", "--", *paths], source, cwd=tmp)
        # Snakemake stamps directory outputs; keep its marker out of the clone's status.
        with (tmp / ".git" / "info" / "exclude").open("a") as f:
            f.write(".snakemake_timestamp\n")
        manifest = _manifest(tmp, source, paths)
        absent = [f["path"] for f in manifest["files"] if not f["present"]]
        if absent:
            raise AcquisitionError(f"{source}: content missing after get: {absent[:5]}")
    return manifest
