"""A small Dask cluster of worker processes, shared by the tests of this folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.distributed.jobs import KILL_DIR_ENV

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def kill_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The marker folder of :func:`tests.distributed.jobs.kill_worker_once`, seen by the workers."""
    folder = tmp_path_factory.mktemp("kill-markers")
    old = os.environ.get(KILL_DIR_ENV)
    os.environ[KILL_DIR_ENV] = str(folder)  # inherited by the worker processes started after this
    yield folder
    if old is None:
        os.environ.pop(KILL_DIR_ENV, None)
    else:
        os.environ[KILL_DIR_ENV] = old


@pytest.fixture(scope="module")
def client(kill_dir: Path) -> Iterator[distributed.Client]:
    """A client of a ``LocalCluster`` with two single-threaded worker processes (no dashboard)."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c
