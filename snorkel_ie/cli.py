"""The ``snorkel-ie`` command: thin commands over importable functions."""

from __future__ import annotations

import sys

import click

from snorkel_ie.db.engine import make_engine, safe_url
from snorkel_ie.errors import SnorkelIEError

DB_OPTION = click.option(
    "--db", "db_url", envvar="SNORKELDB", default=None, help="Database URL (default: $SNORKELDB, else ./snorkel.db)."
)


@click.group()
@click.version_option(package_name="snorkel-ie")
def cli() -> None:
    """snorkel-ie: training data by weak supervision."""


@cli.group()
def db() -> None:
    """Database schema and contents."""


@db.command("upgrade")
@DB_OPTION
@click.option("--revision", default="head", show_default=True)
def db_upgrade(db_url: str | None, revision: str) -> None:
    """Bring the database to the latest schema (creating it if needed)."""
    from snorkel_ie.db.migrate import upgrade

    engine = make_engine(db_url)
    reached = upgrade(engine, revision)
    click.echo(f"{safe_url(engine.url)} is at revision {reached}")


@db.command("info")
@DB_OPTION
def db_info(db_url: str | None) -> None:
    """Show the URL (without password), schema revision and row counts."""
    from snorkel_ie.db.info import database_info

    click.echo(str(database_info(make_engine(db_url))))


def _register() -> None:
    from snorkel_ie.candidates.cli import extract
    from snorkel_ie.labeling.cli import label
    from snorkel_ie.learning.cli import evaluate, train_discriminative, train_generative
    from snorkel_ie.parsing.cli import parse

    for command in (parse, extract, label, train_generative, train_discriminative, evaluate):
        cli.add_command(command)
    from snorkel_ie.export import export_command

    cli.add_command(export_command)
    from snorkel_ie.viewer.cli import view  # the viewer issue's command (h19)

    cli.add_command(view)


_register()


def main() -> None:
    """Entry point: turns snorkel-ie errors into a one-line message and exit code 1."""
    try:
        cli(standalone_mode=True)
    except SnorkelIEError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
