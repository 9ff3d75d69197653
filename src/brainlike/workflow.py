"""The glue every ``workflow_scripts/*.py`` shares: logging to the rule's log file, and
holding each job to the threads its rule declares."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def logged(log_path: str | Path | None) -> Iterator[logging.Logger]:
    """Route ``logging`` to the rule's log (and stderr) and record any error before re-raising.

    Snakemake shows the log path on failure, so the message naming the bad file must land there.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logger = logging.getLogger("brainlike")
    try:
        yield logger
    except Exception as exc:
        logger.error("%s: %s", type(exc).__name__, exc)
        raise


def use_threads(threads: int) -> None:
    """Hold torch's and the BLAS libraries' thread pools to the rule's ``threads``.

    Snakemake schedules jobs by their declared ``threads`` but does not cap what a job starts:
    left alone, torch and OpenBLAS each start one thread per core, so the jobs Snakemake runs
    side by side on a workstation would oversubscribe it many times over.
    """
    from threadpoolctl import threadpool_limits

    threads = max(1, int(threads))
    os.environ["OMP_NUM_THREADS"] = str(threads)  # for a torch imported after this call
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    threadpool_limits(limits=threads)  # stays in force: not used as a context
