"""Prepare the next batches in a background thread while the model trains on this one.

Reading and decoding a Parquet row group releases the GIL, so a thread hides it behind the
training step without the start-up cost and memory of DataLoader worker processes. The order
of the wrapped iterator is kept, so training stays deterministic.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Raised:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Prefetch(Iterator[T]):
    """Iterate ``source`` ``depth`` items ahead in a daemon thread.

    An exception raised by ``source`` is re-raised by ``__next__`` in the consumer, at the
    position where it happened. ``close()`` stops the thread (it is also a daemon, so an
    abandoned prefetcher never keeps the interpreter alive).
    """

    def __init__(self, source: Iterator[T], depth: int = 4) -> None:
        if depth < 1:
            raise ValueError(f"depth must be >= 1, found {depth}")
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(source,), daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, source: Iterator[T]) -> None:
        try:
            for item in source:
                if not self._put(item):
                    return
        except BaseException as err:  # handed to the consumer, raised where it reads
            self._put(_Raised(err))
            return
        self._put(_DONE)

    def __next__(self) -> T:
        if self._stop.is_set():
            raise StopIteration
        item = self._queue.get()
        if item is _DONE:
            self._stop.set()
            raise StopIteration
        if isinstance(item, _Raised):
            self._stop.set()
            raise item.error
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def __del__(self) -> None:
        stop = getattr(self, "_stop", None)  # absent when __init__ raised
        if stop is not None:
            stop.set()
