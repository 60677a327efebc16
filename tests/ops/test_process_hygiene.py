"""A killed ``parse --parallelism 2`` leaves no worker (nor resource tracker) behind, and a re-run completes it."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import func, select

from snorkel_ie.db.engine import make_engine
from snorkel_ie.db.models import Document
from tests.ops.conftest import finish, run, start

pytestmark = pytest.mark.slow


def _children_once_working(proc: psutil.Process, n: int, timeout: float = 120) -> list[psutil.Process]:
    """The descendants of ``proc`` once ``n`` worker processes (besides the resource tracker) run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = proc.children(recursive=True)
        workers = [k for k in kids if "resource_tracker" not in " ".join(_cmdline(k))]
        if len(workers) >= n:
            time.sleep(1)  # let them import spaCy and take work
            return proc.children(recursive=True)
        time.sleep(0.2)
    raise AssertionError(f"{n} workers never started")


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def _documents_without_sentences(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(Document)).scalar_one()
            empty = conn.execute(
                select(func.count()).select_from(Document).where(~Document.sentences.any())
            ).scalar_one()
        return n, empty
    finally:
        engine.dispose()


COPIES = 6
"""The CDR training set is written this many times (distinct PMIDs): large enough to be killed mid-run."""


def _large_corpus(shared_data: Path, folder: Path) -> Path:
    """The 500 CDR training abstracts ``COPIES`` times over, copy ``k``'s PMIDs prefixed with the digit ``k``."""
    text = (shared_data / "cdr" / "CDR_TrainingSet.PubTator.txt").read_text(encoding="utf-8")
    path = folder / "large.PubTator.txt"
    copies = (re.sub(r"^(\d+)", rf"{k}\1", text.strip(), flags=re.M) for k in range(1, COPIES + 1))
    path.write_text("\n\n".join(copies) + "\n", encoding="utf-8")
    return path


def test_ops_killed_parallel_parse_leaves_no_workers(fresh_url: str, workdir: Path, shared_data: Path) -> None:
    corpus = _large_corpus(shared_data, workdir)
    args = ("parse", str(corpus), "--model", "blank:en", "--parallelism", "2", "--batch-size", "10", "--no-progress")
    proc = start(args, db_url=fresh_url, cwd=workdir)
    parent = psutil.Process(proc.pid)
    children = _children_once_working(parent, 2)
    assert proc.poll() is None, "the parse finished before it could be killed; use a larger corpus"
    proc.send_signal(signal.SIGKILL)
    finish(proc, args)
    _gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, f"still running 15 s after the parent was killed: {[_cmdline(p) for p in alive]}"
    n, empty = _documents_without_sentences(fresh_url)
    assert empty == 0  # whole documents only
    assert n < 500 * COPIES
    again = run(args, db_url=fresh_url, cwd=workdir)
    assert again.code == 0, str(again)
    assert _documents_without_sentences(fresh_url) == (500 * COPIES, 0)
