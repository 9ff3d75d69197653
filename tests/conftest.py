"""Shared test set-up: the venv's bin (datalad, git-annex) on PATH, one torch thread, and the
session's two big workflow runs (``tests.workflow.conftest.RUNS``) started in the background
with the first test, the tests that read them run last."""

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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that read a big run go last (in their order): the runs go on in the background
    while every other test runs."""
    from tests.workflow.conftest import RUNS

    uses = [any(name in item.fixturenames for name in RUNS) for item in items]
    items[:] = [i for i, u in zip(items, uses) if not u] + [i for i, u in zip(items, uses) if u]


@pytest.fixture(scope="session", autouse=True)
def _big_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The big runs the session's tests read, started with its first test."""
    from tests.workflow.conftest import RUNS, BigRuns

    needed = [name for name in RUNS
              if any(name in item.fixturenames for item in request.session.items)]
    runs = BigRuns(needed, tmp_path_factory)
    yield runs
    runs.stop()


@pytest.fixture(scope="session")
def default_world(_big_runs) -> Path:
    """The default config at full size, speech and vision in one run
    (``tests.workflow.conftest._default_world_run``)."""
    return _big_runs.wait("default_world")


@pytest.fixture(scope="session")
def small_run(_big_runs) -> Path:
    """A workflow copy run to completion on the small config (shared by the workflow tests)."""
    return _big_runs.wait("small_run")
