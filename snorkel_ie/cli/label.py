"""The ``snorkel-ie label`` command: apply labeling functions from an importable module."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from snorkel_ie.cli._util import (
    candidate_class_option,
    check_scheduler_database,
    dask_client,
    db_option,
    open_session,
    parallelism_option,
    progress_option,
    scheduler_option,
    split_option,
)
from snorkel_ie.errors import ConfigurationError, IncompleteError, LabelingError


def load_lfs(spec: str) -> list[Any]:
    """Import ``package.module:NAME`` (a list of LFs) or ``package.module`` (every ``LF_*`` function in it).

    Modules in the working directory are found, as with ``python -m``.
    """
    module_name, _, attr = spec.partition(":")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # a console script does not see ./lfs.py, as `python -m` would
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigurationError(f"cannot import the LF module {module_name!r}: {err}") from err
    if attr:
        try:
            lfs = getattr(module, attr)
        except AttributeError:
            raise ConfigurationError(f"module {module_name!r} has no attribute {attr!r}") from None
        lfs = list(lfs) if not callable(lfs) else [lfs]
    else:
        lfs = [v for k, v in vars(module).items() if k.startswith("LF_") and callable(v)]
    if not lfs:
        raise ConfigurationError(f"no labeling functions found in {spec!r}")
    return lfs


@click.command("label")
@db_option
@click.option(
    "--lfs",
    "lfs_spec",
    required=True,
    metavar="MODULE[:NAME]",
    help="LFs to apply: 'package.module:LFS' (a list) or 'package.module' (its LF_* functions); ./module.py is found.",
)
@split_option()
@candidate_class_option()
@parallelism_option
@click.option("--clear", is_flag=True, help="Re-run every LF, not only new or changed ones.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first exception of an LF.")
@click.option("--gold", "gold_name", default=None, metavar="NAME", help="Show lf_stats against this gold annotator.")
@progress_option
@scheduler_option
def label(
    db_url: str | None,
    lfs_spec: str,
    split: int,
    candidate_class: str | None,
    parallelism: int,
    clear: bool,
    fail_fast: bool,
    gold_name: str | None,
    progress: bool,
    scheduler: str | None,
) -> None:
    """Apply labeling functions to a split (incrementally) and print lf_stats.

    Exits with 3 when an LF raised on some candidates (their votes are missing; the
    first error of each LF is shown).
    """
    from snorkel_ie.db.engine import safe_url
    from snorkel_ie.labeling import LabelAnnotator, load_gold_labels

    lfs = load_lfs(lfs_spec)
    check_scheduler_database(scheduler, db_url)
    session = open_session(db_url, create=False)
    try:
        if gold_name:
            _check_gold_annotator(session, gold_name)
        with dask_client(scheduler, session) as client:
            labeler = LabelAnnotator(lfs=lfs)
            L = labeler.apply(
                split,
                session=session,
                parallelism=parallelism,
                clear=clear,
                fail_fast=fail_fast,
                candidate_class=candidate_class,
                client=client,
                progress=progress,
            )
        summary = labeler.last_summary
        if summary is not None and summary.n_candidates == 0:
            raise ConfigurationError(
                f"split {split} of {safe_url(session.get_bind().url)} has no {summary.candidate_type} candidates; "
                "run 'snorkel-ie extract' first (or check --split / --candidate-class)"
            )
        gold = (
            load_gold_labels(session, gold_name, split=split, candidate_class=L.candidate_type) if gold_name else None
        )
        with_gold = gold is not None and gold.nnz > 0
        click.echo(L.lf_stats(session, gold if with_gold else None).to_string())
        if summary is not None and summary.failed_on_all:
            raise LabelingError(
                f"{len(summary.failed_on_all)} LF(s) raised on every one of the {summary.n_candidates} candidates: "
                f"{', '.join(summary.failed_on_all)}; see 'First error' above (--fail-fast stops at the first one)"
            )
        if summary is not None and summary.errors:
            name, rec = next(iter(summary.errors.items()))
            raise IncompleteError(
                f"{len(summary.errors)} LF(s) raised on some candidates, first {name} on candidate "
                f"{rec.candidate_id}: {rec.message}; fix the LF and run again (only changed LFs re-run)"
            )
    finally:
        session.close()


def _check_gold_annotator(session, name: str) -> None:
    """Refuse a ``--gold`` annotator that has no labels in the database."""
    from snorkel_ie.labeling.gold import gold_annotator_names

    known = gold_annotator_names(session)
    if name not in known:
        raise ConfigurationError(
            f"no gold annotator {name!r} in the database (known: {', '.join(known) or 'none'}); "
            "load gold labels with 'snorkel-ie gold load' first"
        )
