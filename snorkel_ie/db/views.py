"""Read-only views of documents, sentences, spans and candidates: the one set the bulk paths use.

Building ORM objects for a million candidates with their spans and sentences costs
minutes; candidate extraction and labeling functions only read them. The views offer
the read API of the ORM classes:

- :class:`SentenceView` (all of :class:`~snorkel_ie.db.models.context.SentenceMixin`),
  whose token arrays are decoded from their stored JSON on first use;
- :class:`SpanView` (all of :class:`~snorkel_ie.db.models.SpanMixin`: ``get_span()``,
  ``get_attrib_tokens()``, ``get_word_start()`` ...);
- :class:`CandidateView` (``c.person1``, ``c[0]``, ``get_contexts()``, ``get_parent()``,
  ``get_cids()``), one subclass per candidate class from :func:`view_class`;
- :class:`DocumentView` (``name``, ``meta``; ``sentences`` loaded for a whole batch on first use).

:func:`load_sentences` reads sentences for extraction, :func:`load_views` candidates
for labeling; both are a few Core queries per batch run on the raw cursor.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, Text, and_, cast, select

from snorkel_ie.db import dbapi
from snorkel_ie.db.models import (
    TOKEN_ATTRIBUTES,
    Candidate,
    CandidateSpan,
    Document,
    Sentence,
    Span,
    SpanMixin,
    candidate_parent,
    span_stable_id,
)
from snorkel_ie.db.models.context import SentenceMixin

__all__ = [
    "CandidateView",
    "DocumentView",
    "SentenceView",
    "SpanView",
    "candidate_filter",
    "chunks",
    "load_sentences",
    "load_views",
    "view_class",
]

IN_CHUNK = 2000
"""Largest IN (...) list sent in one statement."""


def chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    """``items`` in slices of at most ``size``."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def candidate_filter(*, split: int | None, candidate_type: str | None) -> list[Any]:
    """Core conditions on ``candidate`` selecting ``split`` and ``candidate_type`` (None: any)."""
    c = Candidate.__table__
    conds = []
    if candidate_type is not None:
        conds.append(c.c.type == candidate_type)
    if split is not None:
        conds.append(c.c.split == int(split))
    return conds


class DocumentView:
    """A document's id, name, (lazily decoded) meta and (lazily loaded) sentences."""

    __slots__ = ("_loader", "_meta", "_sentences", "id", "name")

    def __init__(self, id: int, name: str, meta: Any = None, loader: _SentenceLoader | None = None):
        self.id, self.name, self._meta = id, name, meta
        self._loader, self._sentences = loader, None

    @property
    def sentences(self) -> list[SentenceView]:
        """The document's sentences in order (loaded for the whole batch on first access)."""
        if self._sentences is None:
            if self._loader is None:
                raise AttributeError("this document view was built without a database to load its sentences from")
            self._loader.load()
        return self._sentences

    @property
    def meta(self) -> Any:
        if isinstance(self._meta, str):
            self._meta = json.loads(self._meta)
        return self._meta

    @property
    def stable_id(self) -> str:
        return f"{self.name}::document:0:0"

    def __repr__(self) -> str:
        return f"DocumentView({self.name!r})"


class SentenceView(SentenceMixin):
    """A sentence: ``id``, ``document``, ``position``, ``text`` and the token arrays.

    ``row`` is ``(id, document_id, position, stable_id, text, *token arrays)`` in
    ``TOKEN_ATTRIBUTES`` order; an array given as its stored JSON text is decoded on
    first access, one not read is ``None``.
    """

    def __init__(self, row: Sequence[Any], document: DocumentView):
        self.id, self.document_id, self.position, self.stable_id, self.text = row[:5]
        self.document = document
        self._raw = dict(zip(TOKEN_ATTRIBUTES, row[5:], strict=True))

    def __getattr__(self, name: str) -> Any:
        raw = self.__dict__.get("_raw")
        if raw is None or name not in raw:
            raise AttributeError(name)
        value = raw[name]
        value = json.loads(value) if isinstance(value, str) else value
        self.__dict__[name] = value
        return value

    def __repr__(self) -> str:
        return f"SentenceView({self.stable_id!r})"


