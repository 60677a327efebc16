"""Run a per-partition job serially, in local worker processes, or on a Dask cluster.

A job is a picklable, module-level function ``fn(partition, **context)`` applied to
each item of ``partitions``; each call should be one database transaction (so a
partition either lands whole or not at all, and a re-run can skip what landed).
Results are yielded as partitions finish, under a tqdm progress bar.

Workers never receive a session or an engine: they get a database URL (in
``context``) and open their own connection. On a Dask cluster a partition may run
twice (a lost worker's tasks are run again elsewhere), so every job must be
idempotent: running a partition again leaves the same rows.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from tqdm.auto import tqdm

from snorkel_ie.errors import ConfigurationError

__all__ = ["check_cluster_url", "chunk", "connect_scheduler", "run_overlapped", "run_partitions"]

P = TypeVar("P")
R = TypeVar("R")
logger = logging.getLogger(__name__)


def _worker_init(parent_pid: int | None = None) -> None:
    # A worker must not reuse connections inherited from its parent.
    from snorkel_ie.db.engine import dispose_engines

    dispose_engines()
    if parent_pid is not None:
        _die_with_parent(parent_pid)


PARENT_POLL_SECONDS = 0.5
"""How often a worker process checks that the process that started it is still alive."""


def _die_with_parent(parent_pid: int) -> None:
    """End this worker when its parent dies, even by SIGKILL (which runs no cleanup in the parent).

    Linux sends the death signal of ``prctl(PR_SET_PDEATHSIG)`` at once; everywhere a daemon
    thread also polls ``os.getppid()`` (a dead parent's children are re-parented). A worker
    killed inside a transaction leaves nothing: the database rolls the transaction back.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the watchdog thread remains
            pass
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="snorkel-ie-parent-watch", daemon=True).start()


_PR_SET_PDEATHSIG = 1


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent_pid:
            os._exit(1)


def run_partitions(
    fn: Callable[..., R],
    partitions: Iterable[P],
    *,
    parallelism: int = 1,
    client: Any = None,
    context: dict[str, Any] | None = None,
    progress: bool = True,
    desc: str = "partitions",
    unit: str = "partition",
    weight: Callable[[P], int] | None = None,
    total: int | None = None,
) -> Iterator[R]:
    """Apply ``fn(partition, **context)`` to every partition; yield results as they finish.

    Parameters
    ----------
    fn
        A module-level function (it is pickled to worker processes).
    partitions
        The work items, e.g. lists of document ids; an iterator is consumed lazily
        (a bounded number of partitions is in flight at any time).
    parallelism
        Number of local worker processes; 1 runs in this process.
    client
        A ``dask.distributed.Client``: partitions go to its cluster instead. Progress
        is still reported here, as partitions complete.
    context
        Keyword arguments passed to every call (e.g. ``db_url``).
    progress, desc, unit
        The tqdm progress bar.
    weight
        Progress units per partition (e.g. its number of documents); default 1.
    total
        Progress units in all; default: summed over ``partitions`` when it has a length.
    """
    context = context or {}
    if parallelism < 1:
        raise ConfigurationError(f"parallelism must be at least 1; got {parallelism}")
    weigh = weight or (lambda _p: 1)
    if total is None and isinstance(partitions, Sized):
        total = sum(weigh(p) for p in partitions)
    with tqdm(total=total, desc=desc, unit=unit, disable=not progress, dynamic_ncols=True) as bar:
        if client is not None:
            yield from _run_dask(fn, partitions, client, context, bar, weigh)
        elif parallelism == 1 or (isinstance(partitions, Sized) and len(partitions) <= 1):
            for p in partitions:
                result = fn(p, **context)
                bar.update(weigh(p))
                yield result
        else:
            yield from _run_processes(fn, partitions, parallelism, context, bar, weigh)


_STOP = object()


def run_overlapped(
    fn: Callable[..., R],
    sink: Callable[[P, R], Any],
    partitions: Iterable[P],
    *,
    context: dict[str, Any] | None = None,
    progress: bool = True,
    desc: str = "partitions",
    unit: str = "partition",
    weight: Callable[[P], int] | None = None,
    total: int | None = None,
) -> Iterator[Any]:
    """Compute ``fn(p, **context)`` in this thread and hand each result to ``sink(p, result)`` on a writer thread.

    The writer works on partition *i* while this thread computes partition *i + 1*:
    with a sink that spends its time where the GIL is released (a COPY waiting on the
    server, one long SQLite statement), the run takes about the longer of the two
    phases instead of their sum. At most three results are in memory at once (one being
    written, one queued, one just computed). Yields what ``sink`` returns, in partition
    order; the progress bar counts written partitions. An error in either thread stops
    the run and is raised here after the writer has finished the partition it was on
    (each write is a transaction of its own: it lands whole or not at all); a writer's
    error is noticed before the next partition is computed. The partitions computed
    before an error in ``fn`` are still written, as they were in a serial run; when both
    threads fail, ``fn``'s error is raised with the writer's as its ``__cause__``.
    Partitions after the failing one are left unwritten: a re-run writes them.
    """
    context = context or {}
    weigh = weight or (lambda _p: 1)
    if total is None and isinstance(partitions, Sized):
        total = sum(weigh(p) for p in partitions)
    todo: queue.Queue = queue.Queue(maxsize=1)
    done: queue.Queue = queue.Queue()
    thread = threading.Thread(target=_write_loop, args=(sink, todo, done), name="snorkel-ie-writer", daemon=True)
    with tqdm(total=total, desc=desc, unit=unit, disable=not progress, dynamic_ncols=True) as bar:
        thread.start()
        try:
            for p in partitions:
                yield from _written(done, bar, weigh)  # a writer's error stops the run before more LF calls
                result = fn(p, **context)
                yield from _written(done, bar, weigh)
                todo.put((p, result))
        except BaseException as err:
            _join(todo, thread)
            writer_error = _first_error(done)
            if writer_error is not None and writer_error is not err:
                raise err from writer_error
            raise
        _join(todo, thread)
        yield from _written(done, bar, weigh)


