"""Light, read-only candidate objects loaded with four SQL queries instead of the ORM.

Loading a million ``Candidate`` ORM objects with their spans and sentences costs minutes;
LFs only read them. :func:`load_views` builds :class:`CandidateView` objects that offer
the read API of a candidate (``c.person1``, ``c[0]``, ``get_contexts()``, ``get_parent()``,
``get_cids()``), whose spans are :class:`SpanView` (all of
:class:`~snorkel_ie.db.models.SpanMixin`: ``get_span()``, ``get_attrib_tokens()``,
``get_word_start()``...) and whose sentences decode a token array on first use.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection

from snorkel_ie.db.models import TOKEN_ATTRIBUTES, SpanMixin, span_stable_id
from snorkel_ie.db.models.context import SentenceMixin
from snorkel_ie.labeling import _rows


class _SentenceLoader:
    """Loads, on first use, every sentence of a batch's documents in one query."""

    def __init__(self, engine: Any, documents: dict[int, DocumentView]):
        self.engine, self.documents = engine, documents

    def load(self) -> None:
        attrs = ", ".join(f"CAST(s.{a} AS TEXT)" for a in TOKEN_ATTRIBUTES)
        by_doc: dict[int, list[SentenceView]] = {i: [] for i in self.documents}
        ids = sorted(self.documents)
        with self.engine.connect() as conn:
            p = _rows.placeholder(conn)
            cur = conn.connection.dbapi_connection.cursor()
            try:
                for start in range(0, len(ids), 900):
                    part = ids[start : start + 900]
                    cur.execute(
                        f"SELECT s.id, s.document_id, s.position, s.stable_id, s.text, {attrs} FROM sentence s "
                        f"WHERE s.document_id IN ({', '.join(p for _ in part)}) ORDER BY s.document_id, s.position",
                        part,
                    )
                    for row in cur.fetchall():
                        by_doc[row[1]].append(SentenceView(row, self.documents[row[1]]))
            finally:
                cur.close()
        for doc_id, sentences in by_doc.items():
            self.documents[doc_id]._sentences = sentences


class DocumentView:
    """A document's id, name, (lazily decoded) meta and (lazily loaded) sentences."""

    __slots__ = ("_loader", "_meta", "_sentences", "id", "name")

    def __init__(self, id: int, name: str, meta: Any, loader: _SentenceLoader | None = None):
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
    """A sentence with its token arrays, each JSON-decoded on first access."""

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

    def get_parent(self) -> SentenceView:
        return self.sentence

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


def load_views(
    conn: Connection, ids: np.ndarray, *, candidate_type: str, split: int | None, view_cls: type[CandidateView]
) -> list[CandidateView]:
    """Views of the candidates with ``ids`` (sorted), in that order."""
    if len(ids) == 0:
        return []
    lo, hi = int(ids[0]), int(ids[-1])
    p = _rows.placeholder(conn)
    where, params = _rows.split_filter(conn, "c", split=split, candidate_type=candidate_type)
    where += f" AND c.id BETWEEN {p} AND {p}"
    params += [lo, hi]
    cur = conn.connection.dbapi_connection.cursor()
    try:
        cur.execute(f"SELECT c.id, c.split, c.sentence_id FROM candidate c WHERE {where} ORDER BY c.id", params)
        cands = cur.fetchall()
        if len(cands) != len(ids):  # ids is a subset of the range (e.g. from a cids_query)
            keep = np.isin(np.array([r[0] for r in cands], dtype=np.int64), ids)
            cands = [r for r, k in zip(cands, keep, strict=True) if k]
        cur.execute(
            "SELECT cs.candidate_id, s.id, s.char_start, s.char_end FROM candidate_span cs "
            f"JOIN span s ON s.id = cs.span_id JOIN candidate c ON c.id = cs.candidate_id WHERE {where} "
            "ORDER BY cs.candidate_id, cs.position",
            params,
        )
        spans: dict[int, list[tuple[int, int, int]]] = {}
        for cid, sid, start, end in cur.fetchall():
            spans.setdefault(cid, []).append((sid, start, end))
        attrs = ", ".join(f"CAST(s.{a} AS TEXT)" for a in TOKEN_ATTRIBUTES)
        cur.execute(
            f"SELECT s.id, s.document_id, s.position, s.stable_id, s.text, {attrs} FROM sentence s "
            f"WHERE s.id IN (SELECT DISTINCT c.sentence_id FROM candidate c WHERE {where})",
            params,
        )
        sentence_rows = cur.fetchall()
        doc_ids = sorted({r[1] for r in sentence_rows})
        docs: dict[int, DocumentView] = {}
        loader = _SentenceLoader(conn.engine, docs)
        for start in range(0, len(doc_ids), 900):
            part = doc_ids[start : start + 900]
            cur.execute(
                f"SELECT id, name, CAST(meta AS TEXT) FROM document WHERE id IN ({', '.join(p for _ in part)})", part
            )
            docs.update({i: DocumentView(i, name, meta, loader) for i, name, meta in cur.fetchall()})
    finally:
        cur.close()
    sentences = {r[0]: SentenceView(r, docs[r[1]]) for r in sentence_rows}
    out = []
    for cid, split_, sid in cands:
        sent = sentences[sid]
        args = tuple(SpanView(span_id, sent, a, b) for span_id, a, b in spans.get(cid, ()))
        out.append(view_cls(cid, split_, sent, args))
    return out
