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

import gc
import json
import math
import pickle
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from tqdm.auto import tqdm

from snorkel_ie.db.bulk import allocate_ids, insert_rows
from snorkel_ie.db.engine import WRITE_LOCK, get_engine, is_sqlite
from snorkel_ie.db.migrate import ensure_schema
from snorkel_ie.db.models import Document
from snorkel_ie.db.models.context import TOKEN_ATTRIBUTES, sentence_stable_id, span_stable_id
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.parsing.preprocessors import DocPreprocessor, DocRecord
from snorkel_ie.parsing.spacy_parser import Spacy
from snorkel_ie.runner import check_cluster_url, run_partitions

__all__ = ["CorpusParser", "ParseSummary"]

SENTENCE_COLUMNS = ("id", "stable_id", "document_id", "position", "text", *TOKEN_ATTRIBUTES)
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_encode_strict = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
MAX_NAME_LENGTH: int = Document.__table__.c.name.type.length
"""Longest document name the ``document.name`` column stores."""
_constant_arrays: dict[tuple[Any, int], str] = {}


def _encode_array(values: list[Any]) -> str:
    """JSON text of a token array; constant arrays (no tags from a blank pipeline, 'O'...) are cached."""
    if not values:
        return "[]"
    first = values[0]
    if values.count(first) != len(values):
        return _encode(values)
    key = (type(first).__name__, first, len(values))
    found = _constant_arrays.get(key)
    if found is None:
        if len(_constant_arrays) > 10_000:
            _constant_arrays.clear()
        found = _constant_arrays[key] = _encode(values)
    return found


@dataclass
class ParseSummary:
    """What :meth:`CorpusParser.apply` did.

    ``failures`` lists ``(document name, reason)`` for documents that could not be parsed
    or that the database cannot store (a name longer than the ``document.name`` column, a
    NUL or lone surrogate in the name or text, NaN, Infinity or a lone surrogate in
    ``meta``); the other documents of their batch are stored.
    """

    documents: int = 0
    sentences: int = 0
    tokens: int = 0
    spans: int = 0
    skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0

    def add(self, other: _BatchResult) -> None:
        self.documents += other.documents
        self.sentences += other.sentences
        self.tokens += other.tokens
        self.spans += other.spans
        self.skipped += other.skipped
        self.failures.extend(other.failures)

    def __str__(self) -> str:
        return (
            f"parsed {self.documents} documents ({self.sentences} sentences, {self.tokens} tokens, "
            f"{self.spans} mention spans) in {self.seconds:.1f} s; {self.skipped} already stored; "
            f"{len(self.failures)} failed"
        )


@dataclass
class _EncodedDoc:
    name: str
    meta: str  # JSON text
    sentences: list[list[Any]]  # SENTENCE_COLUMNS[1:] without document_id, JSON pre-encoded
    spans: list[tuple[int, str, int, int]]  # (sentence index, stable_id, char_start, char_end)
    tokens: int


@dataclass
class _BatchResult:
    documents: int = 0
    sentences: int = 0
    tokens: int = 0
    spans: int = 0
    skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    records: int = 0  # input documents in the batch (progress)


@dataclass
class _Encoded:
    docs: list[_EncodedDoc]
    failures: list[tuple[str, str]]
    records: int = 0


