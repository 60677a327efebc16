"""Turn what a user passes to ``apply`` (sentences, ids, documents, queries) into sentence ids."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, Executable
from sqlalchemy.orm import Query, Session, object_session

from snorkel_ie.db.candidates import sentence_ids_of_documents
from snorkel_ie.db.engine import get_engine
from snorkel_ie.db.models import Document, Sentence
from snorkel_ie.db.views import SentenceView
from snorkel_ie.errors import CandidateError

__all__ = ["resolve_sentences"]


def _document_sentence_ids(engine: Engine, document_ids: list[int]) -> list[int]:
    with engine.connect() as conn:
        return sentence_ids_of_documents(conn, document_ids)


def _items_to_ids(items: Iterable[Any], engine_hint: list[Any]) -> tuple[list[int], list[int]]:
    sentence_ids: list[int] = []
    document_ids: list[int] = []
    for item in items:
        if isinstance(item, (Sentence, Document)):
            sess = object_session(item)
            if sess is not None:
                engine_hint.append(sess)
            if item.id is None:
                if sess is None:
                    raise CandidateError(f"{item!r} was never added to a session: save it before extracting")
                sess.flush()
            (sentence_ids if isinstance(item, Sentence) else document_ids).append(item.id)
        elif isinstance(item, SentenceView):
            sentence_ids.append(item.id)
        elif isinstance(item, int) and not isinstance(item, bool):
            sentence_ids.append(item)
        else:
            raise CandidateError(
                f"cannot extract candidates from {type(item).__name__} {item!r}; expected Sentence or Document "
                "objects, sentence ids, or a query of them"
            )
    return sentence_ids, document_ids


def resolve_sentences(xs: Any, *, session: Session | None = None, db: str | None = None) -> tuple[Engine, list[int]]:
    """The engine to write to and the sorted, distinct ids of the sentences in ``xs``.

    A session that holds pending changes is committed first, so that the extraction,
    which writes through its own connections, sees them.
    """
    hints: list[Any] = [session] if session is not None else []
    if isinstance(xs, Query):
        hints.append(xs.session)
        entity = xs.column_descriptions[0].get("entity") if xs.column_descriptions else None
        if entity is Sentence:
            items: Any = [r[0] for r in xs.with_entities(Sentence.id)]
        elif entity is Document:
            doc_ids = [r[0] for r in xs.with_entities(Document.id)]
            _commit_if_needed(xs.session)
            engine = xs.session.get_bind()
            return engine, sorted(set(_document_sentence_ids(engine, doc_ids)))
        else:
            raise CandidateError(f"expected a query of Sentence or Document; got a query of {entity!r}")
    elif isinstance(xs, Executable):
        sess = session
        if sess is None:
            raise CandidateError("pass session=... to extract from a select() statement")
        entity = _select_entity(xs)
        if entity is Sentence:  # read ids only, not whole ORM sentences
            items = list(sess.execute(xs.with_only_columns(Sentence.id)).scalars())
        elif entity is Document:
            doc_ids = list(sess.execute(xs.with_only_columns(Document.id)).scalars())
            _commit_if_needed(sess)
            engine = sess.get_bind()
            return engine, sorted(set(_document_sentence_ids(engine, doc_ids)))
        else:
            items = list(sess.execute(xs).scalars())
    elif isinstance(xs, (str, bytes)) or not isinstance(xs, Iterable):
        raise CandidateError(f"expected sentences, sentence ids, documents or a query; got {type(xs).__name__}")
    else:
        items = xs
    sentence_ids, document_ids = _items_to_ids(items, hints)
    sess = next((h for h in hints if h is not None), None)
    if sess is not None:
        _commit_if_needed(sess)
        engine = sess.get_bind()
    elif db is not None:
        engine = get_engine(db)
    else:
        raise CandidateError("cannot tell which database to use: pass session=... or db=<url> with plain sentence ids")
    if document_ids:
        sentence_ids.extend(_document_sentence_ids(engine, document_ids))
    return engine, sorted(set(sentence_ids))


def _select_entity(stmt: Any) -> Any:
    try:
        descriptions = stmt.column_descriptions
    except AttributeError:
        return None
    return descriptions[0].get("entity") if len(descriptions) == 1 else None


def _commit_if_needed(sess: Session) -> None:
    if sess.new or sess.dirty or sess.deleted or sess.in_transaction():
        sess.commit()