class SpanView(SpanMixin):
    """An argument span of a candidate view."""

    __slots__ = ("char_end", "char_start", "id", "sentence")

    def __init__(self, id: int, sentence: SentenceView, char_start: int, char_end: int):
        self.id, self.sentence, self.char_start, self.char_end = id, sentence, char_start, char_end

    @property
    def sentence_id(self) -> int:
        return self.sentence.id

    @property
    def stable_id(self) -> str:
        return span_stable_id(self.sentence.document.name, self.abs_char_start, self.abs_char_end)

    def get_stable_id(self) -> str:
        return self.stable_id

    def __repr__(self) -> str:
        return f"SpanView({self.get_span()!r}, chars=[{self.char_start}, {self.char_end}))"


class CandidateView:
    """Read-only stand-in for a candidate; a subclass per candidate class adds the named arguments."""

    __slots__ = ("args", "id", "sentence", "split")
    __argnames__: tuple[str, ...] = ()
    cardinality: int = 2
    values: tuple[Any, ...] = (False, True)
    type: str = ""

    def __init__(self, id: int, split: int, sentence: SentenceView, args: tuple[SpanView, ...]):
        self.id, self.split, self.sentence, self.args = id, split, sentence, args

    @property
    def sentence_id(self) -> int:
        return self.sentence.id

    def get_contexts(self) -> tuple[SpanView, ...]:
        return self.args

    def get_parent(self) -> SentenceView | DocumentView:
        """The sentence of every argument; the document when they lie in several sentences."""
        return candidate_parent(self)

    def get_sentences(self) -> tuple[SentenceView, ...]:
        """The sentence of each argument, in argument order."""
        return tuple(span.sentence for span in self.args)

    def get_cids(self) -> tuple[Any, ...]:
        out = []
        for span in self.args:
            tokens = span.get_attrib_tokens("entity_cids")
            out.append(tokens[0] if tokens else None)
        return tuple(out)

    def __len__(self) -> int:
        return len(self.args)

    def __getitem__(self, key: int) -> SpanView:
        return self.args[key]

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={s.get_span()!r}" for n, s in zip(self.__argnames__, self.args, strict=False))
        return f"{type(self).__name__}(id={self.id}, {args})"


_view_classes: dict[tuple[str, tuple[str, ...]], type[CandidateView]] = {}


def view_class(type_name: str, argnames: Sequence[str], cardinality: int = 2, values: Sequence[Any] = (False, True)):
    """The view class of a candidate class: named argument properties, cardinality and values."""
    key = (type_name, tuple(argnames))
    cls = _view_classes.get(key)
    if cls is None:
        ns: dict[str, Any] = {"__slots__": (), "__argnames__": tuple(argnames), "type": type_name}
        ns["cardinality"], ns["values"] = cardinality, tuple(values)
        for i, name in enumerate(argnames):
            ns[name] = property(lambda self, _i=i: self.args[_i])
        cls = _view_classes[key] = type(f"{type_name.capitalize()}View", (CandidateView,), ns)
    return cls


def _sentence_columns(attributes: Sequence[str] = TOKEN_ATTRIBUTES) -> list[Any]:
    """Sentence columns in :class:`SentenceView` row order; arrays as their JSON text (NULL when not read)."""
    s = Sentence.__table__
    arrays = [cast(s.c[a], Text) if a in attributes else cast(None, Text) for a in TOKEN_ATTRIBUTES]
    return [s.c.id, s.c.document_id, s.c.position, s.c.stable_id, s.c.text, *arrays]


class _SentenceLoader:
    """Loads, on first use, every sentence of a batch's documents in one query per chunk."""

    def __init__(self, engine: Any, documents: dict[int, DocumentView]):
        self.engine, self.documents = engine, documents

    def load(self) -> None:
        s = Sentence.__table__
        by_doc: dict[int, list[SentenceView]] = {i: [] for i in self.documents}
        with self.engine.connect() as conn:
            for part in chunks(sorted(self.documents)):
                stmt = select(*_sentence_columns()).where(s.c.document_id.in_(list(part)))
                for row in dbapi.fetchall(conn, stmt.order_by(s.c.document_id, s.c.position)):
                    by_doc[row[1]].append(SentenceView(row, self.documents[row[1]]))
        for doc_id, sentences in by_doc.items():
            self.documents[doc_id]._sentences = sentences


