"""``snorkel-ie db upgrade`` and ``snorkel-ie db info``."""

from __future__ import annotations

from pathlib import Path

import click

from snorkel_ie.cli._util import db_option

__all__ = ["db"]


@click.group()
def db() -> None:
    """Database schema and contents."""


@db.command("upgrade")
@db_option
@click.option(
    "--revision", default="head", show_default=True, help="Alembic revision to migrate to ('head': the latest)."
)
@click.option("--create-folder", is_flag=True, help="Create the folder of a SQLite file when it does not exist.")
def db_upgrade(db_url: str | None, revision: str, create_folder: bool) -> None:
    """Bring the database to the latest schema, creating it if needed (the one command that creates databases)."""
    from snorkel_ie.db.engine import make_engine, resolve_url, safe_url
    from snorkel_ie.db.migrate import upgrade

    url = resolve_url(db_url)
    if create_folder and url.get_backend_name() == "sqlite" and url.database and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        reached = upgrade(engine, revision)
    finally:
        engine.dispose()
    click.echo(f"{safe_url(engine.url)} is at revision {reached}")


@db.command("info")
@db_option
def db_info(db_url: str | None) -> None:
    """Show the URL (without password), schema revision and row counts; creates nothing."""
    from snorkel_ie.db.engine import make_engine, require_database
    from snorkel_ie.db.info import database_info

    engine = make_engine(db_url)
    try:
        require_database(engine)
        click.echo(str(database_info(engine)))
    finally:
        engine.dispose()
