"""Migrations, engines, sessions and the CLI's database commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import text

from snorkel_ie.cli import cli
from snorkel_ie.db.engine import make_engine, resolve_url, safe_url
from snorkel_ie.db.migrate import current_revision, head_revision, include_for_dialect
from snorkel_ie.db.models import Base
from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.errors import ConfigurationError


def test_migrated_schema_matches_orm_metadata(db_url: str) -> None:
    engine = make_engine(db_url)
    opts = {"compare_type": True, "include_object": include_for_dialect(engine.dialect.name)}
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    engine.dispose()
    assert diff == [], f"the ORM and the migrations drifted apart: {diff}; write a migration"


def test_label_and_feature_references_are_enforced_by_the_migrated_schema(db_url: str) -> None:
    """SQLite: real foreign keys; PostgreSQL: the statement-level triggers of migrations 0004 and 0005."""
    session = SnorkelSession(db_url)
    with session.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            for table in ("label", "feature"):
                parents = {row[2] for row in conn.exec_driver_sql(f"PRAGMA foreign_key_list({table})")}
                assert parents == {"candidate", "annotation_key"}, (table, parents)
        else:
            names = set(conn.scalars(text("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'snorkel\\_%'")))
            expected = {f"snorkel_{t}_check_{e}" for t in ("label", "feature") for e in ("insert", "update")}
            expected |= {f"snorkel_{t}_cascade_{p}" for t in ("label", "feature") for p in ("candidate", "annotation_key")}
            expected |= {f"snorkel_{p}_{g}" for p in ("candidate", "annotation_key") for g in ("truncate_guard", "update_guard")}
            assert names == expected
    session.close()
    session.engine.dispose()


def test_default_session_creates_sqlite_file_at_head(tmp_path: Path) -> None:
    script = (
        "from snorkel_ie import SnorkelSession, candidate_subclass\n"
        "from snorkel_ie.db.migrate import current_revision, head_revision\n"
        "s = SnorkelSession()\n"
        "assert current_revision(s.engine) == head_revision(), current_revision(s.engine)\n"
        "print(s.engine.url.database)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()) == tmp_path / "snorkel.db"
    assert (tmp_path / "snorkel.db").exists()


def test_snorkeldb_environment_variable_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNORKELDB", f"sqlite:///{tmp_path / 'other.db'}")
    assert resolve_url().database == str(tmp_path / "other.db")
    assert resolve_url("sqlite:///x.db").database == "x.db"


def test_password_never_rendered() -> None:
    url = "postgresql://alice:s3cret@db.example:5432/snorkel"
    assert "s3cret" not in safe_url(url)
    assert "s3cret" not in repr(resolve_url(url))
    with pytest.raises(ConfigurationError) as info:
        resolve_url("mysql://alice:s3cret@localhost/x")
    assert "s3cret" not in str(info.value)
    assert "sqlite" in str(info.value)


def test_sqlite_engine_sets_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 10_000
    engine.dispose()


def test_session_repr_hides_password(db_url: str) -> None:
    session = SnorkelSession(db_url)
    assert "snorkel:snorkel@" not in repr(session)
    assert current_revision(session.engine) == head_revision()
    session.close()


def test_cli_db_upgrade_and_info(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    result = runner.invoke(cli, ["db", "upgrade", "--db", url])
    assert result.exit_code == 0, result.output
    assert head_revision() in result.output
    result = runner.invoke(cli, ["db", "info", "--db", url])
    assert result.exit_code == 0, result.output
    assert "candidate" in result.output and "sentence" in result.output
    assert f"revision: {head_revision()}" in result.output


def test_cli_info_hides_password_on_postgres(db_url: str) -> None:
    result = CliRunner().invoke(cli, ["db", "info", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert ":snorkel@" not in result.output
