"""Lightweight sentence rows for candidate extraction.

Extraction reads sentences with one plain SELECT per batch instead of building ORM
objects: a :class:`SentenceRow` has what spans and matchers use (``id``, ``text``,
the token arrays, ``document.name``), so ``TemporarySpan(row, start, end)`` behaves as
with a :class:`~snorkel_ie.db.models.Sentence`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from snorkel_ie.db.models import TOKEN_ATTRIBUTES, Document, Sentence
from snorkel_ie.db.models.context import SentenceMixin

__all__ = ["DocumentRef", "SentenceRow", "load_sentence_rows"]

IN_CHUNK = 2000
"""Largest IN (...) list sent in one statement."""


@dataclass(frozen=True, slots=True)
class DocumentRef:
    id: int
    name: str


class SentenceRow(SentenceMixin):
    """A read-only sentence: ``id``, ``document``, ``position``, ``text`` and the token arrays."""

    __slots__ = ("document", "document_id", "id", "position", "stable_id", "text", *TOKEN_ATTRIBUTES)

    def __init__(self, **values: Any):
        for name in self.__slots__:
            setattr(self, name, values.get(name))

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        return f"SentenceRow(id={self.id}, {text!r})"


def chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def load_sentence_rows(
    conn: Connection, sentence_ids: Sequence[int], *, attributes: Sequence[str] = TOKEN_ATTRIBUTES
) -> list[SentenceRow]:
    """The sentences with these ids, in id order, as :class:`SentenceRow` objects.

    Only the token ``attributes`` are read (the others are ``None``): decoding the
    JSON arrays is most of the cost of reading sentences.
    """
    s, d = Sentence.__table__, Document.__table__
    columns = [s.c.id, s.c.document_id, s.c.position, s.c.stable_id, s.c.text, *(s.c[a] for a in attributes)]
    out: list[SentenceRow] = []
    documents: dict[int, DocumentRef] = {}
    names = [c.name for c in columns]
    for ids in chunks(sorted(set(sentence_ids))):
        stmt = select(*columns, d.c.name).join(d, d.c.id == s.c.document_id).where(s.c.id.in_(list(ids)))
        for *values, doc_name in conn.execute(stmt.order_by(s.c.id)):
            row = dict(zip(names, values, strict=True))
            doc = documents.get(row["document_id"])
            if doc is None:
                doc = documents[row["document_id"]] = DocumentRef(row["document_id"], doc_name)
            row["document"] = doc
            out.append(SentenceRow(**row))
    return out
