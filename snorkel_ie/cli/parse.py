"""``snorkel-ie parse``: read a corpus, parse it with spaCy and store it (resumably)."""

from __future__ import annotations

import click

from snorkel_ie.cli._util import (
    check_scheduler_database,
    dask_client,
    db_option,
    infer_format,
    open_session,
    parallelism_option,
    progress_option,
    scheduler_option,
)
from snorkel_ie.errors import ConfigurationError, IncompleteError

__all__ = ["FORMATS", "SUFFIXES", "make_preprocessor", "parse"]

FORMATS = ("tsv", "jsonl", "text", "bioc", "pubtator", "csv", "parquet")
SUFFIXES = {
    ".pubtator.txt": "pubtator",
    ".pubtator": "pubtator",
    ".bioc.xml": "bioc",
    ".xml": "bioc",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".txt": "text",
}
"""File endings and the format each one means; the longest matching ending wins."""
MAX_LISTED_FAILURES = 20


def make_preprocessor(
    path: str, fmt: str | None, *, encoding: str, max_docs: int | None, id_field: str, text_field: str
):
    """The reader for ``fmt`` (None: inferred from the extension of ``path``, see :data:`SUFFIXES`)."""
    from snorkel_ie.parsing import preprocessors as pp

    fmt = fmt or infer_format(path, SUFFIXES)
    if fmt == "jsonl":
        return pp.JSONLDocPreprocessor(
            path, id_field=id_field, text_field=text_field, encoding=encoding, max_docs=max_docs
        )
    if fmt in ("csv", "parquet"):
        from snorkel_ie.parsing import tabular

        if fmt == "csv":
            return tabular.CSVDocPreprocessor(path, text=text_field, id=id_field, encoding=encoding, max_docs=max_docs)
        return tabular.ParquetDocPreprocessor(path, text=text_field, id=id_field, max_docs=max_docs)
    readers = {
        "tsv": pp.TSVDocPreprocessor,
        "text": pp.TextDocPreprocessor,
        "bioc": pp.BioCXMLDocPreprocessor,
        "pubtator": pp.PubTatorDocPreprocessor,
    }
    if fmt not in readers:
        raise ConfigurationError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return readers[fmt](path, encoding=encoding, max_docs=max_docs)


_MARKERS = {"pubtator": "|t|", "bioc": "<document"}


def count_documents(reader, fmt: str) -> int | None:
    """The number of documents of ``reader``'s files, counted cheaply for the progress bar (None: unknown).

    A line count (TSV, JSONL), a count of title lines (PubTator) or ``<document`` tags
    (BioC), files (text), Parquet's row metadata; CSV (cells may span lines) is not counted.
    """
    files = reader.files()
    if fmt == "text":
        n = len(files)
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        n = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    elif fmt in ("tsv", "jsonl", "pubtator", "bioc"):
        marker = _MARKERS.get(fmt)
        n = 0
        for f in files:
            with open(f, "rb") as fh:
                for line in fh:
                    if marker is None:
                        n += bool(line.strip())
                    else:
                        n += line.count(marker.encode())
    else:
        return None
    max_docs = getattr(reader, "max_docs", None)
    return n if max_docs is None else min(n, max_docs)


@click.command("parse")
@click.argument("path", type=click.Path(exists=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Input format (default: from the extension: .PubTator.txt, .BioC.xml/.xml, .tsv, .jsonl, .csv, "
    ".parquet, .txt).",
)
@db_option
@click.option("--model", default="en_core_web_sm", show_default=True, help="spaCy pipeline, or 'blank:en'.")
@parallelism_option
@click.option("--max-docs", type=click.IntRange(min=0), default=None, help="Read at most this many documents.")
@click.option(
    "--batch-size", type=click.IntRange(min=1), default=100, show_default=True, help="Documents per transaction."
)
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the input files.")
@click.option("--id-field", default="id", show_default=True, help="JSONL/CSV/Parquet: field naming the document.")
@click.option("--text-field", default="text", show_default=True, help="JSONL/CSV/Parquet: field holding the text.")
@click.option("--clear", is_flag=True, help="Delete every stored document first.")
@progress_option
@scheduler_option
def parse(
    path: str,
    fmt: str | None,
    db_url: str | None,
    model: str,
    parallelism: int,
    max_docs: int | None,
    batch_size: int,
    encoding: str,
    id_field: str,
    text_field: str,
    clear: bool,
    progress: bool,
    scheduler: str | None,
) -> None:
    """Parse the documents in PATH (a file or a folder) and store them; re-running resumes.

    Exits with 3 when some documents failed (they are listed; the others are stored).
    """
    from snorkel_ie.db.engine import safe_url
    from snorkel_ie.parsing.corpus_parser import CorpusParser
    from snorkel_ie.parsing.spacy_parser import Spacy

    reader = make_preprocessor(
        path, fmt, encoding=encoding, max_docs=max_docs, id_field=id_field, text_field=text_field
    )
    check_scheduler_database(scheduler, db_url)
    total = count_documents(reader, fmt or infer_format(path, SUFFIXES)) if progress else None
    session = open_session(db_url)
    try:
        with dask_client(scheduler, session) as client:
            summary = CorpusParser(parser=Spacy(model)).apply(
                reader,
                count=total,
                parallelism=parallelism,
                clear=clear,
                progress=progress,
                batch_size=batch_size,
                session=session,
                client=client,
            )
    finally:
        session.close()
    click.echo(f"{safe_url(session.engine.url)}: {summary}")
    for name, reason in summary.failures[:MAX_LISTED_FAILURES]:
        click.echo(f"  failed: {name}: {reason}", err=True)
    if len(summary.failures) > MAX_LISTED_FAILURES:
        click.echo(f"  ... and {len(summary.failures) - MAX_LISTED_FAILURES} more", err=True)
    if summary.failures:
        first_name, first_reason = summary.failures[0]
        raise IncompleteError(
            f"{len(summary.failures)} document(s) of {path} were not stored, first {first_name}: {first_reason}; "
            "fix the input and run the command again (stored documents are skipped)"
        )
