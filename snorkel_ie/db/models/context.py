"""The context hierarchy: Context > Document > Sentence > Span.

A :class:`Context` is anything a candidate can be built from. Every context has a
``stable_id`` that depends only on the document name and character offsets, so gold
labels reattach after a corpus is parsed again.

Offsets: ``Span.char_start``/``char_end`` are relative to the sentence text and
``char_end`` is exclusive (``sentence.text[span.char_start:span.char_end]``).
``Sentence.char_offsets`` are sentence-relative token starts and
``Sentence.abs_char_offsets`` are the same starts in the document text.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.ext.declarative import AbstractConcreteBase
from sqlalchemy.orm import Mapped, mapped_column, relationship

from snorkel_ie.db.models.base import Base, TokenArray

if TYPE_CHECKING:
    from collections.abc import Sequence

TOKEN_ATTRIBUTES = (
    "words",
    "char_offsets",
    "abs_char_offsets",
    "lemmas",
    "pos_tags",
    "ner_tags",
    "dep_parents",
    "dep_labels",
    "entity_cids",
    "entity_types",
)
"""Per-token arrays stored on every :class:`Sentence`, all of the same length."""


def document_stable_id(name: str) -> str:
    return f"{name}::document:0:0"


def sentence_stable_id(name: str, abs_start: int, abs_end: int) -> str:
    return f"{name}::sentence:{abs_start}:{abs_end}"


def span_stable_id(name: str, abs_start: int, abs_end: int) -> str:
    """Stable id of a span: document name and absolute, end-exclusive character offsets."""
    return f"{name}::span:{abs_start}:{abs_end}"


def split_stable_id(stable_id: str) -> tuple[str, str, int, int]:
    """Split a stable id into (document name, kind, start, end)."""
    head, _, tail = stable_id.rpartition("::")
    kind, start, end = tail.split(":")
    return head, kind, int(start), int(end)


class Context(AbstractConcreteBase, Base):
    """Polymorphic base of documents, sentences and spans.

    Each concrete class has its own table, so the database's ON DELETE CASCADE removes
    a document's sentences, spans, candidates and annotations with no orphan rows;
    ``select(Context)`` still queries all three (a UNION of the tables).
    """

    strict_attrs = True

    id: Mapped[int] = mapped_column(primary_key=True)
    stable_id: Mapped[str] = mapped_column(String(1024), unique=True)

    def get_stable_id(self) -> str:
        return self.stable_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.stable_id!r})"


class Document(Context):
    """A named document; ``meta`` holds reader metadata (e.g. gold ``relations``)."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    stable_id: Mapped[str] = mapped_column(String(1024), unique=True)
    name: Mapped[str] = mapped_column(String(512), unique=True)
    meta: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    sentences: Mapped[list[Sentence]] = relationship(
        back_populates="document",
        order_by="Sentence.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        foreign_keys="Sentence.document_id",
    )

    __mapper_args__ = {"polymorphic_identity": "document", "concrete": True}

    def __init__(self, name: str, meta: dict[str, Any] | None = None, **kw: Any):
        super().__init__(name=name, meta=meta, stable_id=kw.pop("stable_id", document_stable_id(name)), **kw)

    def __repr__(self) -> str:
        return f"Document({self.name!r})"


class SentenceMixin:
    """Behaviour shared by the persisted :class:`Sentence` and the read-only sentence rows
    that bulk paths build (candidate extraction, labeling views). Needs ``words``,
    ``char_offsets``, ``abs_char_offsets`` and the other token arrays."""

    __slots__ = ()

    words: list[Any]
    char_offsets: list[Any]
    abs_char_offsets: list[Any]

    @property
    def abs_char_start(self) -> int:
        """Offset of the sentence's first character in the document text."""
        return self.abs_char_offsets[0] - self.char_offsets[0] if self.words else 0

    def _asdict(self) -> dict[str, Any]:
        return {a: getattr(self, a) for a in ("id", "position", "text", *TOKEN_ATTRIBUTES)}

    def __len__(self) -> int:
        return len(self.words)


