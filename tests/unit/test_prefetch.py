"""The background prefetcher keeps order, re-raises errors where they happened, and stops."""

import threading

import pytest

from brainlike.training.prefetch import Prefetch


def test_prefetch_keeps_order_and_ends():
    assert list(Prefetch(iter(range(100)), depth=3)) == list(range(100))


def test_prefetch_reraises_at_the_failing_position():
    def source():
        yield 1
        yield 2
        raise OSError("shard-00001.parquet: truncated")

    it = Prefetch(source())
    assert next(it) == 1 and next(it) == 2
    with pytest.raises(OSError, match="truncated"):
        next(it)


def test_prefetch_close_stops_an_endless_source():
    def endless():
        i = 0
        while True:
            yield i
            i += 1

    it = Prefetch(endless(), depth=2)
    assert [next(it) for _ in range(5)] == [0, 1, 2, 3, 4]
    it.close()
    assert not it._thread.is_alive()
    with pytest.raises(StopIteration):
        next(it)


def test_prefetch_rejects_zero_depth():
    with pytest.raises(ValueError, match="depth"):
        Prefetch(iter([]), depth=0)


def test_prefetch_thread_is_a_daemon():
    it = Prefetch(iter(range(3)))
    assert it._thread.daemon and isinstance(it._thread, threading.Thread)
    list(it)
