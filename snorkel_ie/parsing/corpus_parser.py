"""CorpusParser: read, parse and store a corpus in bulk, resumably.

Data flow: a reader yields :class:`DocRecord` batches (documents already stored are
dropped before parsing) -> a parser turns each batch into encoded rows -> one
transaction per batch writes its documents, sentences and mention spans with COPY
(PostgreSQL) or ``executemany`` (SQLite).

With ``parallelism=N``, N worker processes parse. On PostgreSQL each worker also
writes its own batches (it receives the database URL, never a session); on SQLite the
workers only parse and this process is the single writer. With ``parallelism=1`` the
parse runs here while a writer thread stores the previous batch.

With ``client=`` (a ``dask.distributed.Client``) the batches go to a Dask cluster whose
workers parse and write them to PostgreSQL, as local workers do.

A killed job leaves only whole batches behind, so running it again (documents are
skipped by name) ends with exactly the rows of an uninterrupted run; for the same
reason a batch that a cluster runs twice (a lost worker) is stored once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from tqdm.auto import tqdm

from snorkel_ie.db.documents import delete_documents, stored_document_names
from snorkel_ie.db.engine import WRITE_LOCK, get_engine, is_sqlite
from snorkel_ie.db.migrate import ensure_schema
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.parsing._encoding import MAX_NAME_LENGTH as MAX_NAME_LENGTH
from snorkel_ie.parsing._encoding import _encode_batch, _unstorable, relaxed_gc
from snorkel_ie.parsing._writing import SENTENCE_COLUMNS as SENTENCE_COLUMNS
from snorkel_ie.parsing._writing import _encode_and_write, _Writer
from snorkel_ie.parsing._writing import _write_transaction as _write_transaction
from snorkel_ie.parsing.preprocessors import DocPreprocessor, DocRecord, Mention
from snorkel_ie.parsing.spacy_parser import Spacy
from snorkel_ie.parsing.summary import ParseSummary
from snorkel_ie.runner import check_cluster_url, run_partitions

__all__ = ["CorpusParser", "ParseSummary"]


class CorpusParser:
    """Parse a corpus into documents, sentences and mention spans.

    Parameters
    ----------
    parser
        A :class:`~snorkel_ie.parsing.spacy_parser.Spacy` (default ``Spacy()``), or any
        picklable object with the same ``parse_many`` method.
    fn
        Optional module-level function applied to each sentence dict before it is
        stored (Snorkel 0.7's hook, e.g. to set ``entity_types``); it returns the dict.

    Examples
    --------
    >>> session = SnorkelSession()  # doctest: +SKIP
    >>> corpus_parser = CorpusParser(parser=Spacy())  # doctest: +SKIP
    >>> corpus_parser.apply(PubTatorDocPreprocessor("CDR.PubTator.txt"), parallelism=2)  # doctest: +SKIP
    """

    def __init__(self, parser: Any = None, fn: Callable[[dict[str, Any]], dict[str, Any]] | None = None):
        self.parser = parser if parser is not None else Spacy()
        self.fn = fn
        self.summary: ParseSummary | None = None

    def apply(
        self,
        preprocessor: DocPreprocessor,
        clear: bool = False,
        parallelism: int | None = 1,
        progress: bool = True,
        count: int | None = None,
        *,
        batch_size: int = 100,
        session: Any = None,
        db: str | URL | Engine | None = None,
        client: Any = None,
        progress_bar: bool | None = None,
    ) -> ParseSummary:
        """Parse every document of ``preprocessor`` that is not stored yet, and store it.

        Parameters
        ----------
        preprocessor
            The reader.
        clear
            Delete every stored document first (with its sentences, spans, candidates
            and annotations). Snorkel 0.7 cleared by default; here a re-run resumes
            instead, skipping the documents already stored.
        parallelism
            Worker processes that parse (and, on PostgreSQL, write); ``None`` means 1.
        progress, progress_bar
            Show a tqdm progress bar (documents/s); ``progress_bar`` is 0.7's name and
            wins when given.
        batch_size
            Documents per batch; each batch is one transaction.
        session, db
            Where to write: a ``SnorkelSession``, or a URL or engine. Default: the
            database of ``SnorkelSession()`` (``$SNORKELDB``, else ``./snorkel.db``).
        count
            Expected number of documents, for the progress bar (Snorkel 0.7's argument;
            default: the reader's ``max_docs`` when set).
        client
            A ``dask.distributed.Client``: its workers parse and write the batches
            (PostgreSQL only; ``parallelism`` is then ignored). The parser, ``fn`` and the
            database URL are sent to the workers, so the same pipeline must be installed there.

        Returns
        -------
        ParseSummary
            Also kept in ``self.summary``. Failed documents are listed, not raised.

        Raises
        ------
        ParseError
            A malformed input file (naming file and line); the batch being read is not stored.
        ConfigurationError
            ``client`` with a SQLite database.
        """
        parallelism = 1 if parallelism is None else parallelism
        progress = progress if progress_bar is None else progress_bar
        if parallelism < 1 or batch_size < 1:
            raise ConfigurationError(f"parallelism and batch_size must be >= 1; got {parallelism}, {batch_size}")
        engine = _resolve_engine(session, db)
        if client is not None:
            check_cluster_url(engine.url)
        if session is not None:
            session.commit()  # release the session's locks: the writers use their own connections
        t0 = time.perf_counter()
        if clear:
            clear_documents(engine)
        summary = self.summary = ParseSummary()
        if hasattr(self.parser, "resolve"):
            self.parser.resolve()  # say here, once, if the pipeline falls back
        total = count if count is not None else getattr(preprocessor, "max_docs", None)
        bar = tqdm(desc="parsing", total=total, unit="doc", disable=not progress, dynamic_ncols=True)
        with relaxed_gc(), bar:
            batches = _pending_batches(preprocessor, engine, batch_size, summary)
            if is_sqlite(engine):
                self._run_single_writer(batches, engine, parallelism, summary, bar)
            else:
                self._run_postgres(batches, engine, parallelism, summary, bar, client)
        summary.seconds = time.perf_counter() - t0
        if session is not None:
            session.expire_all()
        return summary

    def _run_single_writer(self, batches, engine, parallelism, summary, bar) -> None:
        context = {"parser": self.parser, "fn": self.fn, "in_worker": parallelism > 1}
        with _Writer(engine) as writer:
            for n, encoded in _stream(_encode_batch, batches, parallelism, context):
                summary.failures.extend(encoded.failures)
                writer.put(encoded, n, summary, bar)

    def _run_postgres(self, batches, engine, parallelism, summary, bar, client=None) -> None:
        if parallelism == 1 and client is None:
            self._run_single_writer(batches, engine, 1, summary, bar)  # pipelined parse + writer thread
            return
        url = engine.url.render_as_string(hide_password=False)
        context = {"parser": self.parser, "fn": self.fn, "db_url": url, "in_worker": True}
        for n, result in _stream(_encode_and_write, batches, parallelism, context, client):
            summary.add(result)
            bar.update(n)


def _resolve_engine(session: Any, db: str | URL | Engine | None) -> Engine:
    if session is not None and db is not None:
        raise ConfigurationError("pass either session= or db=, not both")
    if session is not None:
        engine = session.get_bind()
    elif isinstance(db, Engine):
        engine = db
    else:
        engine = get_engine(db)
    ensure_schema(engine)
    return engine


def clear_documents(engine: Engine) -> None:
    """Delete every document; the database cascades to sentences, spans, candidates and annotations."""
    with engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        delete_documents(conn)


def _pending_batches(
    preprocessor: DocPreprocessor, engine: Engine, batch_size: int, summary: ParseSummary
) -> Iterator[list[DocRecord]]:
    """Batches of records not stored yet; a name seen twice in the input is a failure."""
    seen: set[str] = set()
    batch: list[DocRecord] = []
    for record in _records(preprocessor):
        if record.name in seen:
            summary.failures.append((record.name, "duplicate document name in the input"))
            continue
        seen.add(record.name)
        batch.append(record)
        if len(batch) >= batch_size:
            yield _drop_stored(batch, engine, summary)
            batch = []
    if batch:
        yield _drop_stored(batch, engine, summary)


def _records(preprocessor: Any) -> Iterator[DocRecord]:
    """A reader's records; also 0.7's ``apply(list(doc_preprocessor))``: ``(Document, text)`` pairs or records."""
    if hasattr(preprocessor, "records"):
        yield from preprocessor.records()
        return
    for item in preprocessor:
        if isinstance(item, DocRecord):
            yield item
        else:
            doc, text = item
            meta = dict(doc.meta or {})
            mentions = [Mention(*m) for m in meta.pop("mentions", [])]
            yield DocRecord(doc.name, text, meta, mentions)


def _drop_stored(batch: list[DocRecord], engine: Engine, summary: ParseSummary) -> list[DocRecord]:
    names = [r.name for r in batch if _unstorable(r.name) is None]  # the others fail in _encode_doc
    with engine.connect() as conn:
        stored = stored_document_names(conn, names)
        conn.rollback()
    summary.skipped += len(stored)
    return [r for r in batch if r.name not in stored]


# --------------------------------------------------------------------- execution


def _stream(
    fn: Callable[..., Any],
    batches: Iterator[list[DocRecord]],
    parallelism: int,
    context: dict[str, Any],
    client: Any = None,
) -> Iterator[tuple[int, Any]]:
    """Yield ``(len(batch), fn(batch, **context))`` for every non-empty batch, a bounded number in flight."""
    work = (batch for batch in batches if batch)
    for result in run_partitions(fn, work, parallelism=parallelism, client=client, context=context, progress=False):
        yield result.records, result