@contextmanager
def relaxed_gc(threshold: int = 100_000) -> Iterator[None]:
    """Collect garbage less often while parsing; restored on exit.

    Parsing allocates millions of small lists and strings that live until their batch
    is written; with the default thresholds, Python's cyclic collector keeps rescanning
    the loaded pipeline and the batch in flight (measured: 60% of the row-building time).
    Objects alive on entry are frozen (not scanned) until exit.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(old[0], threshold), old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


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
        conn.execute(text("DELETE FROM document"))


def _pending_batches(
    preprocessor: DocPreprocessor, engine: Engine, batch_size: int, summary: ParseSummary
) -> Iterator[list[DocRecord]]:
    """Batches of records not stored yet; a name seen twice in the input is a failure."""
    seen: set[str] = set()
    batch: list[DocRecord] = []
    for record in preprocessor.records():
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


def _bind_names(conn: Any, names: list[str]) -> set[str]:
    from sqlalchemy import bindparam

    stmt = text("SELECT name FROM document WHERE name IN :names").bindparams(bindparam("names", expanding=True))
    return {row[0] for row in conn.execute(stmt, {"names": names})}


def _drop_stored(batch: list[DocRecord], engine: Engine, summary: ParseSummary) -> list[DocRecord]:
    names = [r.name for r in batch if _unstorable(r.name) is None]  # the others fail in _encode_doc
    with engine.connect() as conn:
        stored = _bind_names(conn, names)
        conn.rollback()
    summary.skipped += len(stored)
    return [r for r in batch if r.name not in stored]


# --------------------------------------------------------------------- workers

_parsers: dict[Any, Any] = {}


def _worker_parser(parser: Any) -> Any:
    """One loaded parser per worker process and setting (each batch brings a fresh unpickled copy)."""
    return _parsers.setdefault(pickle.dumps(parser), parser)


def _encode_batch(records: list[DocRecord], *, parser: Any, fn: Any, in_worker: bool = False) -> _Encoded:
    """Parse a batch and encode its rows (token arrays as JSON text), catching per-document faults."""
    if in_worker:
        parser = _worker_parser(parser)
    docs, failures = [], []
    with relaxed_gc():
        results = parser.parse_many((r.text, r.mentions) for r in records)
        for record, parsed in zip(records, results, strict=True):
            try:
                docs.append(_encode_doc(record, parsed, fn))
            except Exception as err:  # a document that fails is reported, the batch goes on
                failures.append((record.name, f"{type(err).__name__}: {err}"))
    return _Encoded(docs, failures, len(records))


def _encode_doc(record: DocRecord, parsed: Any, fn: Any) -> _EncodedDoc:
    """Encode one parsed document; ``ValueError`` when it cannot be stored (checked here,
    so that the writer never meets it: a failure there would lose the whole batch)."""
    _check_record(record)
    meta = _encode_meta(record)
    if isinstance(parsed, Exception):
        raise parsed
    sentences, tokens = [], 0
    for s, abs_start in zip(parsed.sentences, parsed.abs_starts, strict=True):
        if fn is not None:
            s = fn(s)
        problem = _unstorable(s["text"])
        if problem is not None:
            raise ValueError(f"the text of sentence {s['position']} contains {problem}")
        tokens += len(s["words"])
        sid = sentence_stable_id(record.name, abs_start, abs_start + len(s["text"]))
        sentences.append([sid, s["position"], s["text"], *(_encode_array(s[a]) for a in TOKEN_ATTRIBUTES)])
    spans = [
        (p, span_stable_id(record.name, parsed.abs_starts[p] + a, parsed.abs_starts[p] + b), a, b)
        for p, a, b in parsed.spans
    ]
    return _EncodedDoc(record.name, meta, sentences, spans, tokens)


def _lone_surrogate(value: str) -> str | None:
    """Where ``value`` holds a lone surrogate (UTF-8, hence neither backend, cannot take it), or ``None``."""
    if value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        return f"a lone surrogate (U+{ord(value[err.start]):04X}) at index {err.start}, which UTF-8 cannot encode"
    return None


def _unstorable(value: str) -> str | None:
    """Why neither backend can store ``value`` as text (a NUL or a lone surrogate), or ``None``."""
    if "\x00" in value:
        return f"a NUL (U+0000) character at index {value.index(chr(0))}, which PostgreSQL cannot store"
    return _lone_surrogate(value)


def _short(value: str, limit: int = 60) -> str:
    """``repr(value)`` (NUL and surrogates escaped) cut to about ``limit`` characters, for messages."""
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}..."


def _check_record(record: DocRecord) -> None:
    """``ValueError`` when the document's name or text cannot be stored."""
    problem = _unstorable(record.name)
    if problem is not None:
        raise ValueError(f"the document name {_short(record.name)} contains {problem}")
    if len(record.name) > MAX_NAME_LENGTH:
        raise ValueError(
            f"the document name {_short(record.name)} is {len(record.name)} characters long; "
            f"the database stores at most {MAX_NAME_LENGTH}"
        )
    problem = _unstorable(record.text)
    if problem is not None:
        raise ValueError(f"the text contains {problem}")


