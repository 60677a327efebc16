"""Helpers for writing labeling functions over candidates (Snorkel 0.7 names and semantics).

Every helper takes a candidate (``c.get_contexts()`` gives its argument spans in
order) and, where it makes sense, a single span. Token windows are lower-cased unless
``case_sensitive=True``; ``attrib`` picks any per-token array of the sentence
(``words``, ``lemmas``, ``pos_tags``, ``ner_tags``, ...).

Examples
--------
>>> def LF_husband_left_window(c):
...     return 1 if "husband" in get_left_tokens(c[0], window=2) else 0
>>> def LF_between_married(c):
...     return 1 if "married" in get_between_tokens(c) else 0
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from snorkel_ie.db.models import Candidate, CandidateSpan, Sentence, Span, SpanMixin

__all__ = [
    "contains_token",
    "get_between_tokens",
    "get_doc_candidate_spans",
    "get_left_tokens",
    "get_matches",
    "get_right_tokens",
    "get_sent_candidate_spans",
    "get_tagged_text",
    "get_text_between",
    "is_inverted",
    "rule_regex_search_before_A",
    "rule_regex_search_before_B",
    "rule_regex_search_btw_AB",
    "rule_regex_search_btw_BA",
    "rule_regex_search_tagged_text",
    "rule_text_btw",
    "rule_text_in_span",
    "tokens_to_ngrams",
]


def _spans(c: Any) -> Sequence[SpanMixin]:
    if isinstance(c, SpanMixin):
        return (c,)
    if hasattr(c, "get_contexts"):
        return c.get_contexts()
    return tuple(c)


def _binary(c: Any) -> tuple[SpanMixin, SpanMixin]:
    spans = _spans(c)
    if len(spans) != 2:
        raise ValueError(f"only applicable to binary candidates; got {len(spans)} argument(s)")
    return spans[0], spans[1]


def _case(case_sensitive: bool) -> Callable[[Any], str]:
    return str if case_sensitive else (lambda t: str(t).lower())


def tokens_to_ngrams(tokens: Sequence[Any], n_max: int = 3, delim: str = " ") -> Iterator[str]:
    """All n-grams of ``tokens`` up to length ``n_max``, by start position then length."""
    tokens = [str(t) for t in tokens]
    for root in range(len(tokens)):
        for n in range(1, min(n_max, len(tokens) - root) + 1):
            yield delim.join(tokens[root : root + n])


def get_text_between(c: Any) -> str:
    """The sentence text between the two arguments of a binary candidate."""
    a, b = _binary(c)
    first, second = (a, b) if a.char_start <= b.char_start else (b, a)
    return first.sentence.text[first.char_end : second.char_start]


def get_left_tokens(
    c: Any, window: int = 3, attrib: str = "words", n_max: int = 1, case_sensitive: bool = False
) -> list[str]:
    """The n-grams within ``window`` tokens left of a span (for a candidate: of its first argument)."""
    span = _spans(c)[0]
    i = span.get_word_start()
    tokens = getattr(span.sentence, attrib)[max(0, i - window) : i]
    f = _case(case_sensitive)
    return [f(g) for g in tokens_to_ngrams(tokens, n_max=n_max)]


def get_right_tokens(
    c: Any, window: int = 3, attrib: str = "words", n_max: int = 1, case_sensitive: bool = False
) -> list[str]:
    """The n-grams within ``window`` tokens right of a span (for a candidate: of its last argument)."""
    span = _spans(c)[-1]
    i = span.get_word_end()
    tokens = getattr(span.sentence, attrib)[i + 1 : i + 1 + max(window, 0)]
    f = _case(case_sensitive)
    return [f(g) for g in tokens_to_ngrams(tokens, n_max=n_max)]


def get_between_tokens(c: Any, attrib: str = "words", n_max: int = 1, case_sensitive: bool = False) -> list[str]:
    """The n-grams of the tokens strictly between the two arguments of a binary candidate."""
    a, b = _binary(c)
    left, right = (a, b) if a.get_word_start() < b.get_word_start() else (b, a)
    gap = right.get_word_start() - left.get_word_end() - 1
    return get_right_tokens(left, window=gap, attrib=attrib, n_max=n_max, case_sensitive=case_sensitive)


def contains_token(c: Any, tok: str, attrib: str = "words", case_sensitive: bool = False) -> bool:
    """True when any argument span contains the token ``tok``."""
    f = _case(case_sensitive)
    return f(tok) in {f(t) for span in _spans(c) for t in span.get_attrib_tokens(attrib)}


def get_tagged_text(c: Any) -> str:
    """The sentence text with argument i replaced by ``{{A}}``, ``{{B}}``, ... (in argument order)."""
    spans = _spans(c)
    text = spans[0].sentence.text
    order = sorted(range(len(spans)), key=lambda i: spans[i].char_start, reverse=True)
    for i in order:
        s = spans[i]
        text = text[: s.char_start] + "{{" + string.ascii_uppercase[i] + "}}" + text[s.char_end :]
    return text


def is_inverted(c: Any) -> bool:
    """True when the first argument starts after the last one in the sentence."""
    spans = _spans(c)
    return spans[0].get_word_start() > spans[-1].get_word_start()


def _candidate_spans(c: Candidate, where: Any) -> list[Span]:
    session = object_session(c)
    if session is None:
        raise ValueError("the candidate is not attached to a session")
    stmt = (
        select(Span)
        .join(CandidateSpan, CandidateSpan.span_id == Span.id)
        .join(Candidate, Candidate.id == CandidateSpan.candidate_id)
        .where(Candidate.type == c.type, where)
        .distinct()
        .order_by(Span.sentence_id, Span.char_start, Span.char_end)
    )
    own = c.get_contexts()[0].id
    return [s for s in session.scalars(stmt) if s.id != own]


def get_sent_candidate_spans(c: Candidate) -> list[Span]:
    """Spans of the candidate's sentence that are arguments of candidates of its class, except its first argument."""
    return _candidate_spans(c, Span.sentence_id == c.sentence_id)


