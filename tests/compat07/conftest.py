"""Fixtures of the notebook-shaped 0.7 series tests: a notebook's folder and its database.

Each series test runs as a Snorkel 0.7 notebook did: in its own folder (``data/`` beside it,
the helper module importable), with ``SNORKELDB`` naming the database, so every
``SnorkelSession()`` of the notebook opens it. The database is the empty, migrated one of
``db_url`` (tests/conftest.py): once SQLite, once PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TUTORIALS = REPO / "tutorials"


class Notebook:
    """A notebook's working folder: ``dir`` (the cwd), ``data`` (its ``data/`` folder)."""

    def __init__(self, directory: Path, db_url: str):
        self.dir = directory
        self.data = directory / "data"
        self.data.mkdir()
        self.db_url = db_url


@pytest.fixture
def notebook(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Notebook]:
    """cwd = a fresh folder with ``data/``; ``SNORKELDB`` = the backend's empty database."""
    monkeypatch.setenv("SNORKELDB", db_url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(HERE / "helpers"))  # a notebook's `from util import ...` (names: compat07_*)
    yield Notebook(tmp_path, db_url)
