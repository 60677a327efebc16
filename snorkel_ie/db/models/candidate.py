"""Candidates: tuples of spans, stored in two generic tables.

``candidate(id, type, split, sentence_id, span_key)`` holds one row per candidate (unique
per type, sentence and argument offsets) and
``candidate_span(candidate_id, position, span_id)`` its arguments. A class made by
:func:`candidate_subclass` is a single-table-inheritance subclass of :class:`Candidate`
with ``type`` as discriminator, so new candidate classes need no DDL and several of them
share one database without touching each other.

``candidate_class(type, class_name, arguments, cardinality, label_values)`` keeps the
definition of each class whose candidates were extracted, so a process that never called
:func:`candidate_subclass` (a command, a worker) rebuilds the class with its argument
names: :func:`load_candidate_class`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import JSON, Connection, ForeignKey, Index, Integer, String, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from snorkel_ie.db.models.base import Base
from snorkel_ie.db.models.context import Sentence, Span
from snorkel_ie.db.models.raw_text import RawText
from snorkel_ie.errors import CandidateError


class Candidate(Base):
    """Base of every candidate class; query a subclass to get one type only."""

    __tablename__ = "candidate"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    split: Mapped[int] = mapped_column(Integer, default=0)
    sentence_id: Mapped[int] = mapped_column(ForeignKey("sentence.id", ondelete="CASCADE"))
    span_key: Mapped[str] = mapped_column(String(256))
    """The arguments' sentence-relative offsets, ``"start:end,start:end"``: with ``type`` and
    ``sentence_id`` it makes a candidate unique per span tuple, and it is known before any
    span has an id. ``sentence_id`` is the sentence of the first argument; an argument in
    another sentence of the document (a document-scope candidate) is written
    ``"start:end@position"`` with that sentence's position (:func:`argument_key`)."""

    sentence: Mapped[Sentence] = relationship(lazy="select")
    argument_rows: Mapped[list[CandidateSpan]] = relationship(
        order_by="CandidateSpan.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        back_populates="candidate",
    )

    __table_args__ = (
        UniqueConstraint("sentence_id", "type", "span_key"),
        Index("ix_candidate_type_split", "type", "split"),
    )
    __mapper_args__ = {"polymorphic_on": "type", "polymorphic_identity": "candidate"}

    # Set on each subclass by candidate_subclass.
    __argnames__: tuple[str, ...] = ()
    cardinality: int = 2
    values: tuple[Any, ...] = (False, True)

    def get_contexts(self) -> tuple[Span, ...]:
        """The argument spans in order."""
        return tuple(row.span for row in self.argument_rows)

    def get_parent(self) -> Sentence | Any:
        """The sentence holding every argument; the document when they lie in several sentences."""
        return candidate_parent(self)

    def get_sentences(self) -> tuple[Sentence, ...]:
        """The sentence of each argument, in argument order."""
        return tuple(span.sentence for span in self.get_contexts())

    def get_cids(self) -> tuple[str | None, ...]:
        """Entity ids of the arguments (from pre-tagged ``entity_cids``), one per argument."""
        cids = []
        for span in self.get_contexts():
            tokens = span.get_attrib_tokens("entity_cids")
            cids.append(tokens[0] if tokens else None)
        return tuple(cids)

    def __len__(self) -> int:
        return len(self.argument_rows)

    def __getitem__(self, key: int) -> Span:
        return self.get_contexts()[key]

    def __repr__(self) -> str:
        args = ", ".join(
            f"{name}={span.get_span()!r}" for name, span in zip(self.__argnames__, self.get_contexts(), strict=False)
        )
        return f"{type(self).__name__}(id={self.id}, {args})"


class CandidateSpan(Base):
    """One argument of a candidate: which span sits at which position."""

    __tablename__ = "candidate_span"

    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    span_id: Mapped[int] = mapped_column(ForeignKey("span.id", ondelete="CASCADE"))

    candidate: Mapped[Candidate] = relationship(back_populates="argument_rows")
    span: Mapped[Span] = relationship(lazy="joined")

    __table_args__ = (Index("ix_candidate_span_span_id", "span_id"),)


def span_key(offsets: Sequence[tuple[int, int]], positions: Sequence[int | None] | None = None) -> str:
    """The ``span_key`` of a candidate whose arguments have these (char_start, char_end) offsets.

    ``positions`` gives, per argument, the position of its sentence when it is not the
    first argument's sentence (None when it is).
    """
    positions = positions if positions is not None else [None] * len(offsets)
    return ",".join(
        f"{int(a)}:{int(b)}" + ("" if p is None else f"@{int(p)}") for (a, b), p in zip(offsets, positions, strict=True)
    )


