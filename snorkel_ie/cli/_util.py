"""Shared options and helpers of the ``snorkel-ie`` commands (as spaCy's ``cli/_util.py``).

A command is a thin wrapper over importable functions: it declares its options from
here, opens its session with :func:`open_session`, and reports a problem by raising a
:class:`~snorkel_ie.errors.SnorkelIEError`, which :func:`snorkel_ie.cli.main` prints as one
line and turns into the exit code (:data:`EXIT_CODES`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from snorkel_ie.errors import ConfigurationError

__all__ = [
    "EXIT_CODES",
    "MAX_SPLIT",
    "candidate_class_option",
    "check_scheduler_database",
    "dask_client",
    "db_option",
    "infer_format",
    "open_session",
    "parallelism_option",
    "progress_option",
    "scheduler_option",
    "split_option",
]

MAX_SPLIT = 2**31 - 1
"""The largest split number the database stores (a 32-bit integer column)."""

EXIT_CODES = {
    0: "success",
    1: "error: nothing was changed by the failing step (the message names the input and the fix)",
    2: "usage error: an unknown option or a bad option value (click)",
    3: "incomplete: the job finished but some items failed or were skipped (listed); re-run after fixing them",
    130: "interrupted: Ctrl-C; whole batches stay stored and a re-run resumes",
}
"""What each exit code of ``snorkel-ie`` means."""

db_option = click.option(
    "--db",
    "db_url",
    envvar="SNORKELDB",
    default=None,
    metavar="URL",
    help="Database URL, e.g. sqlite:///snorkel.db or postgresql://user@host:5432/snorkel "
    "(default: $SNORKELDB, else ./snorkel.db).",
)


def split_option(default: int = 0, help: str = "Candidate split: 0 train, 1 dev, 2 test.", name: str = "--split"):
    """A split option: a non-negative number the database can store."""
    dest = name.lstrip("-").replace("-", "_")
    return click.option(name, dest, type=click.IntRange(0, MAX_SPLIT), default=default, show_default=True, help=help)


def candidate_class_option(required: bool = False):
    """``--candidate-class``: the candidate class name, as given to ``extract``."""
    return click.option(
        "--candidate-class",
        required=required,
        default=None,
        metavar="NAME",
        help="Candidate class name, e.g. ChemicalDisease"
        + ("." if required else " (needed when the split holds several)."),
    )


parallelism_option = click.option(
    "--parallelism",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Local worker processes (1 runs in this process).",
)

scheduler_option = click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run on this Dask scheduler (e.g. tcp://host:8786) instead of local processes; needs PostgreSQL.",
)

progress_option = click.option(
    "--progress/--no-progress", default=True, show_default=True, help="Show a progress bar on stderr."
)


def open_session(db_url: str | None, *, create: bool = True) -> Any:
    """A ``SnorkelSession`` on ``db_url``; ``create=False`` for commands that only read (no new database)."""
    from snorkel_ie.db.session import SnorkelSession

    return SnorkelSession(db_url, create=create)


def check_scheduler_database(scheduler: str | None, db_url: str | None) -> None:
    """Refuse ``--scheduler`` with a SQLite database up front, before any database is opened."""
    if scheduler:
        from snorkel_ie.db.engine import resolve_url
        from snorkel_ie.runner import check_cluster_url

        check_cluster_url(resolve_url(db_url))


@contextmanager
def dask_client(scheduler: str | None, session: Any) -> Iterator[Any]:
    """A Dask client for ``--scheduler`` (None without one), refused on SQLite, closed at the end."""
    if not scheduler:
        yield None
        return
    from snorkel_ie.runner import check_cluster_url, connect_scheduler

    check_cluster_url(session.get_bind().url)
    client = connect_scheduler(scheduler)
    try:
        yield client
    finally:
        client.close()


def infer_format(path: str, suffixes: dict[str, str], *, option: str = "--format") -> str:
    """The format of ``path`` from its extension(s); ``suffixes`` maps a lower-case ending to a format.

    The longest matching ending wins (``.pubtator.txt`` before ``.txt``); a folder is
    judged by the files in it when they all agree.

    Raises
    ------
    ConfigurationError
        No ending matches, or a folder mixes formats: pass ``option`` explicitly.
    """
    p = Path(path)
    names = [p.name] if not p.is_dir() else sorted(f.name for f in p.iterdir() if f.is_file())
    found = {_format_of(name, suffixes) for name in names if not name.startswith(".")}
    found.discard(None)
    if len(found) == 1:
        return found.pop()  # type: ignore[return-value]
    known = ", ".join(sorted(suffixes))
    if not found:
        raise ConfigurationError(f"cannot tell the format of {path} from its extension (known: {known}); pass {option}")
    raise ConfigurationError(f"{path} holds files of several formats {sorted(found)}; pass {option}")


def _format_of(name: str, suffixes: dict[str, str]) -> str | None:
    lower = name.lower()
    for ending in sorted(suffixes, key=len, reverse=True):
        if lower.endswith(ending):
            return suffixes[ending]
    return None
