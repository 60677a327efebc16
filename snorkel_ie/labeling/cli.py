"""The ``snorkel-ie label`` command: apply labeling functions from an importable module."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from snorkel_ie.errors import ConfigurationError, LabelingError


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
@click.option(
    "--db", "db_url", envvar="SNORKELDB", default=None, help="Database URL (default: $SNORKELDB, else ./snorkel.db)."
)
@click.option(
    "--lfs",
    "lfs_spec",
    required=True,
    help="LFs to apply: 'package.module:LFS' or 'package.module' (its LF_* functions).",
)
@click.option("--split", type=int, default=0, show_default=True)
@click.option("--candidate-class", default=None, help="Candidate class name (needed when the split holds several).")
@click.option("--parallelism", type=int, default=1, show_default=True)
@click.option("--clear", is_flag=True, help="Re-run every LF, not only new or changed ones.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first exception of an LF.")
@click.option("--gold", "gold_name", default=None, help="Show lf_stats against this gold annotator.")
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run on this Dask scheduler (e.g. tcp://host:8786) instead of local processes; needs PostgreSQL.",
)
def label(
    db_url: str | None,
    lfs_spec: str,
    split: int,
    candidate_class: str | None,
    parallelism: int,
    clear: bool,
    fail_fast: bool,
    gold_name: str | None,
    scheduler: str | None,
) -> None:
    """Apply labeling functions to a split (incrementally) and print lf_stats."""
    from snorkel_ie.db.session import SnorkelSession
    from snorkel_ie.labeling import LabelAnnotator, load_gold_labels
    from snorkel_ie.runner import check_cluster_url, connect_scheduler

    lfs = load_lfs(lfs_spec)
    session = SnorkelSession(db_url)
    client = None
    try:
        if scheduler:
            check_cluster_url(session.get_bind().url)
            client = connect_scheduler(scheduler)
        labeler = LabelAnnotator(lfs=lfs)
        L = labeler.apply(
            split,
            session=session,
            parallelism=parallelism,
            clear=clear,
            fail_fast=fail_fast,
            candidate_class=candidate_class,
            client=client,
        )
        gold = (
            load_gold_labels(session, gold_name, split=split, candidate_class=L.candidate_type) if gold_name else None
        )
        with_gold = gold is not None and gold.nnz > 0
        click.echo(L.lf_stats(session, gold if with_gold else None).to_string())
        summary = labeler.last_summary
        if summary is not None and summary.failed_on_all:
            raise LabelingError(
                f"{len(summary.failed_on_all)} LF(s) raised on every one of the {summary.n_candidates} candidates: "
                f"{', '.join(summary.failed_on_all)}; see 'First error' above (--fail-fast stops at the first one)"
            )
    finally:
        if client is not None:
            client.close()
        session.close()
