"""Shared test set-up: the venv's bin (datalad, git-annex) on PATH, one torch thread."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# `make test` puts .venv/bin first; a bare `pytest` from the venv must find datalad too.
_bin = str(Path(sys.executable).parent)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """One torch thread for the whole session: tests share 2 cores with other jobs, where
    spinning OpenMP threads slow small models several-fold, and the resume test needs the
    same thread count in both of its runs."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
