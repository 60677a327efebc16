"""LF helpers for candidates whose arguments may lie in different sentences (document scope).

A document-scope candidate (``PretaggedCandidateExtractor(..., scope="document")``) has
each argument in its own sentence: ``c[i].sentence``. The helpers here read the text
and tokens *between* two arguments across sentence boundaries and the structure of the
document (sentence distance, the title, how often an entity is mentioned).
:mod:`snorkel_ie.labeling.lf_helpers` uses them, so that ``get_between_tokens``,
``get_text_between`` and ``get_tagged_text`` work for both scopes; they are re-exported
there.

Sentences are those of the argument's document, in position order: the ORM's
``sentence.document.sentences``, or a labeling view's document, which loads every
sentence of its batch's documents on first use. The text between sentences is joined
with one space.

Examples
--------
>>> def LF_far_apart(c):
...     return -1 if sentence_distance(c) > 3 else 0
>>> def LF_chemical_in_title(c):
...     return 1 if in_title(c.chemical) else 0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "document_sentences",
    "entity_mention_count",
    "get_sentences_between",
    "in_title",
    "same_sentence",
    "sentence_distance",
]


def _position(span: Any) -> int:
    return getattr(span.sentence, "position", 0) or 0


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    ia, ib = getattr(a, "id", None), getattr(b, "id", None)
    if ia is not None and ib is not None:
        return ia == ib
    return getattr(a, "position", None) == getattr(b, "position", None)


def doc_order(span: Any) -> tuple[int, int, int]:
    """Where ``span`` lies in its document: (sentence position, char start, char end)."""
    return (_position(span), span.char_start, span.char_end)


def same_sentence(c: Any) -> bool:
    """True when every argument of ``c`` lies in one sentence (a sentence-scope candidate)."""
    spans = c.get_contexts() if hasattr(c, "get_contexts") else tuple(c)
    return all(_same(s.sentence, spans[0].sentence) for s in spans)


def sentence_distance(c: Any) -> int:
    """How many sentences apart the arguments of ``c`` lie (0: the same sentence)."""
    spans = c.get_contexts() if hasattr(c, "get_contexts") else tuple(c)
    positions = [_position(s) for s in spans]
    return max(positions) - min(positions)


def document_sentences(span: Any) -> Sequence[Any]:
    """The sentences of the document of ``span`` (or of a sentence), in order."""
    sentence = getattr(span, "sentence", span)
    document = getattr(sentence, "document", None)
    if document is None:
        return [sentence]
    return document.sentences


def get_sentences_between(left: Any, right: Any) -> list[Any]:
    """The sentences strictly between the sentences of spans ``left`` and ``right`` (in document order)."""
    lo, hi = sorted((_position(left), _position(right)))
    if hi - lo <= 1:
        return []
    return [s for s in document_sentences(left) if lo < (s.position or 0) < hi]


def tokens_between(left: Any, right: Any, attrib: str = "words") -> list[Any]:
    """The tokens of attribute ``attrib`` strictly between ``left`` and ``right``, across sentences.

    ``left`` must come first in the document. Within one sentence these are the tokens
    between the two spans; across sentences the rest of ``left``'s sentence, every
    sentence in between and the start of ``right``'s sentence.
    """
    if _same(left.sentence, right.sentence):
        return list(getattr(left.sentence, attrib)[left.get_word_end() + 1 : right.get_word_start()])
    out = list(getattr(left.sentence, attrib)[left.get_word_end() + 1 :])
    for s in get_sentences_between(left, right):
        out.extend(getattr(s, attrib))
    out.extend(getattr(right.sentence, attrib)[: right.get_word_start()])
    return out


def text_between(left: Any, right: Any) -> str:
    """The text strictly between ``left`` and ``right`` (``left`` first), sentences joined by a space."""
    if _same(left.sentence, right.sentence):
        return left.sentence.text[left.char_end : right.char_start]
    parts = [left.sentence.text[left.char_end :]]
    parts.extend(s.text for s in get_sentences_between(left, right))
    parts.append(right.sentence.text[: right.char_start])
    return " ".join(parts)


def joined_text(spans: Sequence[Any]) -> tuple[str, list[tuple[int, int]]]:
    """The text from the first to the last sentence holding ``spans``, and each span's offsets in it.

    For spans of one sentence it is that sentence's text and their own offsets.
    """
    positions = [_position(s) for s in spans]
    lo, hi = min(positions), max(positions)
    if lo == hi:
        return spans[0].sentence.text, [(s.char_start, s.char_end) for s in spans]
    sentences = [s for s in document_sentences(spans[0]) if lo <= (s.position or 0) <= hi]
    starts: dict[int, int] = {}
    pieces, at = [], 0
    for s in sentences:
        starts[s.position or 0] = at
        pieces.append(s.text)
        at += len(s.text) + 1
    offsets = [(starts[p] + s.char_start, starts[p] + s.char_end) for p, s in zip(positions, spans, strict=True)]
    return " ".join(pieces), offsets


def in_title(span: Any) -> bool:
    """True when ``span`` lies in the document's first sentence (the title of a PubMed abstract)."""
    return _position(span) == 0


def entity_mention_count(span: Any, *, attrib: str = "entity_cids", sep: str = "~@~") -> int:
    """How many tokens' runs of the document carry the entity id of ``span`` (its mention count).

    The id is the first token's ``attrib`` value (as ``Candidate.get_cids`` reads it);
    a run of adjacent tokens with that id counts once. 0 when the span has no id.
    """
    ids = span.get_attrib_tokens(attrib)
    cid = ids[0] if ids else None
    if cid is None:
        return 0
    count = 0
    for s in document_sentences(span):
        previous = False
        for value in getattr(s, attrib) or []:
            here = value is not None and cid in str(value).split(sep)
            count += here and not previous
            previous = here
    return count
