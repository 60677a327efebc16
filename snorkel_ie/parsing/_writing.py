"""Database writing for :class:`~snorkel_ie.parsing.corpus_parser.CorpusParser`.

One batch of encoded documents is written in one transaction (COPY on PostgreSQL,
``executemany`` on SQLite), skipping the documents stored meanwhile, so a batch written
twice is stored once. :class:`_Writer` is the single writer thread of a SQLite (or
one-process) run; :func:`_encode_and_write` is the PostgreSQL worker that parses and
writes a batch, which worker processes import by this module's path.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from snorkel_ie.db.documents import SENTENCE_COLUMNS, stored_document_names, write_documents
from snorkel_ie.db.engine import WRITE_LOCK, get_engine
from snorkel_ie.parsing._encoding import _encode_batch, _Encoded, _EncodedDoc
from snorkel_ie.parsing.preprocessors import DocRecord
from snorkel_ie.parsing.summary import ParseCounts, ParseSummary

__all__ = ["SENTENCE_COLUMNS", "ParseCounts", "stored_document_names"]


@dataclass
class _BatchResult(ParseCounts):
    records: int = 0  # input documents in the batch (progress)


def _write(conn: Any, docs: list[_EncodedDoc]) -> _BatchResult:
    """Write one batch in the caller's transaction; documents stored meanwhile are skipped."""
    written = write_documents(conn, docs)
    return _BatchResult(
        documents=written.documents,
        sentences=written.sentences,
        tokens=written.tokens,
        spans=written.spans,
        skipped=written.skipped,
    )


def _write_transaction(engine: Engine, docs: list[_EncodedDoc]) -> _BatchResult:
    with engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        return _write(conn, docs)


def _encode_and_write(records: list[DocRecord], *, parser: Any, fn: Any, db_url: str, in_worker: bool) -> _BatchResult:
    """PostgreSQL worker: parse a batch and write it in one transaction.

    Idempotent: documents already stored are skipped by name, so a batch run twice is
    stored once. Should another copy of the batch commit the same names while this one
    writes (a cluster re-running a partition it wrongly thought lost), the unique name
    makes this transaction fail and one retry skips them.
    """
    encoded = _encode_batch(records, parser=parser, fn=fn, in_worker=in_worker)
    engine = get_engine(db_url)
    try:
        result = _write_transaction(engine, encoded.docs)
    except IntegrityError:
        result = _write_transaction(engine, encoded.docs)
    result.failures = encoded.failures
    result.records = len(records)
    return result


class _Writer:
    """A thread that writes batches while the caller parses the next one (one batch queued)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._loop, name="snorkel-ie-writer", daemon=True)

    def __enter__(self) -> _Writer:
        self.thread.start()
        return self

    def put(self, encoded: _Encoded, n: int, summary: ParseSummary, bar: Any) -> None:
        self._raise()
        self.queue.put((encoded, n, summary, bar))

    def _loop(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is not None:
                continue
            encoded, n, summary, bar = item
            try:
                summary.add(_write_transaction(self.engine, encoded.docs))
                bar.update(n)
            except BaseException as err:
                self.error = err

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def __exit__(self, exc_type, exc, tb) -> None:
        self.queue.put(None)
        self.thread.join()
        if exc_type is None:
            self._raise()
