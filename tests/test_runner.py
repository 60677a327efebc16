"""run_overlapped: a writer thread beside the computing thread."""

from __future__ import annotations

import threading
import time

import pytest

from snorkel_ie.runner import run_overlapped


def _square(p: int, *, offset: int) -> int:
    return p * p + offset


def test_run_overlapped_writes_every_result_in_order_on_another_thread() -> None:
    seen: list[tuple[int, int, str]] = []

    def sink(p: int, result: int) -> int:
        seen.append((p, result, threading.current_thread().name))
        return -result

    out = list(run_overlapped(_square, sink, range(6), context={"offset": 1}, progress=False))
    assert out == [-(p * p + 1) for p in range(6)]
    assert [(p, r) for p, r, _ in seen] == [(p, p * p + 1) for p in range(6)]
    assert {name for _, _, name in seen} == {"snorkel-ie-writer"}


def test_run_overlapped_raises_a_writer_error_and_stops_writing() -> None:
    written: list[int] = []

    def sink(p: int, result: int) -> int:
        if p == 2:
            raise ValueError("disk full")
        written.append(p)
        return result

    with pytest.raises(ValueError, match="disk full"):
        list(run_overlapped(_square, sink, range(10), context={"offset": 0}, progress=False))
    assert written == [0, 1]


def test_run_overlapped_writes_what_was_computed_before_a_compute_error() -> None:
    written: list[int] = []

    def compute(p: int) -> int:
        if p == 3:
            raise KeyError("bad candidate")
        return p

    with pytest.raises(KeyError, match="bad candidate"):
        list(run_overlapped(compute, lambda p, r: written.append(p), range(6), progress=False))
    assert written == [0, 1, 2]


def test_run_overlapped_computes_no_more_partitions_once_the_writer_has_failed() -> None:
    computed: list[int] = []
    failed = threading.Event()

    def partitions():
        yield from (0, 1, 2)
        assert failed.wait(5), "the writer never reached partition 2"
        time.sleep(0.5)  # ordering only: the writer posts its error right after setting the event
        yield from range(3, 10)

    def compute(p: int) -> int:
        computed.append(p)
        return p

    def sink(p: int, result: int) -> int:
        if p == 2:
            failed.set()
            raise OSError("disk full")
        return result

    with pytest.raises(OSError, match="disk full"):
        list(run_overlapped(compute, sink, partitions(), progress=False))
    assert computed == [0, 1, 2]


def test_run_overlapped_raises_the_compute_error_caused_by_the_writer_error() -> None:
    release = threading.Event()

    def compute(p: int) -> int:
        if p == 1:
            assert release.wait(5)
            raise KeyError("bad candidate")
        return p

    def sink(p: int, result: int) -> int:
        release.set()
        raise OSError("disk full")

    with pytest.raises(KeyError, match="bad candidate") as info:
        list(run_overlapped(compute, sink, range(4), progress=False))
    assert isinstance(info.value.__cause__, OSError)