def argument_key(spans: Sequence[Any]) -> str:
    """The ``span_key`` of a candidate over ``spans`` (each with ``sentence``, ``char_start``, ``char_end``).

    Same-sentence candidates get the key they always had; an argument in another sentence
    than the first argument's carries that sentence's position.
    """
    anchor = spans[0].sentence
    positions = [None if _same_sentence(s.sentence, anchor) else s.sentence.position for s in spans]
    return span_key([(s.char_start, s.char_end) for s in spans], positions)


def _same_sentence(a: Any, b: Any) -> bool:
    if a is b:
        return True
    ids = (getattr(a, "id", None), getattr(b, "id", None))
    if ids[0] is not None and ids[1] is not None:
        return ids[0] == ids[1]
    return getattr(a, "position", None) == getattr(b, "position", None) and _document_of(a) is _document_of(b)


def _document_of(sentence: Any) -> Any:
    return getattr(sentence, "document", None)


def candidate_parent(candidate: Any) -> Any:
    """The parent of a candidate (ORM or view): its sentence, or its document when the
    arguments lie in different sentences (a document-scope candidate)."""
    anchor = candidate.sentence
    if all(_same_sentence(span.sentence, anchor) for span in candidate.get_contexts()):
        return anchor
    return anchor.document


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_registry: dict[str, type[Candidate]] = {}
_registry_lock = threading.Lock()


def _argument_property(position: int, name: str) -> property:
    def get(self: Candidate) -> Span:
        return self.argument_rows[position].span

    return property(get, doc=f"Argument {position} ({name!r}) of the candidate: a Span.")


def _argument_span(arg: Any) -> Any:
    """A candidate argument as a span: a RawText stands for the span over its whole text."""
    return arg.span if isinstance(arg, RawText) else arg


def _constructor(self: Candidate, split: int = 0, **kwargs: Any) -> None:
    names = type(self).__argnames__
    spans = [_argument_span(kwargs.pop(name, None)) for name in names]
    if kwargs:
        raise CandidateError(f"{type(self).__name__} got unexpected arguments {sorted(kwargs)}; expected {names}")
    if any(s is None for s in spans):
        missing = [n for n, s in zip(names, spans, strict=True) if s is None]
        raise CandidateError(f"{type(self).__name__} needs every argument span; missing {missing}")
    documents = {id(_document_of(s.sentence)) for s in spans}
    if len(documents) != 1:
        raise CandidateError(f"{type(self).__name__}: the argument spans lie in different documents")
    Candidate.__init__(self, split=split, sentence=spans[0].sentence, span_key=argument_key(spans))
    self.argument_rows = [CandidateSpan(position=i, span=s) for i, s in enumerate(spans)]


def candidate_subclass(
    class_name: str,
    args: Sequence[str],
    table_name: str | None = None,
    cardinality: int | None = None,
    values: Sequence[Any] | None = None,
) -> type[Candidate]:
    """Create (or return the existing) candidate class ``class_name`` with argument names ``args``.

    Parameters
    ----------
    class_name
        Name of the class, e.g. ``'Spouse'``. Its lower-cased form is the ``type`` stored
        in the database.
    args
        Argument names, e.g. ``['person1', 'person2']``; each becomes a property that
        returns the argument's :class:`Span`.
    table_name
        Accepted for compatibility with the original Snorkel; must match
        ``class_name.lower()`` when given (there is no per-class table).
    cardinality, values
        Number of classes (default 2, binary) or their values; categorical models label
        ``1..cardinality``.

    Examples
    --------
    >>> Spouse = candidate_subclass('Spouse', ['person1', 'person2'])
    >>> Spouse.__argnames__
    ('person1', 'person2')
    """
    args = tuple(args)
    if not _IDENTIFIER.match(class_name):
        raise CandidateError(f"candidate class name {class_name!r} is not a Python identifier")
    if not args or not all(isinstance(a, str) and _IDENTIFIER.match(a) for a in args):
        raise CandidateError(f"candidate arguments must be a non-empty list of identifiers; got {list(args)!r}")
    if len(set(args)) != len(args):
        raise CandidateError(f"candidate arguments must be distinct; got {list(args)!r}")
    reserved = set(dir(Candidate))
    if clash := sorted(set(args) & reserved):
        raise CandidateError(f"argument names {clash} clash with attributes of Candidate; rename them")
    type_name = class_name.lower()
    if table_name is not None and table_name != type_name:
        raise CandidateError(
            f"table_name={table_name!r} is not supported: candidates of every class share the 'candidate' table "
            f"and are told apart by type {type_name!r}"
        )
    if values is not None:
        values = tuple(values)
        if cardinality is not None and cardinality != len(values):
            raise CandidateError(f"cardinality={cardinality} does not match {len(values)} values")
        cardinality = len(values)
    cardinality = 2 if cardinality is None else int(cardinality)
    if cardinality < 2:
        raise CandidateError(f"cardinality must be at least 2; got {cardinality}")
    values = values if values is not None else ((False, True) if cardinality == 2 else tuple(range(1, cardinality + 1)))

    with _registry_lock:
        existing = _registry.get(type_name)
        if existing is not None:
            same = (existing.__name__, existing.__argnames__, existing.cardinality, existing.values)
            if same != (class_name, args, cardinality, values):
                raise CandidateError(
                    f"candidate class {class_name!r} already exists with arguments {existing.__argnames__} and "
                    f"cardinality {existing.cardinality}; restart the Python process to redefine it"
                )
            return existing
        namespace: dict[str, Any] = {
            "__module__": __name__,
            "__argnames__": args,
            "cardinality": cardinality,
            "values": values,
            "__mapper_args__": {"polymorphic_identity": type_name},
            "__init__": _constructor,
        }
        namespace.update({name: _argument_property(i, name) for i, name in enumerate(args)})
        cls = type(class_name, (Candidate,), namespace)
        _registry[type_name] = cls
        return cls