def _join(todo: queue.Queue, thread: threading.Thread) -> None:
    """Tell the writer to stop and wait for it, even through a second Ctrl-C.

    Returning while the writer still runs would let a new job (after the job lock is
    released) race with a write of this one.
    """
    todo.put(_STOP)
    while thread.is_alive():
        try:
            thread.join()
        except KeyboardInterrupt:
            logger.warning("waiting for the writer to finish the partition it is writing")



def _first_error(done: queue.Queue) -> BaseException | None:
    """The writer's error, if it failed (the results before it are dropped: the run is failing)."""
    while True:
        try:
            _p, _out, err = done.get_nowait()
        except queue.Empty:
            return None
        if err is not None:
            return err


def _write_loop(sink: Callable[[Any, Any], Any], todo: queue.Queue, done: queue.Queue) -> None:
    """The writer thread: sink every queued result until told to stop; after an error, only drain the queue."""
    failed = False
    while (item := todo.get()) is not _STOP:
        if failed:
            continue
        p, result = item
        try:
            done.put((p, sink(p, result), None))
        except BaseException as err:  # raised in the caller's thread by _written
            failed = True
            done.put((p, None, err))


def _written(done: queue.Queue, bar: Any, weigh: Callable[[Any], int]) -> Iterator[Any]:
    """Yield what the writer finished so far (without waiting); raise the writer's error."""
    while True:
        try:
            p, out, err = done.get_nowait()
        except queue.Empty:
            return
        if err is not None:
            raise err
        bar.update(weigh(p))
        yield out


def _run_processes(fn, partitions, parallelism, context, bar, weigh) -> Iterator[Any]:
    # "spawn" keeps workers free of the parent's threads (numba, TensorFlow, tqdm), which
    # a fork can deadlock on; the import cost is paid once per worker.
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=parallelism, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),)
    ) as pool:
        pending: dict[Future, Any] = {}
        todo = iter(partitions)
        # Keep a bounded number of partitions in flight so results stream back in order of completion.
        for p in _take(todo, 2 * parallelism):
            pending[pool.submit(fn, p, **context)] = p
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                p = pending.pop(fut)
                bar.update(weigh(p))
                yield fut.result()
                for nxt in _take(todo, 1):
                    pending[pool.submit(fn, nxt, **context)] = nxt


def _run_dask(fn, partitions, client, context, bar, weigh) -> Iterator[Any]:
    from dask.distributed import as_completed

    # Two partitions per worker thread in flight: the cluster stays busy while the
    # client holds only a window of the (possibly streamed) partitions.
    window = max(2, 2 * sum(client.nthreads().values()))
    todo = iter(partitions)
    pending = {client.submit(fn, p, pure=False, **context): p for p in _take(todo, window)}
    ready = as_completed(list(pending))
    try:
        for fut in ready:
            p = pending.pop(fut)
            result = fut.result()  # a lost worker's partition was already re-run by the scheduler
            bar.update(weigh(p))
            for nxt in _take(todo, 1):
                new = client.submit(fn, nxt, pure=False, **context)
                pending[new] = nxt
                ready.add(new)
            yield result
    finally:
        if pending:  # an error, or the caller stopped early: do not leave work running on the cluster
            client.cancel(list(pending))


def check_cluster_url(url: Any) -> None:
    """Refuse a database a cluster cannot share (SQLite); the URL is shown without its password.

    Raises
    ------
    ConfigurationError
        ``url`` points at SQLite.
    """
    from snorkel_ie.db.engine import is_sqlite, safe_url

    if is_sqlite(url):
        raise ConfigurationError(
            f"a Dask cluster cannot write to the SQLite database {safe_url(url)}: its workers run on other "
            "processes or machines and need a database server. Use PostgreSQL, e.g. "
            "SNORKELDB=postgresql://user:password@dbhost:5432/snorkel (see docker-compose.yml), "
            "or run without client= / --scheduler"
        )


def connect_scheduler(address: str) -> Any:
    """A ``dask.distributed.Client`` connected to the scheduler at ``address`` (e.g. ``tcp://host:8786``).

    Raises
    ------
    ConfigurationError
        Dask is not installed, or the scheduler cannot be reached.
    """
    try:
        from dask.distributed import Client
    except ImportError as err:
        raise ConfigurationError("--scheduler needs Dask: pip install 'snorkel-ie[dask]'") from err
    try:
        return Client(address, timeout="20s")
    except (OSError, TimeoutError) as err:
        raise ConfigurationError(f"cannot reach the Dask scheduler at {address}: {err}") from err


def _take(it: Iterator[P], n: int) -> list[P]:
    out = []
    for _ in range(n):
        try:
            out.append(next(it))
        except StopIteration:
            break
    return out


def chunk(items: Iterable[P], size: int) -> Iterator[list[P]]:
    """Split ``items`` into lists of at most ``size``."""
    batch: list[P] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
