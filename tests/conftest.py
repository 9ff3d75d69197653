"""Shared test set-up: the venv's bin (datalad, git-annex) on PATH and a git identity."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# `make test` puts .venv/bin first; a bare `pytest` from the venv must find datalad too.
_bin = str(Path(sys.executable).parent)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")