def get_candidate_class(type_name: str) -> type[Candidate]:
    """The candidate class registered under ``type_name`` (the lower-cased class name)."""
    try:
        return _registry[type_name.lower()]
    except KeyError:
        raise CandidateError(
            f"no candidate class {type_name!r} in this process; call candidate_subclass first "
            f"(known: {sorted(_registry)})"
        ) from None


class CandidateClass(Base):
    """The definition of a candidate class, stored by the extractors with its candidates.

    ``label_values`` is None when the class's values do not survive a JSON round trip;
    the class is then rebuilt with the default values of its cardinality.
    """

    __tablename__ = "candidate_class"

    type: Mapped[str] = mapped_column(String(64), primary_key=True)
    class_name: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[list[Any]] = mapped_column(JSON)
    cardinality: Mapped[int] = mapped_column(Integer)
    label_values: Mapped[list[Any] | None] = mapped_column(JSON, default=None)

    def __repr__(self) -> str:
        return f"CandidateClass({self.class_name!r}, {self.arguments!r}, cardinality={self.cardinality})"


class ClassSpec(NamedTuple):
    """What :func:`candidate_subclass` needs to rebuild a candidate class."""

    name: str
    arguments: tuple[str, ...]
    cardinality: int
    values: tuple[Any, ...] | None


def _json_values(values: Sequence[Any]) -> list[Any] | None:
    """``values`` as a JSON list when it reads back equal and of the same types, else None."""
    try:
        back = json.loads(json.dumps(list(values)))
    except (TypeError, ValueError):
        return None
    same = back == list(values) and [type(v) for v in back] == [type(v) for v in values]
    return back if same else None


def save_candidate_class(conn: Connection, cls: type[Candidate]) -> None:
    """Store (or replace) the definition of ``cls`` in the caller's transaction."""
    if not (isinstance(cls, type) and issubclass(cls, Candidate)) or cls is Candidate:
        raise CandidateError(f"expected a class made by candidate_subclass; got {cls!r}")
    row = {
        "type": cls.__mapper__.polymorphic_identity,
        "class_name": cls.__name__,
        "arguments": list(cls.__argnames__),
        "cardinality": int(cls.cardinality),
        "label_values": _json_values(cls.values),
    }
    make = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = make(CandidateClass.__table__).values(**row)
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["type"], set_={k: stmt.excluded[k] for k in row if k != "type"})
    )


def stored_class_spec(bind: Connection | Session, type_name: str) -> ClassSpec | None:
    """The stored definition of candidate class ``type_name`` (any case), or None."""
    t = CandidateClass.__table__
    query = select(t.c.class_name, t.c.arguments, t.c.cardinality, t.c.label_values).where(
        t.c.type == type_name.lower()
    )
    row = bind.execute(query).first()
    if row is None:
        return None
    values = tuple(row.label_values) if row.label_values is not None else None
    return ClassSpec(row.class_name, tuple(row.arguments), int(row.cardinality), values)


def load_candidate_class(bind: Connection | Session, type_name: str) -> type[Candidate] | None:
    """The candidate class ``type_name``: this process's, else rebuilt from its stored definition.

    Returns None when the process does not know the class and the database has no
    definition of it (its candidates were not written by an extractor).
    """
    try:
        return get_candidate_class(type_name)
    except CandidateError:
        pass
    spec = stored_class_spec(bind, type_name)
    if spec is None:
        return None
    values = list(spec.values) if spec.values is not None else None
    return candidate_subclass(spec.name, list(spec.arguments), cardinality=spec.cardinality, values=values)
