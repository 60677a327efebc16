"""Run a per-partition job serially, in local worker processes, or on a Dask cluster.

A job is a picklable, module-level function ``fn(partition, **context)`` applied to
each item of ``partitions``; each call should be one database transaction (so a
partition either lands whole or not at all, and a re-run can skip what landed).
Results are yielded as partitions finish, under a tqdm progress bar.

Workers never receive a session or an engine: they get a database URL (in
``context``) and open their own connection.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from tqdm.auto import tqdm

from snorkel_ie.errors import ConfigurationError

P = TypeVar("P")
R = TypeVar("R")


def _worker_init() -> None:
    # A worker must not reuse connections inherited from its parent.
    from snorkel_ie.db.engine import dispose_engines

    dispose_engines()


def run_partitions(
    fn: Callable[..., R],
    partitions: Sequence[P],
    *,
    parallelism: int = 1,
    client: Any = None,
    context: dict[str, Any] | None = None,
    progress: bool = True,
    desc: str = "partitions",
    unit: str = "partition",
    weight: Callable[[P], int] | None = None,
) -> Iterator[R]:
    """Apply ``fn(partition, **context)`` to every partition; yield results as they finish.

    Parameters
    ----------
    fn
        A module-level function (it is pickled to worker processes).
    partitions
        The work items, e.g. lists of document ids.
    parallelism
        Number of local worker processes; 1 runs in this process.
    client
        A ``dask.distributed.Client``: partitions go to its cluster instead.
    context
        Keyword arguments passed to every call (e.g. ``db_url``).
    progress, desc, unit
        The tqdm progress bar.
    weight
        Progress units per partition (e.g. its number of documents); default 1.
    """
    context = context or {}
    if parallelism < 1:
        raise ConfigurationError(f"parallelism must be at least 1; got {parallelism}")
    weigh = weight or (lambda _p: 1)
    total = sum(weigh(p) for p in partitions)
    with tqdm(total=total, desc=desc, unit=unit, disable=not progress, dynamic_ncols=True) as bar:
        if client is not None:
            yield from _run_dask(fn, partitions, client, context, bar, weigh)
        elif parallelism == 1 or len(partitions) <= 1:
            for p in partitions:
                result = fn(p, **context)
                bar.update(weigh(p))
                yield result
        else:
            yield from _run_processes(fn, partitions, parallelism, context, bar, weigh)


def _run_processes(fn, partitions, parallelism, context, bar, weigh) -> Iterator[Any]:
    # "spawn" keeps workers free of the parent's threads (numba, TensorFlow, tqdm), which
    # a fork can deadlock on; the import cost is paid once per worker.
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(max_workers=parallelism, mp_context=ctx, initializer=_worker_init) as pool:
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

    futures = {client.submit(fn, p, pure=False, **context): p for p in partitions}
    for fut in as_completed(list(futures)):
        bar.update(weigh(futures[fut]))
        yield fut.result()


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