def load_sentences(
    conn: Connection, sentence_ids: Sequence[int], *, attributes: Sequence[str] = TOKEN_ATTRIBUTES
) -> list[SentenceView]:
    """The sentences with these ids, in id order, with their documents' names.

    Only the token ``attributes`` are read (the others are ``None``).
    """
    s, d = Sentence.__table__, Document.__table__
    out: list[SentenceView] = []
    documents: dict[int, DocumentView] = {}
    for ids in chunks(sorted(set(sentence_ids))):
        stmt = select(*_sentence_columns(attributes), d.c.name).join(d, d.c.id == s.c.document_id)
        for *row, doc_name in dbapi.fetchall(conn, stmt.where(s.c.id.in_(list(ids))).order_by(s.c.id)):
            doc = documents.get(row[1])
            if doc is None:
                doc = documents[row[1]] = DocumentView(row[1], doc_name)
            out.append(SentenceView(row, doc))
    return out


def load_views(
    conn: Connection, ids: np.ndarray, *, candidate_type: str, split: int | None, view_cls: type[CandidateView]
) -> list[CandidateView]:
    """Views of the candidates with ``ids`` (sorted), in that order."""
    if len(ids) == 0:
        return []
    c, cs, sp, s, d = (t.__table__ for t in (Candidate, CandidateSpan, Span, Sentence, Document))
    where = and_(
        *candidate_filter(split=split, candidate_type=candidate_type), c.c.id.between(int(ids[0]), int(ids[-1]))
    )
    cands = dbapi.fetchall(conn, select(c.c.id, c.c.split, c.c.sentence_id).where(where).order_by(c.c.id))
    if len(cands) != len(ids):  # ids is a subset of the range (e.g. from a cids_query)
        keep = np.isin(np.array([r[0] for r in cands], dtype=np.int64), ids)
        cands = [r for r, k in zip(cands, keep, strict=True) if k]
    span_stmt = (
        select(cs.c.candidate_id, sp.c.id, sp.c.char_start, sp.c.char_end, sp.c.sentence_id)
        .join(sp, sp.c.id == cs.c.span_id)
        .join(c, c.c.id == cs.c.candidate_id)
        .where(where)
        .order_by(cs.c.candidate_id, cs.c.position)
    )
    spans: dict[int, list[tuple[int, int, int, int]]] = {}
    for cid, sid, start, end, sent_id in dbapi.fetchall(conn, span_stmt):
        spans.setdefault(cid, []).append((sid, start, end, sent_id))
    in_batch = select(c.c.sentence_id).where(where).distinct()
    sentence_rows = dbapi.fetchall(conn, select(*_sentence_columns()).where(s.c.id.in_(in_batch)))
    # document-scope candidates have arguments outside the candidate's own sentence
    known = {r[0] for r in sentence_rows}
    elsewhere = sorted({a[3] for args in spans.values() for a in args} - known)
    for part in chunks(elsewhere):
        sentence_rows.extend(dbapi.fetchall(conn, select(*_sentence_columns()).where(s.c.id.in_(list(part)))))
    docs: dict[int, DocumentView] = {}
    loader = _SentenceLoader(conn.engine, docs)
    for part in chunks(sorted({r[1] for r in sentence_rows})):
        stmt = select(d.c.id, d.c.name, cast(d.c.meta, Text)).where(d.c.id.in_(list(part)))
        docs.update({i: DocumentView(i, name, meta, loader) for i, name, meta in dbapi.fetchall(conn, stmt)})
    sentences = {r[0]: SentenceView(r, docs[r[1]]) for r in sentence_rows}
    out = []
    for cid, split_, sid in cands:
        sent = sentences[sid]
        args = tuple(SpanView(span_id, sentences[sent_id], a, b) for span_id, a, b, sent_id in spans.get(cid, ()))
        out.append(view_cls(cid, split_, sent, args))
    return out
