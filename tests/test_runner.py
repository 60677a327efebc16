"""run_overlapped: a writer thread beside the computing thread."""

from __future__ import annotations

import threading

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
