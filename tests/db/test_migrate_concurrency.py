"""Several processes opening one new database at the same moment must all succeed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect

from snorkel_ie.db.engine import make_engine
from snorkel_ie.db.migrate import current_revision, head_revision
from tests.db.conftest import wipe

PROCESSES = 4
TRIALS = 3

# Each child imports everything and reads the migration head first, reports that it is
# ready, then waits for the start file so that all of them open the database together.
_CHILD = """
import sys, time
from pathlib import Path
from snorkel_ie.db.migrate import head_revision
from snorkel_ie.db.models import Document
from snorkel_ie.db.session import SnorkelSession
head_revision()
url, ready, start = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
ready.touch()
deadline = time.monotonic() + 60
while not start.exists():
    if time.monotonic() > deadline:
        sys.exit("the start file never appeared")
    time.sleep(0.001)
session = SnorkelSession(url)
print(session.query(Document).count())
session.close()
"""


def _open_together(url: str, folder: Path) -> list[subprocess.CompletedProcess]:
    """Start ``PROCESSES`` children, release them at once, and wait for all of them."""
    folder.mkdir(parents=True)
    start = folder / "start"
    readies = [folder / f"ready-{i}" for i in range(PROCESSES)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, url, str(ready), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for ready in readies
    ]
    try:
        deadline = time.monotonic() + 120
        while not all(ready.exists() for ready in readies):
            if time.monotonic() > deadline or any(child.poll() is not None for child in children):
                break
            time.sleep(0.01)
        start.touch()
        results = []
        for child in children:
            out, err = child.communicate(timeout=180)
            results.append(subprocess.CompletedProcess(child.args, child.returncode, out, err))
        return results
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()


def _assert_all_succeeded(results: list[subprocess.CompletedProcess]) -> None:
    failures = [
        f"process {i + 1}: exit {r.returncode}: {r.stderr.strip()[-800:]}"
        for i, r in enumerate(results)
        if r.returncode != 0
    ]
    assert not failures, "\n".join(failures)
    assert [r.stdout.strip() for r in results] == ["0"] * PROCESSES


@pytest.mark.slow
def test_concurrent_first_open_of_new_database(fresh_db_url: str, tmp_path: Path) -> None:
    for trial in range(TRIALS):
        wipe(fresh_db_url)  # an empty database for every trial
        _assert_all_succeeded(_open_together(fresh_db_url, tmp_path / f"sync-{trial}"))
        engine = make_engine(fresh_db_url)
        assert current_revision(engine) == head_revision()
        assert {"document", "sentence", "candidate"} <= set(inspect(engine).get_table_names())
        engine.dispose()