def _encode_meta(record: DocRecord) -> str:
    """The document's meta (with its mentions) as JSON text both backends accept, else ``ValueError``."""
    meta = dict(record.meta)
    if record.mentions:
        meta["mentions"] = [list(m) for m in record.mentions]
    try:
        encoded = _encode_strict(meta)  # a NUL in a string becomes \u0000, which both backends keep
    except (TypeError, ValueError) as err:
        found = _meta_problem(meta, "meta")
        raise ValueError(" ".join(found) if found else f"meta cannot be stored as JSON: {err}") from err
    if _lone_surrogate(encoded) is not None:
        raise ValueError(" ".join(_meta_problem(meta, "meta") or ("meta", "contains a lone surrogate")))
    return encoded


def _meta_problem(value: Any, path: str) -> tuple[str, str] | None:
    """``(path, what is wrong)`` of the first value in ``value`` that JSON text cannot carry to both backends."""
    if isinstance(value, str):
        problem = _lone_surrogate(value)
        return (path, f"contains {problem}") if problem else None
    if isinstance(value, float) and not math.isfinite(value):
        return path, f"is {value!r}; JSON, and PostgreSQL's json type, have no NaN or Infinity"
    if value is None or isinstance(value, (bool, int, float)):
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}[{_short(str(key), 30)}]"
            problem = _lone_surrogate(key) if isinstance(key, str) else None
            found = (where, f"has a key that contains {problem}") if problem else _meta_problem(item, where)
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = _meta_problem(item, f"{path}[{i}]")
            if found:
                return found
        return None
    return path, f"is a {type(value).__name__}, which JSON cannot encode"


def _write(conn: Any, docs: list[_EncodedDoc]) -> _BatchResult:
    """Write one batch in the caller's transaction; documents stored meanwhile are skipped."""
    result = _BatchResult()
    if not docs:
        return result
    stored = _bind_names(conn, [d.name for d in docs])
    docs = [d for d in docs if d.name not in stored]
    result.skipped = len(stored)
    n_sent = sum(len(d.sentences) for d in docs)
    doc_ids = allocate_ids(conn, "document", len(docs))
    sent_ids = iter(allocate_ids(conn, "sentence", n_sent))
    span_ids = iter(allocate_ids(conn, "span", sum(len(d.spans) for d in docs)))
    doc_rows, sent_rows, span_rows = [], [], []
    for doc_id, d in zip(doc_ids, docs, strict=True):
        doc_rows.append((doc_id, f"{d.name}::document:0:0", d.name, d.meta))
        ids = [next(sent_ids) for _ in d.sentences]
        for sid, row in zip(ids, d.sentences, strict=True):
            sent_rows.append((sid, row[0], doc_id, *row[1:]))
        span_rows.extend((next(span_ids), stable, ids[p], a, b) for p, stable, a, b in d.spans)
        result.tokens += d.tokens
    insert_rows(conn, "document", ("id", "stable_id", "name", "meta"), doc_rows)
    insert_rows(conn, "sentence", SENTENCE_COLUMNS, sent_rows)
    insert_rows(conn, "span", ("id", "stable_id", "sentence_id", "char_start", "char_end"), span_rows)
    result.documents, result.sentences, result.spans = len(docs), n_sent, len(span_rows)
    return result


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