class Sentence(SentenceMixin, Context):
    """One sentence of a document with its token arrays."""

    __tablename__ = "sentence"

    id: Mapped[int] = mapped_column(primary_key=True)
    stable_id: Mapped[str] = mapped_column(String(1024), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    words: Mapped[list[Any]] = mapped_column(TokenArray)
    char_offsets: Mapped[list[Any]] = mapped_column(TokenArray)
    abs_char_offsets: Mapped[list[Any]] = mapped_column(TokenArray)
    lemmas: Mapped[list[Any]] = mapped_column(TokenArray)
    pos_tags: Mapped[list[Any]] = mapped_column(TokenArray)
    ner_tags: Mapped[list[Any]] = mapped_column(TokenArray)
    dep_parents: Mapped[list[Any]] = mapped_column(TokenArray)
    dep_labels: Mapped[list[Any]] = mapped_column(TokenArray)
    entity_cids: Mapped[list[Any]] = mapped_column(TokenArray)
    entity_types: Mapped[list[Any]] = mapped_column(TokenArray)

    document: Mapped[Document] = relationship(back_populates="sentences", foreign_keys=[document_id])
    spans: Mapped[list[Span]] = relationship(
        back_populates="sentence", cascade="all, delete-orphan", passive_deletes=True, foreign_keys="Span.sentence_id"
    )

    __table_args__ = (UniqueConstraint("document_id", "position"),)
    __mapper_args__ = {"polymorphic_identity": "sentence", "concrete": True}

    def get_parent(self) -> Document:
        """The sentence's document (Snorkel 0.7's context hierarchy)."""
        return self.document

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        return f"Sentence({self.stable_id!r}, {text!r})"


class SpanMixin:
    """Behaviour shared by persisted :class:`Span` rows and :class:`TemporarySpan` objects.

    Needs ``sentence``, ``char_start`` and ``char_end`` (sentence-relative, end exclusive).
    """

    sentence: Sentence
    char_start: int
    char_end: int

    def get_parent(self) -> Sentence:
        return self.sentence

    def get_span(self) -> str:
        """The text of the span."""
        return self.sentence.text[self.char_start : self.char_end]

    @property
    def text(self) -> str:
        """The text of the span (as a RawText argument's ``c.tweet.text`` reads it)."""
        return self.get_span()

    def char_to_word_index(self, ci: int) -> int:
        """Index of the token that contains sentence-relative character ``ci``."""
        return max(bisect_right(self.sentence.char_offsets, ci) - 1, 0)

    def word_to_char_index(self, wi: int) -> int:
        return self.sentence.char_offsets[wi]

    def get_word_start(self) -> int:
        return self.char_to_word_index(self.char_start)

    def get_word_end(self) -> int:
        """Index of the last token of the span (inclusive)."""
        return self.char_to_word_index(max(self.char_end - 1, self.char_start))

    def get_word_range(self) -> range:
        return range(self.get_word_start(), self.get_word_end() + 1)

    def get_n(self) -> int:
        """Number of tokens in the span."""
        return self.get_word_end() - self.get_word_start() + 1

    def get_attrib_tokens(self, a: str = "words") -> list[Any]:
        """The per-token attribute ``a`` over the span's tokens."""
        return list(getattr(self.sentence, a)[self.get_word_start() : self.get_word_end() + 1])

    def get_attrib_span(self, a: str = "words", sep: str = " ") -> str:
        """The span as a string of attribute ``a``; ``words`` gives the exact text."""
        if a == "words":
            return self.get_span()
        return sep.join(str(t) for t in self.get_attrib_tokens(a))

    @property
    def abs_char_start(self) -> int:
        return self.sentence.abs_char_start + self.char_start

    @property
    def abs_char_end(self) -> int:
        return self.sentence.abs_char_start + self.char_end

    def span_key(self) -> tuple[int, int, int]:
        """Identity of the span within the corpus: (sentence id, start, end)."""
        return (self.sentence.id, self.char_start, self.char_end)

    def __contains__(self, other: SpanMixin) -> bool:
        return (
            self.sentence is other.sentence or self.sentence.id == other.sentence.id
        ) and self.char_start <= other.char_start and other.char_end <= self.char_end

    def __len__(self) -> int:
        return self.char_end - self.char_start


class Span(SpanMixin, Context):
    """A persisted character span of a sentence."""

    __tablename__ = "span"

    id: Mapped[int] = mapped_column(primary_key=True)
    stable_id: Mapped[str] = mapped_column(String(1024), unique=True)
    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentence.id", ondelete="CASCADE"))
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)

    sentence: Mapped[Sentence] = relationship(back_populates="spans", foreign_keys=[sentence_id])

    __table_args__ = (UniqueConstraint("sentence_id", "char_start", "char_end"),)
    __mapper_args__ = {"polymorphic_identity": "span", "concrete": True}

    def __repr__(self) -> str:
        return f"Span({self.get_span()!r}, sentence={self.sentence_id}, chars=[{self.char_start}, {self.char_end}))"


@dataclass(eq=False)
class TemporarySpan(SpanMixin):
    """A span that is not (yet) in the database: what candidate spaces yield and matchers test."""

    sentence: Sentence
    char_start: int
    char_end: int
    meta: dict[str, Any] | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SpanMixin):
            return NotImplemented
        return self.span_key() == other.span_key()

    def __hash__(self) -> int:
        return hash(self.span_key())

    def get_stable_id(self) -> str:
        return span_stable_id(self.sentence.document.name, self.abs_char_start, self.abs_char_end)

    def __repr__(self) -> str:
        return f"TemporarySpan({self.get_span()!r}, chars=[{self.char_start}, {self.char_end}))"


def sentence_spans(sentence: Sentence, token_ranges: Sequence[tuple[int, int]]) -> list[TemporarySpan]:
    """Temporary spans for ``(first_token, last_token_exclusive)`` ranges of ``sentence``."""
    out = []
    for i, j in token_ranges:
        start = sentence.char_offsets[i]
        end = sentence.char_offsets[j - 1] + len(sentence.words[j - 1])
        out.append(TemporarySpan(sentence, start, end))
    return out

