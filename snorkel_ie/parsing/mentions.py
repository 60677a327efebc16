"""Finding the pre-tagged mentions of a parsed document.

:class:`~snorkel_ie.parsing.corpus_parser.CorpusParser` stores every mention of a
PubTator or BioC document twice: as tags on its tokens (``Sentence.entity_types`` and
``Sentence.entity_cids``; ``'O'`` outside mentions) and as a :class:`Span` row. The
document's ``meta['mentions']`` lists ``[start, end, type, cid]`` with absolute
offsets; together with the span stable ids (``name::span:start:end``) it tells mention
spans apart from spans that candidate extraction adds later.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from snorkel_ie.db.models import Document, Sentence, Span
from snorkel_ie.db.models.context import span_stable_id

__all__ = ["MentionSpan", "document_relations", "mention_spans"]

_CHUNK = 500


class MentionSpan(NamedTuple):
    """A stored mention span with its entity type (e.g. ``'Chemical'``) and id (e.g. a MeSH id)."""

    span: Span
    type: str
    cid: str


def mention_spans(
    session: Session, context: Document | Sentence, *, entity_type: str | None = None
) -> list[MentionSpan]:
    """The pre-tagged mentions of a document or sentence, as stored spans, in text order.

    Parameters
    ----------
    session
        An open session.
    context
        A :class:`Document` (all its mentions) or a :class:`Sentence` (the mentions in it).
    entity_type
        Only mentions of this type (e.g. ``'Chemical'``).

    Examples
    --------
    >>> doc = session.scalars(select(Document).where(Document.name == "227508")).one()  # doctest: +SKIP
    >>> [(m.span.get_span(), m.cid) for m in mention_spans(session, doc, entity_type="Chemical")][:1]  # doctest: +SKIP
    [('Naloxone', 'D009270')]
    """
    document = context if isinstance(context, Document) else context.document
    wanted: dict[str, tuple[str, str]] = {}
    for start, end, etype, cid in (document.meta or {}).get("mentions", []):
        if entity_type is None or etype == entity_type:
            wanted[span_stable_id(document.name, start, end)] = (etype, cid)
    keys = list(wanted)
    spans: list[Span] = []
    for i in range(0, len(keys), _CHUNK):
        stmt = select(Span).where(Span.stable_id.in_(keys[i : i + _CHUNK]))
        if isinstance(context, Sentence):
            stmt = stmt.where(Span.sentence_id == context.id)
        spans.extend(session.scalars(stmt))
    spans.sort(key=lambda s: (s.sentence.position, s.char_start, s.char_end))
    return [MentionSpan(s, *wanted[s.stable_id]) for s in spans]


def document_relations(document: Document, *, relation: str | None = None) -> list[list[Any]]:
    """Gold relations read with the document, e.g. ``[['CID', 'D008750', 'D007022'], ...]``.

    With ``relation='CID'`` only the relations of that type.
    """
    rels = (document.meta or {}).get("relations", [])
    return [list(r) for r in rels if relation is None or (r and r[0] == relation)]
