"""The ``snorkel-ie parse`` command (registered by :mod:`snorkel_ie.cli`)."""

from __future__ import annotations

import click

from snorkel_ie.errors import ConfigurationError

FORMATS = ("tsv", "jsonl", "text", "bioc", "pubtator")
MAX_LISTED_FAILURES = 20


def make_preprocessor(path: str, fmt: str, *, encoding: str, max_docs: int | None, id_field: str, text_field: str):
    """The reader for ``--format``."""
    from snorkel_ie.parsing import preprocessors as pp

    readers = {
        "tsv": pp.TSVDocPreprocessor,
        "text": pp.TextDocPreprocessor,
        "bioc": pp.BioCXMLDocPreprocessor,
        "pubtator": pp.PubTatorDocPreprocessor,
    }
    if fmt == "jsonl":
        return pp.JSONLDocPreprocessor(
            path, id_field=id_field, text_field=text_field, encoding=encoding, max_docs=max_docs
        )
    if fmt not in readers:
        raise ConfigurationError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return readers[fmt](path, encoding=encoding, max_docs=max_docs)


@click.command("parse")
@click.argument("path", type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="Input format.")
@click.option(
    "--db", "db_url", envvar="SNORKELDB", default=None, help="Database URL (default: $SNORKELDB, else ./snorkel.db)."
)
@click.option("--model", default="en_core_web_sm", show_default=True, help="spaCy pipeline, or 'blank:en'.")
@click.option("--parallelism", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--max-docs", type=click.IntRange(min=0), default=None)
@click.option("--batch-size", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--encoding", default="utf-8", show_default=True)
@click.option("--id-field", default="id", show_default=True, help="JSONL: field naming the document.")
@click.option("--text-field", default="text", show_default=True, help="JSONL: field holding the text.")
@click.option("--clear", is_flag=True, help="Delete every stored document first.")
@click.option("--progress/--no-progress", default=True, show_default=True)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run on this Dask scheduler (e.g. tcp://host:8786) instead of local processes; needs PostgreSQL.",
)
def parse(
    path: str,
    fmt: str,
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
    """Parse the documents in PATH (a file or a folder) and store them; re-running resumes."""
    from snorkel_ie.db.engine import safe_url
    from snorkel_ie.db.session import SnorkelSession
    from snorkel_ie.parsing.corpus_parser import CorpusParser
    from snorkel_ie.parsing.spacy_parser import Spacy
    from snorkel_ie.runner import check_cluster_url, connect_scheduler

    reader = make_preprocessor(
        path, fmt, encoding=encoding, max_docs=max_docs, id_field=id_field, text_field=text_field
    )
    session = SnorkelSession(db_url)
    client = None
    try:
        if scheduler:
            check_cluster_url(session.get_bind().url)
            client = connect_scheduler(scheduler)
        summary = CorpusParser(parser=Spacy(model)).apply(
            reader,
            parallelism=parallelism,
            clear=clear,
            progress=progress,
            batch_size=batch_size,
            session=session,
            client=client,
        )
    finally:
        if client is not None:
            client.close()
        session.close()
    click.echo(f"{safe_url(session.engine.url)}: {summary}")
    for name, reason in summary.failures[:MAX_LISTED_FAILURES]:
        click.echo(f"  failed: {name}: {reason}", err=True)
    if len(summary.failures) > MAX_LISTED_FAILURES:
        click.echo(f"  ... and {len(summary.failures) - MAX_LISTED_FAILURES} more", err=True)
