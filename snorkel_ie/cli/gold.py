"""``snorkel-ie gold load``: gold labels from a TSV of stable ids or offsets, a CSV, or PubTator relations."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from snorkel_ie.cli._util import candidate_class_option, db_option, infer_format, open_session, split_option
from snorkel_ie.errors import ConfigurationError, IncompleteError

__all__ = ["GOLD_FORMATS", "gold"]

GOLD_FORMATS = ("tsv", "csv", "pubtator")
SUFFIXES = {".pubtator.txt": "pubtator", ".pubtator": "pubtator", ".csv": "csv", ".tsv": "tsv", ".txt": "tsv"}


@click.group()
def gold() -> None:
    """Gold labels: load them for scoring (evaluate, lf_stats, early stopping)."""


@gold.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option
@candidate_class_option(required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(GOLD_FORMATS),
    default=None,
    help="tsv: 'span1_stable_id<TAB>span2_stable_id<TAB>label' or 'doc<TAB>start1<TAB>end1<TAB>start2<TAB>end2<TAB>"
    "label'; csv: a header with 'label' and 'stable_ids' (as 'snorkel-ie export' writes) or '<arg>_stable_id' "
    "columns; pubtator: the file's relation lines. Default: from the extension.",
)
@click.option(
    "--id-format",
    type=click.Choice(["stable_ids", "offsets"]),
    default=None,
    help="TSV only: how a line names its candidate (default: 3 fields are stable ids, 6 are offsets).",
)
@click.option("--annotator", default="gold", show_default=True, help="Name the labels are stored under.")
@split_option(default=None, help="Only candidates of this split (default: every split).")
@click.option("--relation", default="CID", show_default=True, help="PubTator only: the relation type that is +1.")
@click.option("--symmetric", is_flag=True, help="A pair also matches the candidate with swapped arguments.")
@click.option(
    "--allow-unmatched", is_flag=True, help="Exit 0 even when some lines match no candidate (they are counted)."
)
def gold_load(
    path: str,
    db_url: str | None,
    candidate_class: str,
    fmt: str | None,
    id_format: str | None,
    annotator: str,
    split: int | None,
    relation: str,
    symmetric: bool,
    allow_unmatched: bool,
) -> None:
    """Attach gold labels from PATH to the stored candidates, replacing the annotator's labels of those candidates.

    The file is read whole before anything is written: a bad line (named by file and
    line) writes nothing. Exits with 3 when lines match no candidate, unless
    --allow-unmatched.
    """
    from snorkel_ie.cli.learn import candidate_class_for
    from snorkel_ie.labeling import gold as g

    fmt = fmt or infer_format(path, SUFFIXES)
    with open_session(db_url, create=False) as session:
        cls = candidate_class_for(session, candidate_class)
        if fmt == "pubtator":
            pos, neg, missing = g.load_gold_labels_from_pubtator(
                session, path, cls, relation=relation, annotator_name=annotator, split=split
            )
            click.echo(f"{annotator}: {pos} positive and {neg} negative {cls.__name__} candidates from {path}")
            if pos + neg == 0:
                raise ConfigurationError(
                    f"no {cls.__name__} candidate is in a document of {path}; parse and extract those documents first"
                )
            _unmatched(missing, pos + neg, "document(s) of the file are not in the database", allow_unmatched)
            return
        if fmt == "csv":
            matched, unmatched = g.load_gold_labels_from_csv(
                session, path, cls, annotator_name=annotator, split=split, symmetric=symmetric
            )
        else:
            matched, unmatched = g.load_gold_labels_from_tsv(
                session, path, cls, annotator_name=annotator, split=split,
                id_format=id_format or _sniff_id_format(Path(path)), symmetric=symmetric,
            )  # fmt: skip
        click.echo(f"{annotator}: {matched} {cls.__name__} candidates labeled from {path}; {unmatched} unmatched")
        _unmatched(unmatched, matched, "line(s) match no candidate", allow_unmatched)


def _unmatched(n: int, matched: int, what: str, allowed: bool) -> None:
    if n and not allowed:
        raise IncompleteError(
            f"{n} {what} ({matched} labeled); check --candidate-class, --split and --symmetric, "
            "or pass --allow-unmatched"
        )


def _sniff_id_format(path: Path) -> str:
    """``stable_ids`` when the first data line has 3 fields, ``offsets`` when it has 6."""
    with path.open(newline="", encoding="utf-8") as fh:
        for fields in csv.reader(fh, delimiter="\t"):
            if len(fields) == 3:
                return "stable_ids"
            if len(fields) == 6:
                return "offsets"
            if fields:
                break
    raise ConfigurationError(
        f"{path}: the first line has neither 3 fields (stable ids) nor 6 (offsets); pass --id-format"
    )
