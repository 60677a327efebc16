"""Fixtures of the operations tests: the real ``snorkel-ie`` command in child processes, on both backends.

Every case runs ``python -m snorkel_ie.cli`` as a batch operator would (its own process,
its own connections), then checks three things: the exit code, the one-line message on
stderr, and what the database holds afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, table

from snorkel_ie.db.engine import dispose_engines, make_engine
from tests.conftest import DATA, scratch_postgres_database

PUBTATOR = DATA / "parsing" / "cdr_train_5.PubTator.txt"
N_DOCS = 5
TIMEOUT = 300

LFS = """
def LF_induce(c):
    return 1 if "induc" in c.get_parent().text.lower() else 0


def LF_not(c):
    return -1 if " not " in c.get_parent().text.lower() else 0


def LF_far(c):
    return -1 if abs(c[0].char_start - c[1].char_start) > 60 else 0
"""
N_LFS = 3
EXTRACT = ("extract", "ChemicalDisease", "--args", "chemical,disease", "--entity-types", "Chemical,Disease")


@dataclass
class Run:
    """One finished ``snorkel-ie`` process."""

    args: Sequence[str]
    code: int
    stdout: str
    stderr: str

    @property
    def message(self) -> str:
        """The last line on stderr (the error line of a failed command)."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""

    def __str__(self) -> str:
        return f"snorkel-ie {' '.join(self.args)} -> {self.code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def _env(db_url: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SNORKELDB", None)
    if db_url is not None:
        env["SNORKELDB"] = db_url
    env["PYTHONWARNINGS"] = "default"
    return env


def start(args: Sequence[str], *, db_url: str | None, cwd: Path) -> subprocess.Popen:
    """Start ``snorkel-ie ARGS`` with ``$SNORKELDB`` set to ``db_url``."""
    return subprocess.Popen(
        [sys.executable, "-m", "snorkel_ie.cli", *args],
        cwd=cwd,
        env=_env(db_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen, args: Sequence[str]) -> Run:
    out, err = proc.communicate(timeout=TIMEOUT)
    return Run(list(args), proc.returncode, out, err)


def run(args: Sequence[str], *, db_url: str | None, cwd: Path) -> Run:
    """Run ``snorkel-ie ARGS`` to the end."""
    return finish(start(args, db_url=db_url, cwd=cwd), args)


def run_together(args: Sequence[str], *, db_url: str, cwd: Path, n: int = 2) -> list[Run]:
    """Start ``n`` identical ``snorkel-ie ARGS`` jobs at once and wait for all of them."""
    procs = [start(args, db_url=db_url, cwd=cwd) for _ in range(n)]
    return [finish(p, args) for p in procs]


def assert_one_line_error(r: Run, code: int, *needles: str) -> None:
    """Exit ``code``; stderr ends in one ``error: ...`` line holding every needle; no traceback."""
    assert r.code == code, str(r)
    assert "Traceback" not in r.stderr, str(r)
    assert r.message.startswith("error: "), str(r)
    assert sum(line.startswith("error: ") for line in r.stderr.splitlines()) == 1, str(r)
    for needle in needles:
        assert needle in r.message, f"{needle!r} not in {r.message!r}"


def counts(db_url: str) -> dict[str, int]:
    """Rows of every snorkel-ie table of ``db_url``."""
    engine = make_engine(db_url)
    try:
        names = sorted(n for n in inspect(engine).get_table_names() if n != "alembic_version")
        with engine.connect() as conn:
            return {n: conn.execute(select(func.count()).select_from(table(n))).scalar_one() for n in names}
    finally:
        engine.dispose()


@pytest.fixture(params=("sqlite", "postgresql"))
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database that does not exist yet: a new SQLite file in an existing folder, or an empty PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ops.db'}"
    else:
        with scratch_postgres_database("snorkel_ie_ops") as url:
            yield url
    dispose_engines()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The working directory of the commands, holding the LF module ``ops_lfs.py``."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "ops_lfs.py").write_text(LFS, encoding="utf-8")
    return folder


@pytest.fixture
def extracted_url(fresh_url: str, workdir: Path) -> str:
    """A database with the 5 CDR documents parsed (blank spaCy) and ChemicalDisease candidates in split 0."""
    for args in (("parse", str(PUBTATOR), "--model", "blank:en", "--no-progress"), EXTRACT):
        r = run(args, db_url=fresh_url, cwd=workdir)
        assert r.code == 0, str(r)
    return fresh_url
