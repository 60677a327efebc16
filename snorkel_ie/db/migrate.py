"""Bring a database to the migration head with Alembic."""

from __future__ import annotations

import importlib.util
import threading
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from snorkel_ie.errors import SchemaError

_upgraded: set[str] = set()
_lock = threading.Lock()


@cache
def migrations_dir() -> Path:
    """The folder of the migration scripts: ``migrations/`` in a checkout, or the installed copy."""
    spec = importlib.util.find_spec("snorkel_ie._migrations")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    checkout = Path(__file__).resolve().parents[2] / "migrations"
    if (checkout / "env.py").exists():
        return checkout
    raise SchemaError("the migration scripts are missing from this installation of snorkel-ie; reinstall it")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Migrate the database of ``engine`` to ``revision``; returns the revision reached."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    return current_revision(engine)


def ensure_schema(engine: Engine) -> None:
    """Migrate the database to head once per engine and process, if it is behind."""
    key = str(engine.url)
    if key in _upgraded:
        return
    with _lock:
        if key in _upgraded:
            return
        head = head_revision()
        current = current_revision(engine)
        if current != head:
            known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
            if current is not None and current not in known:
                raise SchemaError(
                    f"the database is at migration {current!r}, which this version of snorkel-ie does not know "
                    f"(head is {head!r}); upgrade snorkel-ie or use another database"
                )
            upgrade(engine)
        _upgraded.add(key)