def get_doc_candidate_spans(c: Candidate) -> list[Span]:
    """Like :func:`get_sent_candidate_spans`, over the candidate's whole document."""
    doc_sentences = select(Sentence.id).where(Sentence.document_id == c.sentence.document_id)
    return _candidate_spans(c, Span.sentence_id.in_(doc_sentences))


def get_matches(lf: Callable[[Any], Any], candidates: Iterable[Any], match_values: Sequence[Any] = (1, -1)) -> list:
    """The candidates on which ``lf`` returns one of ``match_values``; prints how many."""
    matches = [c for c in candidates if lf(c) in match_values]
    print(f"{len(matches)} matches")
    return matches


def rule_text_btw(c: Any, text: str, sign: int) -> int:
    """``sign`` when ``text`` occurs between the two arguments, else 0."""
    return sign if text in get_text_between(c) else 0


def rule_text_in_span(c: Any, text: str, span: int, sign: int) -> int:
    """``sign`` when ``text`` occurs in argument ``span`` (lower-cased), else 0."""
    return sign if text in _spans(c)[span].get_span().lower() else 0


def _search(c: Any, pattern: str, sign: int) -> int:
    return sign if re.search(pattern, get_tagged_text(c), flags=re.IGNORECASE) else 0


def rule_regex_search_tagged_text(c: Any, pattern: str, sign: int) -> int:
    """``sign`` when ``pattern`` is found in :func:`get_tagged_text` (case-insensitive), else 0."""
    return _search(c, pattern, sign)


def rule_regex_search_btw_AB(c: Any, pattern: str, sign: int) -> int:
    """``sign`` when ``{{A}}`` + ``pattern`` + ``{{B}}`` is found in the tagged text, else 0."""
    return _search(c, r"{{A}}" + pattern + r"{{B}}", sign)


def rule_regex_search_btw_BA(c: Any, pattern: str, sign: int) -> int:
    """``sign`` when ``{{B}}`` + ``pattern`` + ``{{A}}`` is found in the tagged text, else 0."""
    return _search(c, r"{{B}}" + pattern + r"{{A}}", sign)


def rule_regex_search_before_A(c: Any, pattern: str, sign: int) -> int:
    """``sign`` when ``pattern`` directly precedes ``{{A}}`` and B comes later, else 0."""
    return _search(c, pattern + r"{{A}}.*{{B}}", sign)


def rule_regex_search_before_B(c: Any, pattern: str, sign: int) -> int:
    """``sign`` when ``pattern`` directly precedes ``{{B}}`` and A comes later, else 0."""
    return _search(c, pattern + r"{{B}}.*{{A}}", sign)
