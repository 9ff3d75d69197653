"""Acquisition through real DataLad and git-annex: clone, selective get, manifest, failures."""

from __future__ import annotations

import contextlib
import functools
import http.server
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

from brainlike.acquire import AcquisitionError, acquire
from brainlike.errors import InputError
from brainlike.simulate.publish import publish


def _build(root: Path) -> dict:
    rng = np.random.default_rng(0)
    (root / "stimuli").mkdir()
    (root / "stimuli" / "a.bin").write_bytes(rng.bytes(50_000))
    (root / "stimuli" / "b.bin").write_bytes(rng.bytes(50_000))
    (root / "participants.tsv").write_text("participant_id\nsub-001\n")
    return {"files": 3}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("src")
    publish(str(base / "ds"), base / "ds.json", _build)
    return base / "ds"


def _git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_published_dataset_annexes_large_files_and_keeps_tables_in_git(source: Path) -> None:
    annexed = _git(source, "annex", "find", "--include=*")
    assert "stimuli/a.bin" in annexed and "participants.tsv" not in annexed
    assert (source / "participants.tsv").read_text().startswith("participant_id")


def test_acquire_gets_only_selected_content(source: Path, tmp_path: Path) -> None:
    dest = tmp_path / "raw" / "ds"
    manifest = acquire(str(source), dest, ["stimuli/a.bin", "participants.tsv"])
    assert (dest / "stimuli" / "a.bin").read_bytes() == (source / "stimuli" / "a.bin").read_bytes()
    # b.bin is in the tree (a symlink into the annex) but its content was not fetched.
    assert (dest / "stimuli" / "b.bin").is_symlink() and not (dest / "stimuli" / "b.bin").exists()
    assert Path(_git(dest, "remote", "get-url", "origin")).resolve() == source.resolve()
    status = subprocess.run(["datalad", "status"], cwd=dest, capture_output=True, text=True)
    assert status.returncode == 0 and "clean" in status.stdout
    files = {f["path"]: f for f in manifest["files"]}
    assert set(files) == {"stimuli/a.bin", "participants.tsv"}
    assert files["stimuli/a.bin"]["annex_key"].startswith("MD5E-s50000--")
    assert files["participants.tsv"]["annex_key"] is None
    assert manifest["commit"] == _git(source, "rev-parse", "HEAD")
    assert manifest["dataset_id"] == _git(source, "config", "-f", ".datalad/config",
                                          "datalad.dataset.id")


def test_unreachable_url_names_it_and_leaves_nothing(tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/no-such-dataset"  # port 9 (discard): refused at once
    with pytest.raises(AcquisitionError, match="127.0.0.1:9/no-such-dataset"):
        acquire(url, tmp_path / "raw" / "ds", ["participants.tsv"])
    assert list((tmp_path / "raw").iterdir()) == []


def test_missing_local_source_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nowhere"):
        acquire(str(tmp_path / "nowhere"), tmp_path / "raw" / "ds", ["x"])


def test_missing_selected_file_fails_cleanly(source: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="sub-999"):
        acquire(str(source), tmp_path / "raw" / "ds", ["sub-999/func/x.gii"])
    assert not (tmp_path / "raw" / "ds").exists()
    assert list((tmp_path / "raw").iterdir()) == []


@contextlib.contextmanager
def _serve(directory: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *a: None  # type: ignore[assignment]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_acquire_over_http_like_a_remote(source: Path, tmp_path: Path) -> None:
    with _serve(source.parent) as base:
        url = f"{base}/{source.name}"
        manifest = acquire(url, tmp_path / "ds", ["stimuli/b.bin"])
    assert manifest["source"] == url
    assert (tmp_path / "ds" / "stimuli" / "b.bin").read_bytes() == \
        (source / "stimuli" / "b.bin").read_bytes()


def test_a_pinned_version_is_checked_out_and_a_missing_one_named(tmp_path: Path) -> None:
    base = tmp_path / "src"
    publish(str(base / "ds"), base / "ds.json", _build)
    ds = base / "ds"
    first = _git(ds, "rev-parse", "HEAD")
    (ds / "participants.tsv").write_text("participant_id\nsub-001\nsub-002\n")
    _git(ds, "commit", "-qam", "add a listener")
    manifest = acquire(str(ds), tmp_path / "old", ["participants.tsv"], version=first)
    assert manifest["commit"] == first
    assert (tmp_path / "old" / "participants.tsv").read_text().count("sub-") == 1
    assert acquire(str(ds), tmp_path / "new", ["participants.tsv"])["commit"] != first
    with pytest.raises(InputError, match="no commit, tag or branch 'v9'") as err:
        acquire(str(ds), tmp_path / "bad", ["participants.tsv"], version="v9")
    assert str(ds) in str(err.value) and not (tmp_path / "bad").exists()


def test_the_plan_keys_a_local_source_to_its_commit(tmp_path: Path) -> None:
    from brainlike.plan import Plan

    base = tmp_path / "src"
    publish(str(base / "ds"), base / "ds.json", _build)
    ds = base / "ds"
    config = {"listening": {"real": {"source": str(ds), "subjects": ["sub-001"],
                                     "tasks": ["a"]}},
              "corpora": {}, "models": {}, "baselines": [], "probe": {"enabled": False},
              "targets": {"listening": ["real"], "corpora": [], "models": []}}
    before = Plan.from_config(config).source_version("real")
    assert before == _git(ds, "rev-parse", "HEAD")
    (ds / "participants.tsv").write_text("participant_id\nsub-002\n")
    _git(ds, "commit", "-qam", "change")
    assert Plan.from_config(config).source_version("real") not in ("", before)
    config["listening"]["real"]["version"] = "v1.0"
    assert Plan.from_config(config).source_version("real") == "v1.0"
